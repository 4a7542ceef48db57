import HTTPWire

/// What parsing a byte stream produced: one entry per complete response, or the error.
struct ParsedStream: Equatable {
    struct Message: Equatable {
        var status: Int
        var keepAlive: Bool
        var contentLength: Int?
        var isChunked: Bool
        var body: [UInt8]
        var isEventStream = false
    }

    var messages: [Message] = []
    var error: WireError?
    /// The stream ended mid-message without error (more input was needed).
    var incomplete = false

    var bodyText: String { String(decoding: messages.first?.body ?? [], as: UTF8.self) }
}

/// Feeds `pieces` of `bytes` to a parser in turn, then signals end of input if `endOfInput`.
func parse(_ bytes: [UInt8], cuts: [Int], headRequest: Bool = false, endOfInput: Bool = false,
           limits: ResponseParserLimits = .init()) -> ParsedStream {
    var state = HarnessState(parser: ResponseParser(limits: limits))
    state.parser.reset(headRequest: headRequest)
    var start = 0
    let boundaries = cuts.filter { $0 > 0 && $0 < bytes.count } + [bytes.count]
    for end in boundaries where end > start {
        let piece = Array(bytes[start..<end])
        start = end
        piece.withUnsafeBytes { state.feed($0) }
        if state.stream.error != nil { return state.stream }
    }
    state.finish(endOfInput: endOfInput)
    return state.stream
}

/// The parser and what it produced so far.
struct HarnessState {
    var parser: ResponseParser
    var stream = ParsedStream()
    var body: [UInt8] = []
    var sawHead = false

    mutating func feed(_ input: UnsafeRawBufferPointer) {
        var offset = 0
        while true {
            let event: ResponseEvent
            do {
                event = try parser.parse(input, offset: &offset)
            } catch {
                stream.error = error
                return
            }
            switch event {
            case .needMoreInput:
                precondition(offset == input.count)
                return
            case .headComplete:
                sawHead = true
            case .body(let range):
                precondition(!range.isEmpty)
                body.append(contentsOf: input[range])
            case .messageComplete:
                completeMessage()
            }
        }
    }

    mutating func completeMessage() {
        stream.messages.append(.init(status: parser.statusCode, keepAlive: parser.keepAlive,
                                     contentLength: parser.contentLength, isChunked: parser.isChunked, body: body,
                                     isEventStream: parser.isEventStream))
        body = []
        sawHead = false
    }

    mutating func finish(endOfInput: Bool) {
        if endOfInput {
            do {
                if try parser.inputEnded() { completeMessage() }
            } catch {
                stream.error = error
            }
        } else if !parser.isIdle || sawHead {
            stream.incomplete = true
        }
    }
}

/// Every way of splitting `text` in two, plus one byte at a time, must parse like the whole.
func expectSameAtEverySplit(_ text: String, headRequest: Bool = false, endOfInput: Bool = false,
                            limits: ResponseParserLimits = .init()) -> (whole: ParsedStream, mismatches: [Int]) {
    let bytes = Array(text.utf8)
    let whole = parse(bytes, cuts: [], headRequest: headRequest, endOfInput: endOfInput, limits: limits)
    var mismatches: [Int] = []
    for cut in 1..<max(bytes.count, 1) {
        if parse(bytes, cuts: [cut], headRequest: headRequest, endOfInput: endOfInput, limits: limits) != whole { mismatches.append(cut) }
    }
    if parse(bytes, cuts: Array(1..<max(bytes.count, 1)), headRequest: headRequest, endOfInput: endOfInput, limits: limits) != whole {
        mismatches.append(-1)
    }
    return (whole, mismatches)
}
