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
                // Fast path: skip to the next quote.
                while index < count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
                guard index < count else { return }
                state = .matchingKey
                key = 0
                matched = 1
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

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
