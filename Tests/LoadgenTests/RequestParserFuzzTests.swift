import Testing
@testable import EchoServer
@testable import Loadgen

/// A deterministic mutation fuzzer for echo-server's request parser, which reads whatever a
/// client sends (some users expose echo-server on a network). Seeded; 20,000 inputs per run.
@Suite("Request parser fuzzing")
struct RequestParserFuzzTests {
    static let fragments: [[UInt8]] = [
        "\r\n", "\r\n\r\n", ":", " ", "Content-Length: ", "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n",
        "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "\u{0}", "GET / HTTP/1.1\r\n", "Host: a\r\n",
    ].map { Array($0.utf8) }

    /// Flips, inserts, deletes and splices in request fragments.
    static func mutate(_ input: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0 where position < bytes.count: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1 where position < bytes.count: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...12, using: &random)))
            case 2: bytes.insert(contentsOf: fragments.randomElement(using: &random)!, at: position)
            default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            }
        }
        return bytes
    }

    // MARK: echo-server's request parser

    static let requests: [[UInt8]] = [
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"stream\":1}\n",
        "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "HEAD /v1/models HTTP/1.1\r\nhost: a\r\n\r\nGET /x HTTP/1.0\r\n\r\n",
        "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ].map { Array($0.utf8) }

    struct Summary: Equatable {
        var route: String, isHead: Bool, keepAlive: Bool, contentLength: Int, headerBytes: Int
    }

    static func requestHead(_ bytes: ArraySlice<UInt8>) -> Result<Summary?, RequestError> {
        let copy = Array(bytes)
        let outcome: Result<RequestHead?, RequestError> = copy.withUnsafeBytes { buffer in
            do throws(RequestError) {
                return .success(try parseRequestHead(buffer, maxHeaderBytes: 4096, maxHeaderCount: 32, maxBodyBytes: 1 << 20))
            } catch {
                return .failure(error)
            }
        }
        return outcome.map { head in
            head.map { Summary(route: "\($0.route)", isHead: $0.isHead, keepAlive: $0.keepAlive,
                               contentLength: $0.contentLength, headerBytes: $0.headerBytes) }
        }
    }

    @Test("20,000 mutated requests: no crash, heads inside the input, and a head found in a prefix stays the same")
    func requestParser() {
        var random = SeededGenerator(seed: 0x4E0)
        for round in 0..<20_000 {
            let seed = Self.requests[round % Self.requests.count]
            let input = round % 10 == 0 ? seed : Self.mutate(seed, &random)
            let whole = Self.requestHead(input[...])
            if case .success(let head?) = whole {
                #expect(head.headerBytes <= input.count && head.contentLength >= 0)
            }
            // The server parses again as more bytes arrive: once a prefix gives a head (or an
            // error), the whole input must give the same.
            let cuts = input.count > 1 ? (0..<4).map { _ in Int.random(in: 1..<input.count, using: &random) } : []
            for cut in cuts {
                let prefix = Self.requestHead(input[..<cut])
                switch prefix {
                case .success(nil): continue
                case .success(let head?):
                    guard case .success(let full?) = whole, full == head else {
                        Issue.record("input \(round): head at \(cut) differs from the whole: \(String(decoding: input, as: UTF8.self).debugDescription)")
                        return
                    }
                case .failure(let error):
                    guard case .failure(let full) = whole, "\(full)" == "\(error)" else {
                        Issue.record("input \(round): error at \(cut) not kept: \(String(decoding: input, as: UTF8.self).debugDescription)")
                        return
                    }
                }
            }
        }
    }
}
