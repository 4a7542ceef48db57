import HTTPWire

/// A streaming JSON syntax check (RFC 8259) over bytes delivered in pieces: no tree, no buffering,
/// nesting tracked in a fixed bit stack. Used to tell an HTTP 200 with a broken body
/// (`invalid_json`) from a real answer, which the seeds' client never checked.
struct JSONValidator: Sendable {
    private enum State: UInt8 {
        case value, valueOrArrayEnd, keyOrObjectEnd, key, colon, commaOrEnd
        case string, stringEscape, stringUnicode, number, literal, done, invalid
    }

    /// Nesting deeper than this is refused rather than tracked.
    static let maxDepth = 256

    private var state = State.value
    /// One bit per level: 1 for an object, 0 for an array.
    private var stack: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var depth = 0
    private var stringIsKey = false
    private var unicodeDigits = 0
    private var numberPhase: UInt8 = 0
    private var literalIndex = 0
    private var literal: UInt8 = 0

    private static let literals: (StaticString, StaticString, StaticString) = ("true", "false", "null")

    var isInvalid: Bool { state == .invalid }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var index = 0
        while index < count {
            if state == .invalid { return }
            if state == .string {
                // Most of an answer is string content (the generated text): skip to the next byte
                // that can end or escape the string, or break it, without the state machine.
                while index < count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                    index += 1
                }
                if index == count { return }
            }
            consume(bytes[index])
            index += 1
        }
    }

    /// True if the input was one complete JSON value (and only whitespace after it).
    mutating func finish() -> Bool {
        if state == .number, numberCanEnd { state = depth == 0 ? .done : .commaOrEnd }
        return state == .done
    }

    private mutating func consume(_ byte: UInt8) {
        switch state {
        case .string:
            if byte == UInt8(ascii: "\"") {
                state = stringIsKey ? .colon : afterValue()
            } else if byte == UInt8(ascii: "\\") {
                state = .stringEscape
            } else if byte < 0x20 {
                state = .invalid
            }
        case .stringEscape:
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                state = .string
            case UInt8(ascii: "u"):
                state = .stringUnicode
                unicodeDigits = 0
            default:
                state = .invalid
            }
        case .stringUnicode:
            guard ByteClass.hexValue(byte) != nil else {
                state = .invalid
                return
            }
            unicodeDigits += 1
            if unicodeDigits == 4 { state = .string }
        case .number:
            if !continueNumber(byte) {
                guard numberCanEnd else {
                    state = .invalid
                    return
                }
                state = afterValue()
                consume(byte)
            }
        case .literal:
            let text = literal == 0 ? Self.literals.0 : (literal == 1 ? Self.literals.1 : Self.literals.2)
            guard byte == text.utf8Start[literalIndex] else {
                state = .invalid
                return
            }
            literalIndex += 1
            if literalIndex == text.utf8CodeUnitCount { state = afterValue() }
        default:
            if ByteClass.isWhitespace(byte) { return }
            structural(byte)
        }
    }

    private mutating func structural(_ byte: UInt8) {
        switch state {
        case .value, .valueOrArrayEnd:
            if state == .valueOrArrayEnd, byte == UInt8(ascii: "]") {
                close(object: false)
            } else {
                startValue(byte)
            }
        case .keyOrObjectEnd, .key:
            if byte == UInt8(ascii: "\"") {
                state = .string
                stringIsKey = true
            } else if state == .keyOrObjectEnd, byte == UInt8(ascii: "}") {
                close(object: true)
            } else {
                state = .invalid
            }
        case .colon:
            state = byte == UInt8(ascii: ":") ? .value : .invalid
        case .commaOrEnd:
            let inObject = top()
            if byte == UInt8(ascii: ",") {
                state = inObject ? .key : .value
            } else if byte == UInt8(ascii: inObject ? "}" : "]") {
                close(object: inObject)
            } else {
                state = .invalid
            }
        case .done, .invalid:
            state = .invalid
        default:
            state = .invalid
        }
    }

    private mutating func startValue(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "{"): open(object: true)
        case UInt8(ascii: "["): open(object: false)
        case UInt8(ascii: "\""):
            state = .string
            stringIsKey = false
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            state = .number
            numberPhase = byte == UInt8(ascii: "-") ? 0 : (byte == UInt8(ascii: "0") ? 1 : 2)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            state = .literal
            literal = byte == UInt8(ascii: "t") ? 0 : (byte == UInt8(ascii: "f") ? 1 : 2)
            literalIndex = 1
        default:
            state = .invalid
        }
    }

    /// Number grammar: 0 after '-', 1 after a leading zero, 2 integer digits, 3 after '.',
    /// 4 fraction digits, 5 after 'e', 6 after the exponent's sign, 7 exponent digits.
    private mutating func continueNumber(_ byte: UInt8) -> Bool {
        let digit = ByteClass.isDigit(byte)
        switch numberPhase {
        case 0:
            guard digit else { return false }
            numberPhase = byte == UInt8(ascii: "0") ? 1 : 2
        case 1, 2:
            if digit, numberPhase == 2 { return true }
            if byte == UInt8(ascii: ".") { numberPhase = 3 } else if byte | 0x20 == UInt8(ascii: "e") { numberPhase = 5 } else { return false }
        case 3, 4:
            if digit { numberPhase = 4; return true }
            guard numberPhase == 4, byte | 0x20 == UInt8(ascii: "e") else { return false }
            numberPhase = 5
        case 5:
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { numberPhase = 6 } else if digit { numberPhase = 7 } else { return false }
        case 6, 7:
            guard digit else { return false }
            numberPhase = 7
        default:
            return false
        }
        return true
    }

    /// A number may end after a digit of its integer, fraction or exponent.
    private var numberCanEnd: Bool {
        numberPhase == 1 || numberPhase == 2 || numberPhase == 4 || numberPhase == 7
    }

    private mutating func open(object: Bool) {
        guard depth < Self.maxDepth else {
            state = .invalid
            return
        }
        withUnsafeMutableBytes(of: &stack) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            if object { words[depth / 64] |= 1 << UInt64(depth % 64) } else { words[depth / 64] &= ~(1 << UInt64(depth % 64)) }
        }
        depth += 1
        state = object ? .keyOrObjectEnd : .valueOrArrayEnd
    }

    private mutating func close(object: Bool) {
        guard depth > 0, top() == object else {
            state = .invalid
            return
        }
        depth -= 1
        state = afterValue()
    }

    private func top() -> Bool {
        guard depth > 0 else { return false }
        let level = depth - 1
        return withUnsafeBytes(of: stack) { raw in
            raw.load(fromByteOffset: (level / 64) * 8, as: UInt64.self) & (1 << UInt64(level % 64)) != 0
        }
    }

    private func afterValue() -> State { depth == 0 ? .done : .commaOrEnd }
}
