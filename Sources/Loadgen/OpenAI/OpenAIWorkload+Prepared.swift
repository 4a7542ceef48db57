import HTTPWire

extension OpenAIWorkload {
    /// One template per prepared prompt, in order: the text as a chat user message or a
    /// completion prompt (a dataset's chat messages as they are), sent as it is: no header and no
    /// request number, since a dataset's prompts are the workload (and a trace's shared prefixes
    /// must stay shared). Bodies are built as bytes, the texts escaped by runs (`appendJSONString`):
    /// for 100,000 prompts the per-scalar `JSONValue` writer was most of the serializing time.
    func preparedTemplates(_ prepared: PreparedPrompts, host: String, headers: [HTTPHeader],
                           pathPrefix: String) throws(LoadgenError) -> [RequestTemplate] {
        let head = Array(("{\"model\":" + JSONValue.string(model).serialized()).utf8)
        var templates: [RequestTemplate] = []
        templates.reserveCapacity(prepared.prompts.count)
        // Most prompts share their output length: the members after the prompt are made once per length.
        var options: [Int: [UInt8]] = [:]
        var body: [UInt8] = []
        for prompt in prepared.prompts {
            body.removeAll(keepingCapacity: true)
            body += head
            switch (prompt.content, endpoint) {
            case (.text(let text), .chat):
                body += #","messages":[{"role":"user","content":"#.utf8
                Self.appendJSONString(text, to: &body)
                body += "}]".utf8
            case (.text(let text), .completions):
                body += #","prompt":"#.utf8
                Self.appendJSONString(text, to: &body)
            case (.messages(let messages), .chat):
                body += #","messages":["#.utf8
                for (index, message) in messages.enumerated() {
                    body += (index > 0 ? #",{"role":"# : #"{"role":"#).utf8
                    Self.appendJSONString(message.role, to: &body)
                    body += #","content":"#.utf8
                    Self.appendJSONString(message.content, to: &body)
                    body.append(UInt8(ascii: "}"))
                }
                body.append(UInt8(ascii: "]"))
            case (.messages, .completions):
                throw .invalidPlan("chat messages need chat requests (not --completions)")
            }
            if let tail = options[prompt.outputTokens] {
                body += tail
            } else {
                let tail = Array(try bodyOptions(outputTokens: prompt.outputTokens).utf8)
                options[prompt.outputTokens] = tail
                body += tail
            }
            let bytes = try serializedRequest(body: body, host: host, headers: headers, pathPrefix: pathPrefix)
            templates.append(RequestTemplate(bytes: bytes, counterOffset: nil, inputTokens: prompt.inputTokens, outputTokens: prompt.outputTokens))
        }
        return templates
    }

    /// `text` as a JSON string, quoted, with the escapes `JSONValue` writes (\", \\, \n, \r, \t,
    /// \u00XX for other controls) and every other byte as it is; runs between escapes copied whole.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if index > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): out += #"\""#.utf8
                case UInt8(ascii: "\\"): out += #"\\"#.utf8
                case 0x0A: out += #"\n"#.utf8
                case 0x0D: out += #"\r"#.utf8
                case 0x09: out += #"\t"#.utf8
                default:
                    let digits = Array("0123456789abcdef".utf8)
                    out += #"\u00"#.utf8
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0xF)])
                }
            }
            if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
