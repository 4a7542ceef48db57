import HTTPWire

/// Tells whether a response body has a non-empty `"choices"` array, fed in pieces.
struct ChoicesScanner: Sendable, Equatable {
    private enum State: UInt8 { case seeking, key, afterKey, afterColon, inArray, found }

    private static let key: StaticString = "\"choices\""
    private var state = State.seeking
    private var matched = 0

    var hasChoice: Bool { state == .found }

    mutating func reset() { self = ChoicesScanner() }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            switch state {
            case .seeking:
                if byte == UInt8(ascii: "\"") { state = .key; matched = 1 }
            case .key:
                if byte == Self.key.utf8Start[matched] {
                    matched += 1
                    if matched == Self.key.utf8CodeUnitCount { state = .afterKey }
                } else if byte == UInt8(ascii: "\"") {
                    matched = 1
                } else {
                    state = .seeking
                }
            case .afterKey:
                if byte == UInt8(ascii: ":") { state = .afterColon } else if !ByteClass.isWhitespace(byte) { restart(byte) }
            case .afterColon:
                if byte == UInt8(ascii: "[") { state = .inArray } else if !ByteClass.isWhitespace(byte) { restart(byte) }
            case .inArray:
                if byte == UInt8(ascii: "]") { state = .seeking } else if !ByteClass.isWhitespace(byte) { state = .found }
            case .found:
                return
            }
        }
    }

    private mutating func restart(_ byte: UInt8) {
        if byte == UInt8(ascii: "\"") { state = .key; matched = 1 } else { state = .seeking }
    }
}
