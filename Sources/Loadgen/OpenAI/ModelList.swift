import HTTPWire

/// An OpenAI `/v1/models` answer: `{"object":"list","data":[{"id":"..."}, ...]}`.
package enum ModelList {
    /// The first model id in the answer's `data`, or nil.
    package static func firstID(in body: [UInt8]) -> String? {
        guard let data = ByteSearch.firstIndex(of: Array("\"data\"".utf8), in: body),
              let key = ByteSearch.firstIndex(of: Array("\"id\"".utf8), in: body, from: data + 6) else { return nil }
        var index = key + 4
        while index < body.count, body[index] == 0x20 || body[index] == 0x3A || body[index] == 0x09 || body[index] == 0x0A {
            index += 1
        }
        guard index < body.count, body[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")), end > start else { return nil }
        return String(decoding: body[start..<end], as: UTF8.self)
    }
}

extension ModelList {
    /// Who serves the first model of a `/v1/models` answer: its `owned_by`, or nil.
    ///
    /// This is how loadgen tells vLLM: its model cards always say `"owned_by": "vllm"` (SGLang's
    /// say "sglang", OpenAI's the organisation). `GET /version` would answer on vLLM too, but
    /// also on other servers with other meanings; the model list is asked for anyway.
    package static func firstOwner(in body: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(String(decoding: body, as: UTF8.self)),
              let first = json["data"]?.arrayValue?.first else { return nil }
        return first["owned_by"]?.stringValue
    }
}
