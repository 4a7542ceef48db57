import HTTPWire
import Testing

/// A deterministic mutation fuzzer for the parsers that read the server's bytes: the HTTP response
/// parser and the SSE framing. Seeded, so a failure reproduces; every input is also split at random
/// boundaries. 200,000 inputs per run (echo-server's request parser has its own, in LoadgenTests).
@Suite("Response and SSE fuzzing")
struct ResponseFuzzTests {
    /// SplitMix64: this target depends on HTTPWire only.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
    /// Byte strings that make parsers take unusual paths when spliced in.
    static let tokens: [[UInt8]] = [
        "\r\n", "\r\n\r\n", "\n", ":", " ", "\t", "0\r\n\r\n", "ffffffffffffffff\r\n", ";ext=1", "Content-Length: ",
        "Content-Length: 99999999999999999999", "Transfer-Encoding: chunked\r\n", "Connection: close\r\n",
        "HTTP/1.1 200 OK\r\n", "HTTP/1.0 204 No Content\r\n", "data: ", "data: [DONE]\n\n", "event: x\n", ": comment\n",
        "\u{0}", "\u{7f}", "-1", "1xx", "GET / HTTP/1.1\r\n", "Host: a\r\n", "Content-Length: 5\r\n",
    ].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ random: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:  // flip a byte
                bytes[min(position, bytes.count - 1)] = UInt8.random(in: 0...255, using: &random)
            case 1:  // insert a random byte
                bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 2 where !bytes.isEmpty:  // delete a run
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.removeSubrange(min(position, bytes.count - 1)..<end)
            case 3 where !bytes.isEmpty:  // duplicate a run
                let start = min(position, bytes.count - 1)
                let end = min(bytes.count, start + Int.random(in: 1...32, using: &random))
                bytes.insert(contentsOf: bytes[start..<end], at: start)
            case 4:  // splice in a token
                bytes.insert(contentsOf: tokens.randomElement(using: &random)!, at: position)
            case 5:  // truncate
                bytes.removeSubrange(position..<bytes.count)
            default:  // random garbage
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: position)
            }
        }
        return bytes
    }

    static func cuts(_ count: Int, _ random: inout Random) -> [Int] {
        guard count > 1 else { return [] }
        return (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 1..<count, using: &random) }.sorted()
    }

    // MARK: Response parser

    static let responses: [[UInt8]] = [
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"choices\":[{\"text\":\"x\"}]}",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {\"a\":1}\n\ndata: [DONE]\n\n",
        "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length:3\r\nX-Folded: a\r\n b\r\n\r\nabc",
    ].map { Array($0.utf8) }

    /// Parses with a bounded loop: every event must advance or ask for input, so a hang fails.
    static func boundedParse(_ bytes: [UInt8], cuts: [Int]) -> (events: Int, error: WireError?) {
        var parser = ResponseParser()
        var events = 0
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            let piece = Array(bytes[start..<end])
            start = end
            var offset = 0
            var steps = 0
            var done = false
            while !done {
                steps += 1
                if steps > 4 * piece.count + 16 { return (-1, nil) }  // no progress: a hang
                let outcome: Result<ResponseEvent, WireError> = piece.withUnsafeBytes { bytes in
                    do throws(WireError) { return .success(try parser.parse(bytes, offset: &offset)) } catch { return .failure(error) }
                }
                switch outcome {
                case .failure(let error):
                    return (events, error)
                case .success(let event):
                    events += 1
                    switch event {
                    case .needMoreInput: done = true
                    case .body(let range): if range.isEmpty || range.upperBound > piece.count { return (-2, nil) }
                    case .messageComplete: parser.reset()
                    case .headComplete: break
                    }
                }
            }
        }
        return (events, nil)
    }

    @Test("100,000 mutated responses: no crash, no hang, bodies inside the input, and any split parses the same")
    func responseParser() {
        var random = Random(state: 0xF0_22)
        var checked = 0
        for round in 0..<100_000 {
            let seed = Self.responses[round % Self.responses.count]
            let input = round % 10 == 0 ? seed : Self.mutate(seed, &random)
            let cuts = Self.cuts(input.count, &random)
            let bounded = Self.boundedParse(input, cuts: cuts)
            #expect(bounded.events >= 0, "hang or bad range on input \(round): \(String(decoding: input, as: UTF8.self).debugDescription)")
            if bounded.events < 0 { return }
            // Split invariance, for valid and broken inputs alike: the same messages or the same error.
            let whole = parse(input, cuts: [], endOfInput: true)
            let split = parse(input, cuts: cuts, endOfInput: true)
            #expect(whole == split, "input \(round) splits differently at \(cuts): \(String(decoding: input, as: UTF8.self).debugDescription)")
            if whole != split { return }
            checked += 1
        }
        #expect(checked == 100_000)
    }

    // MARK: SSE framing

    static let streams: [[UInt8]] = [
        "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n",
        ": keepalive\r\nevent: message\r\ndata: line one\r\ndata: line two\r\n\r\n",
        "data:no-space\n\nid: 7\nretry: 10\ndata: x\n\n\n\n",
    ].map { Array($0.utf8) }

    /// The events of a stream fed in pieces: data bytes per event, line breaks and ends, in order.
    static func sseEvents(_ bytes: [UInt8], cuts: [Int]) -> [String]? {
        var parser = SSEParser()
        var events: [String] = []
        var data: [UInt8] = []
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            let piece = Array(bytes[start..<end])
            start = end
            var offset = 0
            var steps = 0
            loop: while true {
                steps += 1
                if steps > 4 * piece.count + 16 { return nil }
                let event = piece.withUnsafeBytes { parser.parse($0, offset: &offset) }
                switch event {
                case .needMoreInput: break loop
                case .data(let range):
                    guard range.upperBound <= piece.count else { return nil }
                    data += piece[range]
                case .dataLineBreak: data.append(0x0A)
                case .eventComplete:
                    events.append(String(decoding: data, as: UTF8.self))
                    data = []
                }
            }
        }
        return events + ["pending:" + String(decoding: data, as: UTF8.self)]
    }

    @Test("100,000 mutated event streams: no crash, no hang, and any split frames the same events")
    func sseParser() {
        var random = Random(state: 0x55E)
        for round in 0..<100_000 {
            let seed = Self.streams[round % Self.streams.count]
            let input = round % 10 == 0 ? seed : Self.mutate(seed, &random)
            let whole = Self.sseEvents(input, cuts: [])
            let split = Self.sseEvents(input, cuts: Self.cuts(input.count, &random))
            #expect(whole != nil && whole == split, "input \(round): \(String(decoding: input, as: UTF8.self).debugDescription)")
            if whole == nil || whole != split { return }
        }
    }

}
