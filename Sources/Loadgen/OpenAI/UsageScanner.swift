import Glibc

/// Finds `"prompt_tokens": N` and `"completion_tokens": N` in a response body delivered in pieces.
///
/// A small state machine over bytes: no JSON tree, no buffering, so any split of the body (one
/// byte at a time included) gives the same values. It is run over every successful response on
/// the hot path. Keys must match exactly, quotes included, so `"prompt_tokens_details"` does not
/// confuse it; when a key appears several times (streamed usage chunks), the last value wins.
public struct UsageScanner: Sendable, Equatable {
    private enum State: UInt8 {
        /// Looking for an opening quote.
        case seeking
        /// Inside a candidate key; `matched` bytes of it so far (the quote included).
        case matchingKey
        /// After the key's closing quote, before the colon.
        case beforeColon
        /// After the colon, before the value.
        case beforeValue
        /// Reading the digits of the value.
        case inValue
    }

    private static let promptKey: StaticString = "\"prompt_tokens\""
    private static let completionKey: StaticString = "\"completion_tokens\""

    private var state = State.seeking
    /// Which key is being matched: 0 undecided (only the quote seen), 1 prompt, 2 completion.
    private var key: UInt8 = 0
    private var matched = 0
    private var value = 0
    public private(set) var promptTokens: Int?
    public private(set) var completionTokens: Int?

    public init() {}

    public mutating func reset() { self = UsageScanner() }

    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch state {
            case .seeking:
                // Fast path: both keys contain the only underscore of `_tokens"`, and JSON has few
                // underscores, so jump between them with memchr and look back for `"prompt` or
                // `"completion`. The look-back stays within bytes this state has skipped: a key
                // whose quote came earlier was already being matched by the byte machine.
                guard let next = memchr(bytes.baseAddress! + index, Int32(UInt8(ascii: "_")), count - index) else {
                    carryKeyPrefix(bytes, from: index)
                    return
                }
                let underscore = bytes.baseAddress!.distance(to: UnsafeRawPointer(next))
                let skipped = underscore - index
                let isPrompt = skipped >= 7 && Self.matches(bytes, endingAt: underscore, Self.promptKey, length: 7)
                let isCompletion = !isPrompt && skipped >= 11
                    && Self.matches(bytes, endingAt: underscore, Self.completionKey, length: 11)
                if isPrompt || isCompletion, let (value, end) = Self.completeValue(bytes, underscore: underscore) {
                    // The whole `_tokens": 123,` is in this piece: read it without the byte machine.
                    if isPrompt { promptTokens = value } else { completionTokens = value }
                    index = end
                    continue
                }
                if isPrompt {
                    key = 1
                    matched = 7
                    state = .matchingKey
                    index = underscore
                    continue
                }
                if isCompletion {
                    key = 2
                    matched = 11
                    state = .matchingKey
                    index = underscore
                    continue
                }
                index = underscore + 1
                continue
            case .matchingKey:
                matchKeyByte(byte)
            case .beforeColon:
                if byte == UInt8(ascii: ":") {
                    state = .beforeValue
                } else if !Self.isSpace(byte) {
                    restart(at: byte)
                }
            case .beforeValue:
                if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                    state = .inValue
                    value = Int(byte &- UInt8(ascii: "0"))
                } else if !Self.isSpace(byte) {
                    // null, a string, a negative number: not a count; leave the last value.
                    restart(at: byte)
                }
            case .inValue:
                if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                    // Saturate instead of trapping on absurd digit runs.
                    if value < Int.max / 10 - 9 { value = value &* 10 &+ Int(byte &- UInt8(ascii: "0")) }
                } else {
                    if key == 1 { promptTokens = value } else { completionTokens = value }
                    restart(at: byte)
                }
            }
            index += 1
        }
    }

    @inline(__always)
    private mutating func matchKeyByte(_ byte: UInt8) {
        if key == 0 {
            if byte == UInt8(ascii: "p") {
                key = 1
            } else if byte == UInt8(ascii: "c") {
                key = 2
            } else {
                restart(at: byte)
                return
            }
        }
        let expected = key == 1 ? Self.promptKey : Self.completionKey
        if byte == expected.utf8Start[matched] {
            matched += 1
            if matched == expected.utf8CodeUnitCount { state = .beforeColon }
        } else {
            restart(at: byte)
        }
    }

    /// A mismatch: a quote may itself open the next key; anything else goes back to seeking.
    @inline(__always)
    private mutating func restart(at byte: UInt8) {
        if byte == UInt8(ascii: "\"") {
            state = .matchingKey
            key = 0
            matched = 1
        } else {
            state = .seeking
        }
    }

    /// Reads `_tokens"`, optional spaces, `:`, optional spaces, digits and the byte after them, all
    /// within `bytes`. Returns the value and the index of that following byte, or nil when the piece
    /// ends first or the text is something else (the byte machine then decides).
    @inline(__always)
    private static func completeValue(_ bytes: UnsafeRawBufferPointer, underscore: Int) -> (Int, Int)? {
        let suffix: StaticString = "_tokens\""
        let count = bytes.count
        var index = underscore
        guard count - index > 8 else { return nil }
        for offset in 0..<8 where bytes[index + offset] != suffix.utf8Start[offset] { return nil }
        index += 8
        while index < count, isSpace(bytes[index]) { index += 1 }
        guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        while index < count, isSpace(bytes[index]) { index += 1 }
        let digitsStart = index
        var value = 0
        while index < count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            guard value < Int.max / 10 - 9 else { return nil }
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > digitsStart, index < count else { return nil }
        return (value, index)
    }

    /// The piece ends while seeking: if its tail is the start of a key (`"pro`, `"complet`, ...),
    /// continue matching that key in the next piece, since the jump to `_` cannot look back there.
    private mutating func carryKeyPrefix(_ bytes: UnsafeRawBufferPointer, from start: Int) {
        let tailStart = max(start, bytes.count - 11)
        var quote = bytes.count - 1
        while quote >= tailStart, bytes[quote] != UInt8(ascii: "\"") { quote -= 1 }
        guard quote >= tailStart else { return }
        let length = bytes.count - quote
        if length == 1 {
            state = .matchingKey
            key = 0
            matched = 1
        } else if length <= 7, Self.matches(bytes, endingAt: bytes.count, Self.promptKey, length: length) {
            state = .matchingKey
            key = 1
            matched = length
        } else if Self.matches(bytes, endingAt: bytes.count, Self.completionKey, length: length) {
            state = .matchingKey
            key = 2
            matched = length
        }
    }

    /// The first `length` bytes of `key` equal the bytes just before `end`.
    @inline(__always)
    private static func matches(_ bytes: UnsafeRawBufferPointer, endingAt end: Int, _ key: StaticString, length: Int) -> Bool {
        let start = end - length
        for offset in 0..<length where bytes[start + offset] != key.utf8Start[offset] { return false }
        return true
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
