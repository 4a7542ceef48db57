/// What `SSEParser.parse` found.
public enum SSEEvent: Equatable, Sendable {
    /// Every byte of the input was consumed.
    case needMoreInput
    /// A piece of the current event's data (a `data:` value, one leading space removed), at these
    /// offsets of the input. One line may arrive in several pieces when split across inputs.
    case data(Range<Int>)
    /// Between two data lines of one event (where the spec joins them with "\n").
    case dataLineBreak
    /// A blank line dispatched an event that had at least one data line.
    case eventComplete
}

/// Server-Sent Events framing over a response body, incremental and allocation-free.
///
/// Follows the WHATWG event-stream rules that matter to an OpenAI stream: lines end in CRLF, LF
/// or CR; lines starting with ':' are comments; `data` fields accumulate; other fields (event, id,
/// retry) are ignored; a blank line dispatches an event if it had data. Like the response parser it
/// keeps no bytes: data is returned as ranges of the input, and `[DONE]` (OpenAI's terminator) is
/// recognised by a small match state, so any split of the stream gives the same events.
public struct SSEParser: Sendable {
    private enum State: UInt8 {
        case lineStart, fieldName, valueStart, dataValue, ignoreLine, afterCR
    }

    private static let dataName: StaticString = "data"
    private static let doneText: StaticString = "[DONE]"

    private var state = State.lineStart
    /// Bytes of a UTF-8 byte-order mark matched at the very start of the stream (3 = done with it).
    private var byteOrderMark = 0
    private var fieldLength = 0
    private var fieldIsData = true
    private var dataLines = 0
    private var dataBytes = 0
    private var doneMatched = 0
    private var doneBroken = false

    /// After `.eventComplete`: the event's data was exactly `[DONE]`.
    public private(set) var eventIsDone = false
    /// After `.eventComplete`: data bytes of that event (line breaks excluded).
    public private(set) var eventDataByteCount = 0
    /// Comment lines seen so far (servers send them as keep-alives).
    public private(set) var commentCount = 0

    /// A parser at the start of a stream.
    public init() {}

    /// Forgets any partial event, for the next stream.
    public mutating func reset() { self = SSEParser() }

    /// Reads `input` from `offset` on and returns the next thing found (a piece of data, a break
    /// between data lines, an event's end), with `offset` past it; `.needMoreInput` once the input
    /// is used up. Data is reported as ranges of `input`: nothing is copied.
    public mutating func parse(_ input: UnsafeRawBufferPointer, offset: inout Int) -> SSEEvent {
        let count = input.count
        var index = offset
        defer { offset = index }
        while index < count {
            let byte = input[index]
            if byteOrderMark < 3 {
                let expected: UInt8 = byteOrderMark == 0 ? 0xEF : (byteOrderMark == 1 ? 0xBB : 0xBF)
                if byte == expected {
                    byteOrderMark += 1
                    index += 1
                    continue
                }
                byteOrderMark = 3
            }
            switch state {
            case .afterCR:
                state = .lineStart
                if byte == UInt8(ascii: "\n") {
                    index += 1
                    continue
                }
            case .lineStart:
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    state = byte == UInt8(ascii: "\r") ? .afterCR : .lineStart
                    index += 1
                    if dataLines > 0 { return dispatch() }
                    continue
                }
                if byte == UInt8(ascii: ":") {
                    commentCount += 1
                    state = .ignoreLine
                    index += 1
                    continue
                }
                fieldLength = 0
                fieldIsData = true
                state = .fieldName
            case .fieldName:
                if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                    let isData = fieldIsData && fieldLength == 4
                    if byte == UInt8(ascii: ":") {
                        index += 1
                        state = isData ? .valueStart : .ignoreLine
                    } else {
                        state = byte == UInt8(ascii: "\r") ? .afterCR : .lineStart
                        index += 1
                    }
                    if isData {
                        // A data line begins (a `data` line without a colon has an empty value).
                        dataLines += 1
                        if dataLines > 1 {
                            doneBroken = true
                            return .dataLineBreak
                        }
                    }
                    continue
                }
                if fieldIsData, !(fieldLength < 4 && Self.dataName.utf8Start[fieldLength] == byte) { fieldIsData = false }
                fieldLength += 1
                index += 1
            case .valueStart:
                state = .dataValue
                if byte == UInt8(ascii: " ") {
                    index += 1
                    continue
                }
            case .dataValue:
                var end = index
                // `[DONE]` is matched byte by byte only while the data could still be it (its
                // first bytes); past that the line's end is found eight bytes at a time. A token
                // event's data is a few hundred bytes: the byte loop cost the client more
                // instructions per token than anything else it does.
                while !doneBroken, end < count {
                    let character = input[end]
                    if character == UInt8(ascii: "\r") || character == UInt8(ascii: "\n") { break }
                    if doneMatched < 6, character == Self.doneText.utf8Start[doneMatched] {
                        doneMatched += 1
                    } else {
                        doneBroken = true
                    }
                    end += 1
                }
                if doneBroken { end = Self.lineEnd(input, from: end) }
                if end > index {
                    dataBytes += end - index
                    let range = index..<end
                    index = end
                    return .data(range)
                }
                state = byte == UInt8(ascii: "\r") ? .afterCR : .lineStart
                index += 1
            case .ignoreLine:
                index = Self.lineEnd(input, from: index)
                guard index < count else { return .needMoreInput }
                state = input[index] == UInt8(ascii: "\r") ? .afterCR : .lineStart
                index += 1
            }
        }
        return .needMoreInput
    }

    /// The offset of the first CR or LF in `input` at or after `start`, or `input.count`: eight
    /// bytes a step (a word has one when one of its bytes XOR the byte is zero, which the
    /// classic `(v - 0x01...) & ~v & 0x80...` test tells exactly), then the byte within it.
    @inline(__always)
    static func lineEnd(_ input: UnsafeRawBufferPointer, from start: Int) -> Int {
        let count = input.count
        var index = start
        if let base = input.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while count - index >= 8 {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let lineFeeds = word ^ (ones &* UInt64(UInt8(ascii: "\n")))
                let returns = word ^ (ones &* UInt64(UInt8(ascii: "\r")))
                if ((lineFeeds &- ones) & ~lineFeeds | (returns &- ones) & ~returns) & highs != 0 { break }
                index += 8
            }
        }
        while index < count, input[index] != UInt8(ascii: "\r"), input[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }

    private mutating func dispatch() -> SSEEvent {
        eventIsDone = dataLines == 1 && doneMatched == 6 && !doneBroken
        eventDataByteCount = dataBytes
        dataLines = 0
        dataBytes = 0
        doneMatched = 0
        doneBroken = false
        return .eventComplete
    }
}
