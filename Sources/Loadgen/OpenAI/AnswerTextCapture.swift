import Glibc
import HTTPWire

/// Copies the assistant's answer out of a chat response body as it streams past, still
/// JSON-escaped: the inner bytes of every string-valued `"content"` member, in order, into a
/// caller's buffer. A plain answer has one (`message.content`); a stream has one per chunk
/// (`delta.content`), and escaped JSON string contents concatenate into valid escaped content, so
/// the bytes are the answer's text as the next request's `content` needs it, unparsed and
/// unchanged. (One choice is assumed: with `n` > 1 the choices' texts would interleave.)
///
/// Keys are matched with their quotes, so `"reasoning_content"`, or a key-like text inside a
/// string (its quotes are escaped), is not taken for one; a `content` that is not a string
/// (`null`, logprobs' arrays) adds nothing. Nothing is buffered: any split of the body gives the
/// same bytes. The event loop's hot path calls it: it allocates nothing.
struct AnswerTextCapture {
    private enum State: UInt8 { case seeking, key, afterKey, afterColon, inString, escaped }

    private static let key: StaticString = "\"content\""
    private var state = State.seeking
    private var matched = 0
    private var destination: UnsafeMutableRawPointer?
    private var limit = 0
    /// Bytes copied so far.
    private(set) var count = 0
    /// More answer bytes arrived than `limit` allows; the copy stopped there.
    private(set) var overflowed = false

    /// Starts a new answer, copied to `destination`, at most `limit` bytes.
    mutating func start(into destination: UnsafeMutableRawPointer, limit: Int) {
        self = AnswerTextCapture()
        self.destination = destination
        self.limit = limit
    }

    /// Scans the next piece of the body; false once the answer has outgrown its limit.
    @inline(__always)
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, let destination, !overflowed else { return !overflowed }
        let end = bytes.count
        var index = 0
        while index < end {
            switch state {
            case .seeking:
                // Only a quote can start a key: jump to the next one.
                guard let quote = ByteSearch.firstIndex(of: UInt8(ascii: "\""), in: base, from: index, end: end) else { return true }
                index = quote + 1
                state = .key
                matched = 1
                continue
            case .inString:
                // Copy up to the next quote or backslash in one go.
                var stop = index
                while stop < end {
                    let byte = base.load(fromByteOffset: stop, as: UInt8.self)
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                    stop &+= 1
                }
                guard copy(from: base + index, count: stop - index, to: destination) else { return false }
                index = stop
                guard index < end else { return true }
                if base.load(fromByteOffset: index, as: UInt8.self) == UInt8(ascii: "\\") {
                    guard copy(from: base + index, count: 1, to: destination) else { return false }
                    state = .escaped
                } else {
                    state = .seeking
                }
            case .escaped:
                // The escaped byte (a quote too), copied as it is; a \uXXXX's digits follow as text.
                guard copy(from: base + index, count: 1, to: destination) else { return false }
                state = .inString
            case .key:
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == Self.key.utf8Start[matched] {
                    matched += 1
                    if matched == Self.key.utf8CodeUnitCount { state = .afterKey }
                } else if byte == UInt8(ascii: "\"") {
                    matched = 1
                } else {
                    state = .seeking
                }
            case .afterKey:
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == UInt8(ascii: ":") {
                    state = .afterColon
                } else if !ByteClass.isWhitespace(byte) {
                    restart(byte)
                }
            case .afterColon:
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == UInt8(ascii: "\"") {
                    state = .inString
                } else if !ByteClass.isWhitespace(byte) {
                    state = .seeking
                }
            }
            index += 1
        }
        return true
    }

    @inline(__always)
    private mutating func copy(from source: UnsafeRawPointer, count bytes: Int, to destination: UnsafeMutableRawPointer) -> Bool {
        guard bytes > 0 else { return true }
        guard count + bytes <= limit else {
            overflowed = true
            return false
        }
        memcpy(destination + count, source, bytes)
        count += bytes
        return true
    }

    @inline(__always)
    private mutating func restart(_ byte: UInt8) {
        if byte == UInt8(ascii: "\"") {
            state = .key
            matched = 1
        } else {
            state = .seeking
        }
    }
}
