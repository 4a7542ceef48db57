import Glibc
import HTTPWire

/// Finds `"prompt_tokens": N` and `"completion_tokens": N` in a response body delivered in pieces.
///
/// A small state machine over bytes: no JSON tree, no buffering, so any split of the body (one
/// byte at a time included) gives the same values. It is run over every successful response on
/// the hot path. Keys must match exactly, quotes included, so `"prompt_tokens_details"` does not
/// confuse it; when a key appears several times (streamed usage chunks), the last value wins.
/// Because the last value wins, a piece is read from its end when it can be (`scanFromEnd`):
/// OpenAI puts `usage` last, so a whole body is done after its final hundred bytes or so.
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
    /// The rest of either key from its underscore, the only one in either: one word.
    private static let keySuffix: StaticString = "_tokens\""
    private static let keySuffixLength = 8
    /// The bytes of each key before its underscore (`"prompt`, `"completion`): where a key starts,
    /// counted back from the underscore that the searches find.
    private static let promptStem = 7
    private static let completionStem = 11
    /// After the underscore, a count needs the suffix, a colon and one digit at least.
    private static let shortestCount = keySuffixLength + 2

    private var state = State.seeking
    /// Which key is being matched: 0 undecided (only the quote seen), 1 prompt, 2 completion.
    private var key: UInt8 = 0
    private var matched = 0
    private var value = 0
    /// The last value of each key, as read.
    private var lastPrompt: Int?
    private var lastCompletion: Int?

    /// Counts above this are not believed (no answer has four billion tokens): a server that
    /// reports one is treated as reporting no usage, and a run's token sums cannot overflow.
    public static let largestCount = 1 << 32

    /// `"prompt_tokens"` of the body so far, nil if absent or not believable.
    public var promptTokens: Int? { lastPrompt.flatMap { $0 <= Self.largestCount ? $0 : nil } }
    /// `"completion_tokens"` of the body so far, nil if absent or not believable.
    public var completionTokens: Int? { lastCompletion.flatMap { $0 <= Self.largestCount ? $0 : nil } }

    /// A scanner that has seen nothing.
    public init() {}

    /// Forgets what was scanned, for the next response.
    public mutating func reset() { self = UsageScanner() }

    /// Scans the next piece of the body.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        // A piece that starts between keys is searched from its end: the last value of each key
        // wins, and OpenAI puts `usage` last, so the search usually stops within the final hundred
        // bytes instead of jumping through the whole body. Anything else goes forward.
        if state == .seeking, scanFromEnd(bytes) { return }
        scanForward(bytes)
    }

    /// The incremental machine: any state, any piece. `internal` so tests can compare the paths.
    mutating func scanForward(_ bytes: UnsafeRawBufferPointer) {
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
                let isPrompt = skipped >= Self.promptStem
                    && Self.matches(bytes, endingAt: underscore, Self.promptKey, length: Self.promptStem)
                let isCompletion = !isPrompt && skipped >= Self.completionStem
                    && Self.matches(bytes, endingAt: underscore, Self.completionKey, length: Self.completionStem)
                if isPrompt || isCompletion, let (value, end) = Self.completeValue(bytes, underscore: underscore) {
                    // The whole `_tokens": 123,` is in this piece: read it without the byte machine.
                    if isPrompt { lastPrompt = value } else { lastCompletion = value }
                    index = end
                    continue
                }
                if isPrompt {
                    key = 1
                    matched = Self.promptStem
                    state = .matchingKey
                    index = underscore
                    continue
                }
                if isCompletion {
                    key = 2
                    matched = Self.completionStem
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
                } else if !ByteClass.isWhitespace(byte) {
                    restart(at: byte)
                }
            case .beforeValue:
                if ByteClass.isDigit(byte) {
                    state = .inValue
                    value = Int(byte &- UInt8(ascii: "0"))
                } else if !ByteClass.isWhitespace(byte) {
                    // null, a string, a negative number: not a count; leave the last value.
                    restart(at: byte)
                }
            case .inValue:
                if ByteClass.isDigit(byte) {
                    // Saturate instead of trapping on absurd digit runs.
                    if value < Int.max / 10 - 9 { value = value &* 10 &+ Int(byte &- UInt8(ascii: "0")) }
                } else {
                    if key == 1 { lastPrompt = value } else { lastCompletion = value }
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

    // MARK: Searching a piece from its end

    /// The longest tail without a reset byte that `scanFromEnd` walks back over before leaving
    /// the piece to the forward machine (a piece cut inside a long text has none near its end).
    private static let maxTailBytes = 32

    /// Does over `bytes` what the forward machine would do from the seeking state, reading from the
    /// end; returns false, having changed nothing, where it cannot tell, and the forward machine runs.
    ///
    /// Why the result is the same: a reset byte (`,`, `{`, `}`, `[`, `]`) is none of a key's bytes,
    /// whitespace, `:` or a digit, so whatever the machine's state, consuming one leaves it seeking,
    /// and no key or value spans one. The piece therefore splits after its last reset byte into a
    /// head where every key occurrence is complete, so only the last valid one of each key matters
    /// (the machine lets the last value win), and a tail that the forward machine reads from the
    /// seeking state, exactly as it would have entered it. The one rule that depends on what came
    /// before, that a key's closing quote cannot open the next key, is left to the forward machine.
    private mutating func scanFromEnd(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return true }
        var headEnd = count
        while !Self.isReset(bytes[headEnd - 1]) {
            headEnd -= 1
            guard headEnd > 0, count - headEnd < Self.maxTailBytes else { return false }
        }
        // -1: not found yet. Both found ends the search: earlier occurrences cannot matter.
        var prompt = -1
        var completion = -1
        var searchEnd = headEnd
        while prompt < 0 || completion < 0, let underscore = ByteSearch.lastIndex(of: UInt8(ascii: "_"), in: base, before: searchEnd) {
            searchEnd = underscore
            // A count has `_tokens"`, a colon and a digit after the underscore, all in the head.
            guard headEnd - underscore > Self.shortestCount,
                  ByteSearch.word(base, underscore) == Self.word(Self.keySuffix, at: 0) else { continue }
            let isPrompt: Bool
            // `"prompt` and the underscore are one word; `"completion` takes two, the second
            // running on into the suffix.
            if prompt < 0, underscore >= Self.promptStem,
               ByteSearch.word(base, underscore - Self.promptStem) == Self.word(Self.promptKey, at: 0) {
                isPrompt = true
            } else if completion < 0, underscore >= Self.completionStem,
                      ByteSearch.word(base, underscore - Self.completionStem) == Self.word(Self.completionKey, at: 0),
                      ByteSearch.word(base, underscore - Self.completionStem + 8) == Self.word(Self.completionKey, at: 8) {
                isPrompt = false
            } else {
                continue
            }
            // Not a count (null, a string, a missing colon): an earlier occurrence may be one.
            let value = Self.countAfterKey(base, from: underscore + Self.keySuffixLength)
            guard value >= 0 else { continue }
            // A key's closing quote (after its `s`) just before: the forward machine decides.
            let keyStart = underscore - (isPrompt ? Self.promptStem : Self.completionStem)
            if keyStart > 0, base.load(fromByteOffset: keyStart - 1, as: UInt8.self) == UInt8(ascii: "s"),
               Self.keyEnds(bytes, at: keyStart) {
                return false
            }
            if isPrompt { prompt = value } else { completion = value }
        }
        if prompt >= 0 { lastPrompt = prompt }
        if completion >= 0 { lastCompletion = completion }
        if headEnd < count { scanForward(UnsafeRawBufferPointer(rebasing: bytes[headEnd...])) }
        return true
    }

    /// Bytes that leave the machine seeking from any state: JSON punctuation outside strings.
    @inline(__always)
    private static func isReset(_ byte: UInt8) -> Bool {
        // `|0x20` maps `]` to `}` and `[` to `{`, and nothing else onto them.
        byte == UInt8(ascii: ",") || byte | 0x20 == UInt8(ascii: "}") || byte | 0x20 == UInt8(ascii: "{")
    }

    /// Eight bytes of a key from `offset` (a constant once inlined).
    @inline(__always)
    private static func word(_ key: StaticString, at offset: Int) -> UInt64 {
        ByteSearch.word(UnsafeRawPointer(key.utf8Start), offset)
    }

    /// After a key, from `start`: optional whitespace, `:`, optional whitespace and digits; their
    /// value (saturating as the byte machine does), or -1. No bounds checks: a reset byte ends the
    /// head, and it is none of whitespace, `:` or a digit, so every loop stops before it.
    @inline(__always)
    private static func countAfterKey(_ base: UnsafeRawPointer, from start: Int) -> Int {
        var index = start
        var byte = base.load(fromByteOffset: index, as: UInt8.self)
        while ByteClass.isWhitespace(byte) {
            index &+= 1
            byte = base.load(fromByteOffset: index, as: UInt8.self)
        }
        guard byte == UInt8(ascii: ":") else { return -1 }
        repeat {
            index &+= 1
            byte = base.load(fromByteOffset: index, as: UInt8.self)
        } while ByteClass.isWhitespace(byte)
        var digit = byte &- UInt8(ascii: "0")
        guard digit < 10 else { return -1 }
        var value = 0
        repeat {
            if value < Int.max / 10 - 9 { value = value &* 10 &+ Int(digit) }
            index &+= 1
            digit = base.load(fromByteOffset: index, as: UInt8.self) &- UInt8(ascii: "0")
        } while digit < 10
        return value
    }

    /// A whole key ends at `index` (its closing quote), within the piece.
    private static func keyEnds(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        let prompt = promptKey.utf8CodeUnitCount
        let completion = completionKey.utf8CodeUnitCount
        return (index + 1 >= prompt && matches(bytes, endingAt: index + 1, promptKey, length: prompt))
            || (index + 1 >= completion && matches(bytes, endingAt: index + 1, completionKey, length: completion))
    }

    /// Reads `_tokens"`, optional spaces, `:`, optional spaces, digits and the byte after them, all
    /// within `bytes`. Returns the value and the index of that following byte, or nil when the piece
    /// ends first or the text is something else (the byte machine then decides).
    @inline(__always)
    private static func completeValue(_ bytes: UnsafeRawBufferPointer, underscore: Int) -> (Int, Int)? {
        let count = bytes.count
        var index = underscore
        guard count - index > Self.keySuffixLength else { return nil }
        for offset in 0..<Self.keySuffixLength where bytes[index + offset] != Self.keySuffix.utf8Start[offset] { return nil }
        index += Self.keySuffixLength
        while index < count, ByteClass.isWhitespace(bytes[index]) { index += 1 }
        guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        while index < count, ByteClass.isWhitespace(bytes[index]) { index += 1 }
        let digitsStart = index
        var value = 0
        while index < count, ByteClass.isDigit(bytes[index]) {
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
        let tailStart = max(start, bytes.count - Self.completionStem)
        var quote = bytes.count - 1
        while quote >= tailStart, bytes[quote] != UInt8(ascii: "\"") { quote -= 1 }
        guard quote >= tailStart else { return }
        let length = bytes.count - quote
        if length == 1 {
            state = .matchingKey
            key = 0
            matched = 1
        } else if length <= Self.promptStem, Self.matches(bytes, endingAt: bytes.count, Self.promptKey, length: length) {
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
}
