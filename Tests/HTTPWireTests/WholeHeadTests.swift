import Glibc
import Testing
@testable import HTTPWire

/// Whether the whole-head fast path reads the head at the start of `text` (true) or leaves it to
/// the byte machine (false).
private func takesFastPath(_ text: String, limits: ResponseParserLimits = .init()) -> Bool {
    Array(text.utf8).withUnsafeBytes { ResponseParser(limits: limits).wholeHeadLength($0) != nil }
}

/// `headerCount` when the head completes, for the input whole and fed one byte at a time (the
/// harness compares the other properties).
private func headerCounts(_ text: String) -> (whole: Int?, byteByByte: Int?) {
    func count(_ pieces: [[UInt8]]) -> Int? {
        var parser = ResponseParser()
        for piece in pieces {
            let found: Int?? = piece.withUnsafeBytes { bytes in
                var offset = 0
                while true {
                    guard let event = try? parser.parse(bytes, offset: &offset) else { return .some(nil) }
                    if event == .headComplete { return .some(parser.headerCount) }
                    if event == .needMoreInput { return nil }
                }
            }
            if let found { return found }
        }
        return nil
    }
    let bytes = Array(text.utf8)
    return (count([bytes]), count(bytes.map { [$0] }))
}

/// Calls `body` with `bytes` placed just before an inaccessible page (or just after one, with
/// `guardBefore`), so that a read past the input faults instead of passing unseen.
func withGuardedBytes<R>(_ bytes: [UInt8], guardBefore: Bool = false, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let dataSize = (bytes.count + page - 1) / page * page + page
    let total = dataSize + 2 * page
    guard let region = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
          region != MAP_FAILED else { fatalError("mmap failed") }
    defer { munmap(region, total) }
    mprotect(region, page, PROT_NONE)
    mprotect(region + page + dataSize, page, PROT_NONE)
    let start = guardBefore ? region + page : region + page + dataSize - bytes.count
    bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: start, count: bytes.count).copyMemory(from: $0) }
    return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
}

/// A deterministic generator (SplitMix64) so the random heads are the same on every run.
private struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The fast path reads a head only when it is whole in one input, so parsing the response whole
/// uses it and every split (each leaves the head incomplete in the first piece, or cuts the body)
/// uses the byte machine: `expectSameAtEverySplit` compares the two.
@Suite("Whole-head fast path")
struct WholeHeadTests {
    @Test("everyday heads take the fast path and parse as the byte machine does", arguments: [
        // echo-server, vLLM (uvicorn, lower case), OpenAI-like, and the forms around them.
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\n{}{}",
        "HTTP/1.1 200 OK\r\ndate: Tue, 25 Nov 2025 10:00:00 GMT\r\nserver: uvicorn\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\nCONTENT-TYPE: APPLICATION/JSON\r\nCONNECTION: KEEP-ALIVE\r\n\r\nok",
        "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:\t 2 \t\r\nConnection:close\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream;charset=utf-8\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding:  chunked  \r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\nContent-Length: 2\nConnection: Keep-Alive\n\nok",
        "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        "HTTP/1.1 429\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nConnection:\r\nContent-Type:\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Type: ;x=1\r\nContent-Length: 0\r\n\r\n",
        // Names that start like the tracked ones but are not them are ignored whole.
        "HTTP/1.1 200 OK\r\nContent-Lengthy: 5\r\nContent-Typo: text/event-stream\r\nConnections: close\r\nX-Content-Length: 9\r\nTransfer-Encodings: gzip\r\nContent-Length: 1\r\n\r\nz",
        // Ignored values: long (the LF is found eight bytes at a time), empty, odd bytes, stray CR.
        "HTTP/1.1 200 OK\r\nX-Long: \(String(repeating: "abcdefg,", count: 40))\r\nX-Empty:\r\nX-Odd: a\rb;c,\u{7f}\r\nContent-Length: 1\r\n\r\nz",
        "HTTP/1.1 200 OK\r\nX-Trace: 1234567\r\nA: b\r\n!#$%&'*+-.^_`|~09: token bytes\r\nContent-Length: 1\r\n\r\nz",
        // The reason phrase may hold anything but a bare CR.
        "HTTP/1.1 500 Internal Server Error: \u{1}\u{7f}é\r\nContent-Length: 1\r\n\r\nz",
    ])
    func everydayHeads(text: String) {
        #expect(takesFastPath(text))
        let counts = headerCounts(text)
        #expect(counts.whole != nil && counts.whole == counts.byteByByte, "header counts \(counts)")
        let (whole, mismatches) = expectSameAtEverySplit(text)
        #expect(mismatches.isEmpty, "splits that differ: \(mismatches)")
        #expect(whole.error == nil && whole.messages.count == 1, "\(whole)")
    }

    @Test("unusual heads are left to the byte machine, with the same result", arguments: [
        // obs-fold, lists, parameters and codings the fast path does not read.
        "HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n close\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
        "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000002\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\nraw",
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: close;x\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: keep alive\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream x\r\nContent-Length: 0\r\n\r\n",
        // Interim and refused responses, other versions, malformed lines.
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\rX\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: a\rb\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\rX",
        // Incomplete: the head never ends in the input.
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
        "HTTP/1.1 200",
    ])
    func unusualHeads(text: String) {
        #expect(!takesFastPath(text))
        let (_, mismatches) = expectSameAtEverySplit(text, endOfInput: true)
        #expect(mismatches.isEmpty, "splits that differ: \(mismatches)")
    }

    @Test("the fast path reads nothing past the input, whatever prefix of a response it is given")
    func staysInsideInput() {
        let responses = [
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 404 Not Found\nX-Long: \(String(repeating: "x", count: 40))\ncontent-length: 0\nCONNECTION: Keep-Alive\n\n",
        ]
        for text in responses {
            let bytes = Array(text.utf8)
            for length in 0...bytes.count {
                let prefix = Array(bytes[0..<length])
                let fast = withGuardedBytes(prefix) { ResponseParser().wholeHeadLength($0) }
                let expected = prefix.withUnsafeBytes { ResponseParser().wholeHeadLength($0) }
                #expect(fast == expected)
                var parser = ResponseParser()
                _ = withGuardedBytes(prefix) { input in
                    var offset = 0
                    return try? parser.parse(input, offset: &offset)
                }
            }
        }
    }

    @Test("the header byte and count limits apply exactly as in the byte machine")
    func limits() {
        let head = "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n"
        let length = head.utf8.count
        for limit in (length - 2)...(length + 1) {
            let limits = ResponseParserLimits(maxHeaderBytes: limit)
            let (whole, mismatches) = expectSameAtEverySplit(head, limits: limits)
            #expect(mismatches.isEmpty, "limit \(limit): splits that differ: \(mismatches)")
            #expect(takesFastPath(head, limits: limits) == (limit >= length))
            #expect(whole.error == (limit >= length ? nil : .headerSectionTooLarge(limit: limit)))
        }
        for count in 2...4 {
            let limits = ResponseParserLimits(maxHeaderCount: count)
            let (whole, mismatches) = expectSameAtEverySplit(head, limits: limits)
            #expect(mismatches.isEmpty, "count \(count): splits that differ: \(mismatches)")
            #expect(takesFastPath(head, limits: limits) == (count >= 3))
            #expect(whole.error == (count >= 3 ? nil : .tooManyHeaders(limit: count)))
        }
    }

    @Test("a head of over 64 KiB in one input is refused as when it arrives in pieces")
    func hugeHead() {
        let filler = (0..<70).map { "X-Filler-\($0): \(String(repeating: "a", count: 1000))\r\n" }.joined()
        let bytes = Array("HTTP/1.1 200 OK\r\n\(filler)Content-Length: 0\r\n\r\n".utf8)
        #expect(!takesFastPath(String(decoding: bytes, as: UTF8.self)))
        let whole = parse(bytes, cuts: [])
        #expect(whole.error == .headerSectionTooLarge(limit: 65_536))
        for cut in [1, 17, 1000, 65_536, 65_600] {
            #expect(parse(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
    }

    @Test("random heads parse whole as in pieces")
    func randomHeads() {
        let names = ["Content-Length", "content-length", "CONTENT-LENGTH", "Content-Type", "content-TYPE",
                     "Connection", "CONNECTION", "Transfer-Encoding", "transfer-encoding", "X-Request-Id",
                     "Date", "Server", "Content-Lengthy", "Connectio", "Content-Typ", "Transfer-Encodin", "Bad Name"]
        let values = ["0", "2", " 2", "2 ", "\t2", "2, 2", "3", "007", "x", "", " ", "chunked", " Chunked ", "gzip",
                      "gzip, chunked", "chunked, gzip", "keep-alive", " Keep-Alive", "close", "CLOSE ", "keep-alive, close",
                      "upgrade", "text/event-stream", "TEXT/EVENT-STREAM; charset=utf-8", "application/json",
                      "application/json; charset=utf-8", "a\rb", "text/event-stream x", ";x", String(repeating: "v", count: 40)]
        let endings = ["\r\n", "\r\n", "\r\n", "\n"]
        let statuses = ["HTTP/1.1 200 OK", "HTTP/1.1 200", "HTTP/1.0 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 204 No Content"]
        var generator = Seeded(state: 7)
        var fastPathTaken = 0
        for trial in 0..<3_000 {
            var text = statuses[Int.random(in: 0..<statuses.count, using: &generator)] + endings[Int.random(in: 0..<4, using: &generator)]
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                text += names[Int.random(in: 0..<names.count, using: &generator)] + ":"
                text += values[Int.random(in: 0..<values.count, using: &generator)]
                text += endings[Int.random(in: 0..<4, using: &generator)]
                if Int.random(in: 0..<20, using: &generator) == 0 { text += " folded" + endings[0] }
            }
            text += endings[Int.random(in: 0..<4, using: &generator)] + "0123456789"
            if takesFastPath(text) { fastPathTaken += 1 }
            let counts = headerCounts(text)
            #expect(counts.whole == counts.byteByByte, "\(text.debugDescription): header counts \(counts)")
            let bytes = Array(text.utf8)
            let whole = parse(bytes, cuts: [], endOfInput: true)
            let cut = Int.random(in: 1..<bytes.count, using: &generator)
            #expect(parse(bytes, cuts: [cut], endOfInput: true) == whole, "\(text.debugDescription) cut at \(cut)")
            if trial % 10 == 0 {
                #expect(parse(bytes, cuts: Array(1..<bytes.count), endOfInput: true) == whole, "\(text.debugDescription) byte by byte")
            }
        }
        // Both paths must have been compared, not the machine with itself.
        #expect(fastPathTaken > 300 && fastPathTaken < 2_700, "fast path taken \(fastPathTaken) times")
    }
}
