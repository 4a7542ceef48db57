/// The fields of an OpenAI request body echo-server answers with, found by a byte scan (no JSON tree).
struct RequestBodyFields {
    /// Byte range of the "model" string value (without quotes, escapes left as sent).
    var model: Range<Int>?
    var maxTokens = 16
    var stream = false

    init(_ body: UnsafeRawBufferPointer) {
        if let start = Self.valueStart(after: "\"model\"", in: body), start < body.count, body[start] == UInt8(ascii: "\"") {
            var end = start + 1
            while end < body.count, body[end] != UInt8(ascii: "\"") {
                end += body[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            if end < body.count { model = (start + 1)..<end }
        }
        let tokensKey = Self.valueStart(after: "\"max_tokens\"", in: body)
            ?? Self.valueStart(after: "\"max_completion_tokens\"", in: body)
        if let start = tokensKey {
            var value = 0
            var index = start
            while index < body.count, body[index] >= UInt8(ascii: "0"), body[index] <= UInt8(ascii: "9"), value < 100_000_000 {
                value = value * 10 + Int(body[index] - UInt8(ascii: "0"))
                index += 1
            }
            if index > start { maxTokens = value }
        }
        if let start = Self.valueStart(after: "\"stream\"", in: body), start < body.count, body[start] == UInt8(ascii: "t") {
            stream = true
        }
    }

    /// Index of the first non-space byte after `key` and its colon, or nil.
    private static func valueStart(after key: StaticString, in body: UnsafeRawBufferPointer) -> Int? {
        let keyLength = key.utf8CodeUnitCount
        guard body.count > keyLength else { return nil }
        let keyBytes = key.utf8Start
        var index = 0
        while index + keyLength <= body.count {
            if body[index] == keyBytes[0] {
                var matches = true
                for offset in 1..<keyLength where body[index + offset] != keyBytes[offset] {
                    matches = false
                    break
                }
                if matches {
                    var cursor = index + keyLength
                    while cursor < body.count, isSpace(body[cursor]) { cursor += 1 }
                    if cursor < body.count, body[cursor] == UInt8(ascii: ":") {
                        cursor += 1
                        while cursor < body.count, isSpace(body[cursor]) { cursor += 1 }
                        return cursor
                    }
                }
            }
            index += 1
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
