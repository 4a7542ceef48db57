import Glibc
import HTTPWire

/// Reads one streamed event (an SSE `data:` payload, fed in pieces) for what the token timing
/// needs: whether it is a token event, and the cumulative `completion_tokens` it carries when the
/// server sends usage with every chunk.
///
/// The rule, and how it relates to `vllm bench serve` (its `endpoint_request_func.py`):
/// - vLLM's client counts every chunk whose `choices` is non-empty as a token event, whatever its
///   text: with byte-level tokenizers a token that ends inside a UTF-8 sequence streams as a chunk
///   with empty `content`, and it is still a token. loadgen counts those too (it used to skip
///   them, which lengthened its ITL). A usage chunk (`"choices":[]`) and `[DONE]` are not tokens.
/// - The one exception: the chat stream's first chunk carries only the role (`"delta":
///   {"role":"assistant","content":""}`; with continuous usage its `completion_tokens` is 0). It
///   is no token, so loadgen does not count it. vLLM's client does: it stamps its TTFT on it and
///   adds one gap from it to the first token to its ITL list. vLLM's server sends the role chunk
///   in the same iteration as the first token (`chat_completion/serving.py`), so the two arrive
///   together: TTFT is the same within microseconds, and vLLM's mean ITL carries one near-zero
///   gap per request (n gaps for n tokens, where loadgen has n - 1).
/// A role chunk that also carries text is a token event.
///
/// Keys are matched with their quotes, so `"completion_tokens_details"` or a key-like text
/// inside a string (whose quotes are escaped) is not taken for one; whitespace around colons is
/// allowed. Nothing is buffered: any split of the payload gives the same answer.
struct StreamChunkScanner: Sendable, Equatable {
    private enum State: UInt8 { case seeking, key, afterKey, afterColon, inArray, openedString, inValue }

    /// The keys, by bit.
    private static let choices = 0, role = 1, content = 2, reasoningContent = 3, reasoning = 4, text = 5, completionTokens = 6

    private static func key(_ bit: Int) -> StaticString {
        switch bit {
        case choices: "\"choices\""
        case role: "\"role\""
        case content: "\"content\""
        case reasoningContent: "\"reasoning_content\""
        case reasoning: "\"reasoning\""
        case text: "\"text\""
        default: "\"completion_tokens\""
        }
    }

    /// The keys a first letter can start (bits): the candidates after the opening quote.
    @inline(__always)
    private static func candidates(startingWith byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "c"): 1 << choices | 1 << content | 1 << completionTokens
        case UInt8(ascii: "r"): 1 << role | 1 << reasoningContent | 1 << reasoning
        case UInt8(ascii: "t"): 1 << text
        default: 0
        }
    }

    private var state = State.seeking
    private var candidates: UInt8 = 0
    /// The key whose value comes next, once matched.
    private var matchedKey = 0
    /// Bytes of the key matched so far (its opening quote included).
    private var matched = 0
    private var value = 0

    private(set) var hasChoice = false
    private(set) var hasRole = false
    /// A non-empty `content`, `reasoning_content`, `reasoning` or `text` string.
    private(set) var hasText = false
    /// The last `completion_tokens` of the event, or -1.
    private(set) var completionTokens = -1

    /// The event is a token event: it has a choice and is not the role-only first chunk.
    var isTokenEvent: Bool { hasChoice && (hasText || !hasRole) }

    mutating func reset() { self = StreamChunkScanner() }

    /// The event's payload ended (a number may end it).
    mutating func finish() {
        if state == .inValue { completionTokens = value }
        state = .seeking
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            if state == .seeking {
                // Only a quote can start a key: jump to the next one.
                guard let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), count - index) else { return }
                index = base.distance(to: UnsafeRawPointer(quote)) + 1
                if count - index >= Self.longestKeyAfterQuote {
                    // The longest key fits in the piece: match it whole, not a byte a step. A
                    // miss goes on seeking from the quote's next byte: the bytes a key matched
                    // before failing are letters, so the next quote (which may open the next
                    // key) is where the byte-by-byte match would have restarted.
                    let bit = Self.wholeKey(at: base + index)
                    if bit >= 0 {
                        matchedKey = bit
                        index += Self.key(bit).utf8CodeUnitCount - 1
                        state = .afterKey
                    }
                    continue
                }
                state = .key
                matched = 1
                candidates = 0
                continue
            }
            let byte = bytes[index]
            switch state {
            case .seeking:
                break
            case .key:
                matchKey(byte)
            case .afterKey:
                if byte == UInt8(ascii: ":") {
                    state = .afterColon
                } else if !ByteClass.isWhitespace(byte) {
                    restart(byte)
                }
            case .afterColon:
                if !ByteClass.isWhitespace(byte) { startValue(byte) }
            case .inArray:
                if !ByteClass.isWhitespace(byte) {
                    // `[]` is no choice; anything else is one. Either way keep reading inside.
                    if byte != UInt8(ascii: "]") { hasChoice = true }
                    restart(byte)
                }
            case .openedString:
                // `""` is empty; anything else is text (escapes included).
                if byte != UInt8(ascii: "\"") { hasText = true }
                state = .seeking
            case .inValue:
                if ByteClass.isDigit(byte) {
                    // Saturate instead of trapping on absurd digit runs.
                    if value < Int.max / 10 - 9 { value = value &* 10 &+ Int(byte &- UInt8(ascii: "0")) }
                } else {
                    completionTokens = value
                    restart(byte)
                }
            }
            index += 1
        }
    }

    /// The bytes of the longest key after its opening quote (`completion_tokens"`).
    private static let longestKeyAfterQuote = 18

    /// The key (its bit) whose bytes after the opening quote start at `start`, or -1. Keys end
    /// in their closing quote, so at most one matches.
    @inline(__always)
    private static func wholeKey(at start: UnsafeRawPointer) -> Int {
        var remaining = candidates(startingWith: start.load(as: UInt8.self))
        while remaining != 0 {
            let bit = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let key = Self.key(bit)
            let length = key.utf8CodeUnitCount
            var offset = 1
            while offset < length, key.utf8Start[offset] == start.load(fromByteOffset: offset - 1, as: UInt8.self) { offset += 1 }
            if offset == length { return bit }
        }
        return -1
    }

    @inline(__always)
    private mutating func matchKey(_ byte: UInt8) {
        if matched == 1 {
            candidates = Self.candidates(startingWith: byte)
            if candidates == 0 {
                restart(byte)
                return
            }
        }
        var remaining = candidates
        var complete = -1
        while remaining != 0 {
            let bit = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let key = Self.key(bit)
            if matched < key.utf8CodeUnitCount, key.utf8Start[matched] == byte {
                if matched + 1 == key.utf8CodeUnitCount { complete = bit }
            } else {
                candidates &= ~(1 << UInt8(bit))
            }
        }
        matched += 1
        if complete >= 0 {
            matchedKey = complete
            state = .afterKey
        } else if candidates == 0 {
            restart(byte)
        }
    }

    /// The first byte of the value of the matched key.
    @inline(__always)
    private mutating func startValue(_ byte: UInt8) {
        switch matchedKey {
        case Self.choices:
            if byte == UInt8(ascii: "[") { state = .inArray } else { restart(byte) }
        case Self.role:
            if byte == UInt8(ascii: "\"") {
                hasRole = true
                // The role's own text ("assistant") follows: nothing in it matters.
                state = .seeking
            } else {
                restart(byte)
            }
        case Self.completionTokens:
            if ByteClass.isDigit(byte) {
                value = Int(byte &- UInt8(ascii: "0"))
                state = .inValue
            } else {
                restart(byte)
            }
        default:
            // content, reasoning_content, reasoning, text: a string, or null.
            if byte == UInt8(ascii: "\"") { state = .openedString } else { restart(byte) }
        }
    }

    /// A mismatch: a quote may itself open the next key; anything else goes back to seeking.
    @inline(__always)
    private mutating func restart(_ byte: UInt8) {
        if byte == UInt8(ascii: "\"") {
            state = .key
            matched = 1
            candidates = 0
        } else {
            state = .seeking
        }
    }
}
