import Glibc

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

    /// Index of the first non-space byte after `key` (quotes included) and its colon, or nil.
    ///
    /// Keys start with a quote: the scan jumps from quote to quote (memchr) and compares the key
    /// whole there. It compared at every byte before, 13,000 instructions per request for the
    /// four keys of a chat body (callgrind), more than half the cost of starting a stream, which
    /// a burst of 2,000 requests pays 2,000 times while its streams' first tokens come due.
    private static func valueStart(after key: StaticString, in body: UnsafeRawBufferPointer) -> Int? {
        let keyLength = key.utf8CodeUnitCount
        guard body.count > keyLength, let base = body.baseAddress else { return nil }
        let keyBytes = key.utf8Start
        // The last index at which the key still fits.
        let lastStart = body.count - keyLength
        var index = 0
        while index <= lastStart {
            guard let quote = memchr(base + index, Int32(keyBytes[0]), lastStart - index + 1) else { return nil }
            index = base.distance(to: UnsafeRawPointer(quote))
            if memcmp(base + index, keyBytes, keyLength) == 0 {
                var cursor = index + keyLength
                while cursor < body.count, isSpace(body[cursor]) { cursor += 1 }
                if cursor < body.count, body[cursor] == UInt8(ascii: ":") {
                    cursor += 1
                    while cursor < body.count, isSpace(body[cursor]) { cursor += 1 }
                    return cursor
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
