import HTTPWire

/// Tells whether one streamed event carries generated text: a non-empty `"content"` (chat delta),
/// `"reasoning_content"` or `"text"` (completions) string, fed the event's data in pieces.
///
/// TTFT is measured to the first event that carries text, as `vllm bench serve` does: vLLM's first
/// chat chunk has only `"role":"assistant"` and an empty content, which is not a token.
struct ContentDeltaScanner: Sendable, Equatable {
    private enum State: UInt8 { case seeking, key, afterKey, afterColon, openedString, found }

    private static func key(_ bit: Int) -> StaticString {
        switch bit {
        case 0: "\"content\""
        case 1: "\"reasoning_content\""
        default: "\"text\""
        }
    }

    private var state = State.seeking
    /// Bit per key still matching, and bytes matched so far (the opening quote included).
    private var candidates: UInt8 = 0
    private var matched = 0

    /// True once the event's data has shown a non-empty text string.
    var carriesText: Bool { state == .found }

    mutating func reset() { self = ContentDeltaScanner() }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count, state != .found {
            let byte = bytes[index]
            switch state {
            case .seeking:
                if byte == UInt8(ascii: "\"") { startKey() }
            case .key:
                matchKey(byte)
            case .afterKey:
                if byte == UInt8(ascii: ":") {
                    state = .afterColon
                } else if !ByteClass.isWhitespace(byte) {
                    restart(byte)
                }
            case .afterColon:
                if byte == UInt8(ascii: "\"") {
                    state = .openedString
                } else if !ByteClass.isWhitespace(byte) {
                    // null or another value: keep looking (a later key may carry text).
                    state = .seeking
                }
            case .openedString:
                // `""` is an empty delta; anything else is text.
                state = byte == UInt8(ascii: "\"") ? .seeking : .found
            case .found:
                return
            }
            index += 1
        }
    }

    private mutating func startKey() {
        state = .key
        candidates = 0b111
        matched = 1
    }

    private mutating func matchKey(_ byte: UInt8) {
        var complete = false
        for bit in 0..<3 where candidates & (1 << bit) != 0 {
            let key = Self.key(bit)
            if matched < key.utf8CodeUnitCount, key.utf8Start[matched] == byte {
                if matched + 1 == key.utf8CodeUnitCount { complete = true }
            } else {
                candidates &= ~(1 << bit)
            }
        }
        matched += 1
        if complete {
            state = .afterKey
        } else if candidates == 0 {
            restart(byte)
        }
    }

    private mutating func restart(_ byte: UInt8) {
        if byte == UInt8(ascii: "\"") { startKey() } else { state = .seeking }
    }
}
