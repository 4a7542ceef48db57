import Testing
import HTTPWire

@Suite("Response parser framing")
struct ResponseParserFramingTests {
    @Test("Content-Length body, split at every byte")
    func contentLength() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(mismatches.isEmpty, "splits that differ: \(mismatches)")
        #expect(whole.error == nil)
        #expect(whole.messages.count == 1)
        #expect(whole.messages.first?.status == 200)
        #expect(whole.messages.first?.contentLength == 11)
        #expect(whole.messages.first?.keepAlive == true)
        #expect(whole.bodyText == "hello world")
    }

    @Test("Content-Length 0 completes with no body")
    func zeroLength() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(mismatches.isEmpty)
        #expect(whole.messages == [.init(status: 200, keepAlive: true, contentLength: 0, isChunked: false, body: [])])
    }

    @Test("chunked body with extensions and trailers, split at every byte")
    func chunked() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\nAnother: 1\r\n\r\n"
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty, "splits that differ: \(mismatches)")
        #expect(whole.error == nil)
        #expect(whole.bodyText == "hello, world")
        #expect(whole.messages.first?.isChunked == true)
        #expect(whole.messages.first?.keepAlive == true)
    }

    @Test("upper-case hex chunk sizes and bare LF line endings are accepted")
    func chunkedHexAndLF() {
        let body = String(repeating: "x", count: 26)
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n1A\n\(body)\n0\n\n")
        #expect(mismatches.isEmpty)
        #expect(whole.bodyText == body)
    }

    @Test("a body with neither length nor chunking ends at the close")
    func closeDelimited() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", endOfInput: true)
        #expect(mismatches.isEmpty)
        #expect(whole.bodyText == "until the end")
        #expect(whole.messages.first?.keepAlive == false)
    }

    @Test("Transfer-Encoding without chunked last is read to the close")
    func nonChunkedTransferEncoding() {
        let whole = parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw".utf8), cuts: [], endOfInput: true)
        #expect(whole.bodyText == "raw")
        #expect(whole.messages.first?.isChunked == false)
        #expect(whole.messages.first?.keepAlive == false)
    }

    @Test("Transfer-Encoding overrides Content-Length and the connection then closes")
    func transferEncodingWins() {
        let whole = parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n".utf8), cuts: [])
        #expect(whole.bodyText == "ok")
        #expect(whole.messages.first?.keepAlive == false)
    }

    @Test("204, 304 and HEAD responses have no body whatever Content-Length says", arguments: [
        ("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false),
        ("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true),
    ])
    func noBody(text: String, head: Bool) {
        let (whole, mismatches) = expectSameAtEverySplit(text, headRequest: head)
        #expect(mismatches.isEmpty)
        #expect(whole.messages.count == 1)
        #expect(whole.messages.first?.body == [])
    }

    @Test("100 Continue is skipped and the final response is reported")
    func interimSkipped() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        #expect(mismatches.isEmpty)
        #expect(whole.messages.count == 1)
        #expect(whole.messages.first?.status == 201)
        #expect(whole.bodyText == "ok")
    }

    @Test("101 Switching Protocols is refused")
    func upgradeRefused() {
        let whole = parse(Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n".utf8), cuts: [])
        #expect(whole.error == .upgradeNotSupported)
    }

    @Test("Connection: close and HTTP/1.0 defaults set keepAlive", arguments: [
        ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false),
        ("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", false),
        ("HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n", true),
        ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        ("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true),
        ("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", true),
    ])
    func keepAlive(text: String, expected: Bool) {
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.messages.first?.keepAlive == expected)
    }

    @Test("several responses in one buffer are parsed in order (pipelining-safe)")
    func pipelined() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nbbHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n"
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.messages.map(\.status) == [200, 404, 200])
        #expect(whole.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["a", "bb", "c"])
    }

    @Test("header names are case-insensitive")
    func caseInsensitiveNames() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\ncontent-LENGTH: 3\r\nCONNECTION: CLOSE\r\n\r\nabc")
        #expect(mismatches.isEmpty)
        #expect(whole.bodyText == "abc")
        #expect(whole.messages.first?.keepAlive == false)
    }

    @Test("an obs-fold line continues the previous header's value")
    func foldedHeader() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two\r\nConnection: keep-alive,\r\n close\r\nContent-Length: 2\r\n\r\nok")
        #expect(mismatches.isEmpty)
        #expect(whole.bodyText == "ok")
        #expect(whole.messages.first?.keepAlive == false, "the folded 'close' token counts")
    }

    @Test("equal duplicate Content-Length values are accepted, also as a list")
    func duplicateEqualLengths() {
        let whole = parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok".utf8), cuts: [])
        #expect(whole.error == nil)
        #expect(whole.bodyText == "ok")
    }

    @Test("a stray CR inside an ignored header's value is tolerated the same at every split")
    func strayCRInIgnoredHeader() {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nX-Odd: a\rb\r\nContent-Length: 1\r\n\r\nz")
        #expect(mismatches.isEmpty)
        #expect(whole.bodyText == "z")
    }

    @Test("Content-Type text/event-stream is recognised, parameters and case aside", arguments: [
        ("Content-Type: text/event-stream", true),
        ("content-type: Text/Event-Stream; charset=utf-8", true),
        ("Content-Type: text/event-stream ;x=1", true),
        ("Content-Type: application/json", false),
        ("Content-Type: text/event-streams", false),
        ("X-Content-Type: text/event-stream", false),
    ])
    func eventStream(header: String, expected: Bool) {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\n\(header)\r\nContent-Length: 0\r\n\r\n")
        #expect(mismatches.isEmpty)
        #expect(whole.messages.first?.isEventStream == expected)
    }

    @Test("reset forgets the previous response, finished or cut short, as a new parser would")
    func resetForgets() {
        let previous = [
            "HTTP/1.0 404 Not Found\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
            "HTTP/1.1 200 OK\r\nContent-Le",
            "",
        ]
        for text in previous {
            for headRequest in [false, true] {
                // A HEAD response has no body whatever its Content-Length says.
                let next = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\(headRequest ? "" : "ok")".utf8)
                var used = HarnessState(parser: ResponseParser())
                Array(text.utf8).withUnsafeBytes { used.feed($0) }
                used.parser.reset(headRequest: headRequest)
                #expect(used.parser.isIdle)
                var again = HarnessState(parser: used.parser)
                next.withUnsafeBytes { again.feed($0) }
                let fresh = parse(next, cuts: [], headRequest: headRequest)
                #expect(again.stream == fresh, "after \(text.debugDescription), HEAD \(headRequest)")
                #expect(again.parser.headerCount == 1 && again.parser.bodyBytesReceived == (headRequest ? 0 : 2))
            }
        }
    }

    @Test("the parser stays a small fixed-size value")
    func smallState() {
        #expect(MemoryLayout<ResponseParser>.size <= 256)
    }

    @Test("the status code is read from the status line", arguments: [
        ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", 503),
        ("HTTP/1.1 429\r\nContent-Length: 0\r\n\r\n", 429),
        ("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 200),
    ])
    func statusCodes(text: String, status: Int) {
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.messages.first?.status == status)
    }
}

@Suite("Response parser errors")
struct ResponseParserErrorTests {
    @Test("bad status lines are specific errors at every split", arguments: [
        ("HTP/1.1 200 OK\r\n\r\n", WireError.invalidStatusLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 abc OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 099 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1\r\n\r\n", .invalidStatusLine),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
        ("SMTP ready\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200 OK\rX\n\r\n", .invalidStatusLine),
    ])
    func badStatusLines(text: String, error: WireError) {
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.error == error)
    }

    @Test("bad Content-Length values are specific errors", arguments: [
        ("-5", WireError.invalidContentLength),
        ("abc", .invalidContentLength),
        ("", .invalidContentLength),
        ("1 2", .invalidContentLength),
        ("99999999999999999999", .invalidContentLength),
        ("5, 6", .conflictingContentLength),
    ])
    func badContentLength(value: String, error: WireError) {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\nhello")
        #expect(mismatches.isEmpty)
        #expect(whole.error == error)
    }

    @Test("two different Content-Length headers conflict")
    func conflictingHeaders() {
        let whole = parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!".utf8), cuts: [])
        #expect(whole.error == .conflictingContentLength)
    }

    @Test("bad chunk framing is a specific error at every split", arguments: [
        ("zz\r\n", WireError.invalidChunkSize),
        ("\r\n", .invalidChunkSize),
        ("1234567890abcdef0\r\n", .invalidChunkSize),
        ("3\r\nabcX\r\n", .invalidChunkTerminator),
        ("3\r\nabc\rX", .invalidChunkTerminator),
    ])
    func badChunks(body: String, error: WireError) {
        let (whole, mismatches) = expectSameAtEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        #expect(mismatches.isEmpty)
        #expect(whole.error == error)
    }

    @Test("malformed header lines are refused", arguments: [
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: a\rb\r\n\r\n",
    ])
    func badHeaderLines(text: String) {
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty)
        #expect(whole.error == .invalidHeaderLine)
    }

    @Test("a header section over 64 KiB fails while streaming, without buffering")
    func headerSectionTooLarge() throws {
        var parser = ResponseParser()
        let line = Array("X-Filler: \(String(repeating: "a", count: 1000))\r\n".utf8)
        var failure: WireError?
        var fed = 0
        _ = Array("HTTP/1.1 200 OK\r\n".utf8).withUnsafeBytes { bytes in
            var offset = 0
            return try? parser.parse(bytes, offset: &offset)
        }
        while failure == nil, fed < 70 {
            line.withUnsafeBytes { bytes in
                var offset = 0
                do { _ = try parser.parse(bytes, offset: &offset) } catch { failure = error as? WireError }
            }
            fed += 1
        }
        #expect(failure == .headerSectionTooLarge(limit: 65_536))
        #expect(fed >= 64 && fed <= 66, "failed after \(fed) KiB")
    }

    @Test("more headers than the limit is an error")
    func tooManyHeaders() {
        let headers = (0..<20).map { "X-\($0): v\r\n" }.joined()
        let whole = parse(Array("HTTP/1.1 200 OK\r\n\(headers)\r\n".utf8), cuts: [], limits: .init(maxHeaderCount: 10))
        #expect(whole.error == .tooManyHeaders(limit: 10))
    }

    @Test("a close mid-headers or mid-body is connectionClosedEarly", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Le",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ])
    func closedEarly(text: String) {
        let (whole, mismatches) = expectSameAtEverySplit(text, endOfInput: true)
        #expect(mismatches.isEmpty)
        #expect(whole.error == .connectionClosedEarly)
    }

    @Test("end of input on an idle parser is a clean close")
    func idleClose() throws {
        var parser = ResponseParser()
        #expect(parser.isIdle)
        #expect(try parser.inputEnded() == false)
    }
}
