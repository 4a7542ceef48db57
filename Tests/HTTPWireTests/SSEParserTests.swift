import Testing
import HTTPWire

/// An SSE stream parsed into events: data of each dispatched event (lines joined by "\n") and whether it was [DONE].
private struct ParsedEvents: Equatable {
    var events: [String] = []
    var done: [Bool] = []
    var comments = 0
}

private func parseEvents(_ text: String, cuts: [Int]) -> ParsedEvents {
    var parser = SSEParser()
    var result = ParsedEvents()
    var current: [UInt8] = []
    let bytes = Array(text.utf8)
    var start = 0
    for end in cuts.filter({ $0 > 0 && $0 < bytes.count }) + [bytes.count] where end > start {
        let piece = Array(bytes[start..<end])
        start = end
        piece.withUnsafeBytes { input in
            var offset = 0
            while true {
                switch parser.parse(input, offset: &offset) {
                case .needMoreInput: return
                case .data(let range): current.append(contentsOf: input[range])
                case .dataLineBreak: current.append(UInt8(ascii: "\n"))
                case .eventComplete:
                    result.events.append(String(decoding: current, as: UTF8.self))
                    result.done.append(parser.eventIsDone)
                    current = []
                }
            }
        }
    }
    result.comments = parser.commentCount
    return result
}

/// Parses whole, at every two-piece split and one byte at a time; returns the whole result and the splits that differ.
private func everySplit(_ text: String) -> (ParsedEvents, [Int]) {
    let whole = parseEvents(text, cuts: [])
    let count = text.utf8.count
    var mismatches = (1..<max(count, 1)).filter { parseEvents(text, cuts: [$0]) != whole }
    if parseEvents(text, cuts: Array(1..<max(count, 1))) != whole { mismatches.append(-1) }
    return (whole, mismatches)
}

@Suite("Server-Sent Events framing")
struct SSEParserTests {
    @Test("an OpenAI stream yields its chunks and a final [DONE], at every split")
    func openAIStream() {
        let text = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"completion_tokens\":1}}\n\ndata: [DONE]\n\n"
        let (whole, mismatches) = everySplit(text)
        #expect(mismatches.isEmpty, "splits that differ: \(mismatches)")
        #expect(whole.events.count == 3)
        #expect(whole.events.first == "{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}")
        #expect(whole.done == [false, false, true])
    }

    @Test("multi-line data is joined by line breaks")
    func multiLine() {
        let (whole, mismatches) = everySplit("data: first\ndata: second\ndata\n\n")
        #expect(mismatches.isEmpty)
        #expect(whole.events == ["first\nsecond\n"])
    }

    @Test("comments are counted and ignored; other fields are ignored")
    func commentsAndFields() {
        let (whole, mismatches) = everySplit(": keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata: x\n\n: another\n")
        #expect(mismatches.isEmpty)
        #expect(whole.events == ["x"])
        #expect(whole.comments == 2)
    }

    @Test("CR, LF and CRLF line endings all work", arguments: ["data: a\r\rdata: b\r\n\r\ndata: c\n\n"])
    func lineEndings(text: String) {
        let (whole, mismatches) = everySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.events == ["a", "b", "c"])
    }

    @Test("[DONE] is recognised with or without the space, but not with extra bytes", arguments: [
        ("data: [DONE]\n\n", true),
        ("data:[DONE]\n\n", true),
        ("data: [DONE] \n\n", false),
        ("data: [DONE]x\n\n", false),
        ("data: [DON\n\n", false),
        ("data: [DONE]\ndata: [DONE]\n\n", false),
    ])
    func doneDetection(text: String, done: Bool) {
        let (whole, mismatches) = everySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.done == [done])
    }

    @Test("an event without data is not dispatched")
    func noDataNoEvent() {
        let (whole, _) = everySplit("event: ping\n\nid: 1\n\n")
        #expect(whole.events.isEmpty)
    }

    @Test("a leading byte-order mark is skipped")
    func byteOrderMark() {
        let (whole, mismatches) = everySplit("\u{FEFF}data: x\n\n")
        #expect(mismatches.isEmpty)
        #expect(whole.events == ["x"])
    }

    @Test("eventDataByteCount counts data bytes without line breaks")
    func dataByteCount() {
        var parser = SSEParser()
        let bytes = Array("data: abc\ndata: de\n\n".utf8)
        var last = SSEEvent.needMoreInput
        bytes.withUnsafeBytes { input in
            var offset = 0
            while offset < input.count {
                last = parser.parse(input, offset: &offset)
                if last == .eventComplete { break }
            }
        }
        #expect(last == .eventComplete)
        #expect(parser.eventDataByteCount == 5)
    }
}
