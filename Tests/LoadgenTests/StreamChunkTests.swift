import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// Which streamed chunks are token events, and what each adds to TTFT, ITL, per-token ITL and
/// TPOT (issue 14, section 3).
@Suite("Stream chunks")
struct StreamChunkTests {
    private func scanned(_ event: String, splitAt cut: Int) -> StreamChunkScanner {
        var scanner = StreamChunkScanner()
        let bytes = Array(event.utf8)
        bytes[0..<cut].withUnsafeBytes { scanner.scan($0) }
        bytes[cut...].withUnsafeBytes { scanner.scan($0) }
        scanner.finish()
        return scanner
    }

    @Test("a chunk with a choice is a token event, empty content included; the role-only chunk and usage chunks are not", arguments: [
        (#"{"choices":[{"delta":{"content":"Hi"}}]}"#, true, -1),
        (#"{"choices":[{"delta":{"content":""},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#, true, 4),
        (#"{"choices":[{"index":0,"text":""}]}"#, true, -1),
        (#"{"choices":[{"index":0,"text":" world"}]}"#, true, -1),
        (#"{"choices":[{"delta":{"reasoning_content":"think"}}]}"#, true, -1),
        (#"{"choices":[{"delta":{"reasoning":"think"}}]}"#, true, -1),
        (#"{"choices":[{"delta":{"content":null}}]}"#, true, -1),
        (#"{"choices":[{"delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":13,"completion_tokens":0,"completion_tokens_details":null}}"#, false, 0),
        (#"{"choices":[{"delta":{"role":"assistant"}}]}"#, false, -1),
        (#"{"choices":[{"delta":{"role":"assistant","content":"Hello"}}]}"#, true, -1),
        (#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#, false, 2),
        (#"{"choices" : [ ] }"#, false, -1),
        (#"{"choices" : [ {"delta" : {"content" : "x"}} ], "usage": {"completion_tokens" : 17}}"#, true, 17),
        (#"{"choices":[{"delta":{"content":"\"role\":\"user\",\"completion_tokens\":9"}}]}"#, true, -1),
        (#"{"object":"chat.completion.chunk","context":"x","texts":"y"}"#, false, -1),
    ])
    func tokenEvents(event: String, isToken: Bool, completionTokens: Int) {
        for cut in 0...event.utf8.count {
            let scanner = scanned(event, splitAt: cut)
            #expect(scanner.isTokenEvent == isToken, "split at \(cut)")
            #expect(scanner.completionTokens == completionTokens, "split at \(cut)")
        }
    }

    /// Every token chunk of a recorded stream, fed to the response check split at `cut`.
    private func tokenChunks(_ stream: [UInt8], splitAt cut: Int) -> [Int] {
        var check = OpenAIResponseCheck()
        var chunks: [Int] = []
        for range in [0..<cut, cut..<stream.count] {
            stream[range].withUnsafeBytes { piece in
                var offset = 0
                while let chunk = check.nextTokenChunk(in: piece, offset: &offset) { chunks.append(chunk.completionTokens) }
            }
        }
        return chunks
    }

    private func fixture(_ name: String) throws -> [UInt8] {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return try #require(TextFile.readBytes(path + "/Tests/Fixtures/Streams/" + name))
    }

    @Test("vLLM 0.32's chat stream with continuous usage: six token events counting 1 to 6, the role chunk left out, at every split")
    func recordedChatStream() throws {
        let stream = try fixture("vllm-0.32-chat-continuous-usage.txt")
        for cut in 0...stream.count { #expect(tokenChunks(stream, splitAt: cut) == [1, 2, 3, 4, 5, 6], "split at \(cut)") }
    }

    @Test("vLLM 0.32's completion stream: four token events, no role chunk, no usage per chunk, at every split")
    func recordedCompletionStream() throws {
        let stream = try fixture("vllm-0.32-completions.txt")
        for cut in 0...stream.count { #expect(tokenChunks(stream, splitAt: cut) == [-1, -1, -1, -1], "split at \(cut)") }
    }

    // MARK: Timing

    @Test("per-token gaps spread a chunk's gap over its tokens; the first chunk's extra tokens are gap 0; the sum is TPOT's")
    func perTokenGaps() {
        var timing = TokenTiming()
        // Cumulative tokens 2, 2, 5, 6 at 100, 110, 160, 170 ms.
        let chunks: [(UInt64, Int)] = [(100_000_000, 2), (110_000_000, 2), (160_000_000, 5), (170_000_000, 6)]
        let gaps = chunks.map { timing.tokenChunk(at: $0.0, completionTokens: $0.1) }
        #expect(gaps.map(\.isFirst) == [true, false, false, false])
        #expect(gaps.map(\.tokens) == [2, 0, 3, 1])
        #expect(gaps.dropFirst().map(\.sincePreviousChunk) == [10_000_000, 50_000_000, 10_000_000])
        // Per token: from the last chunk that added tokens, 160 - 100 over 3, then 10 over 1.
        #expect(gaps[2].sinceLastTokens == 60_000_000 && gaps[3].sinceLastTokens == 10_000_000)
        // TPOT from the first to the last token event, over output tokens - 1 (not to the response's end).
        #expect(timing.timePerOutputToken(outputTokens: 6) == 70_000_000 / 5)
        #expect(timing.timeToFirstToken(sentAt: 40_000_000) == 60_000_000)
        #expect(timing.timePerOutputToken(outputTokens: 1) == nil)
        var plain = TokenTiming()
        #expect([5, 7].map { plain.tokenChunk(at: UInt64($0), completionTokens: -1).tokens } == [1, 1], "no usage: one token a chunk")
    }

    // MARK: Through the engine

    private func stream(_ events: [String]) -> String {
        let body = events.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"
        return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    private func run(_ response: String, requests: Int = 4) throws -> RunResult {
        let server = try ScriptedServer(.reply(response, close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        // An OpenAI workload, so answers are checked as OpenAI answers (a plain URL run is not).
        var workload = OpenAIWorkload(model: "m")
        workload.stream = true
        workload.inputTokens = .fixed(20)
        plan.workload = workload
        plan.stop = .requests(requests)
        plan.threads = 1
        plan.requestTimeoutSeconds = 5
        return try LoadRun.run(plan)
    }

    @Test("empty-content chunks are token events and the role chunk is not: ITL has one gap fewer than tokens, per request")
    func emptyContentCounts() throws {
        let result = try run(stream([
            #"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"delta":{"content":"a"}}]}"#,
            #"{"choices":[{"delta":{"content":""}}]}"#,
            #"{"choices":[{"delta":{"content":"\ufffdb"}}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}"#,
        ]))
        #expect(result.succeeded == 4)
        #expect(result.tokenChunks == 12, "three token events a response: the empty one counts, the role one does not")
        #expect(result.interTokenLatency.count == 8)
        #expect(result.interTokenLatencyPerToken.count == 8, "one token a chunk without usage per chunk")
        #expect(result.timePerOutputToken.count == 4)
        #expect(result.multiTokenChunks == 0)
        #expect(result.completionTokens == 12)
    }

    @Test("chunks of several tokens with continuous usage: per-token ITL has output tokens - 1 values per request, per-chunk ITL one per gap")
    func multiTokenChunks() throws {
        let result = try run(stream([
            #"{"choices":[{"delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":5,"completion_tokens":0}}"#,
            #"{"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#,
            #"{"choices":[{"delta":{"content":"bcd"}}],"usage":{"prompt_tokens":5,"completion_tokens":4}}"#,
            #"{"choices":[{"delta":{"content":""}}],"usage":{"prompt_tokens":5,"completion_tokens":5}}"#,
            #"{"choices":[{"delta":{"content":"ef"}}],"usage":{"prompt_tokens":5,"completion_tokens":7}}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7}}"#,
        ]), requests: 3)
        #expect(result.succeeded == 3)
        #expect(result.completionTokens == 21)
        #expect(result.tokenChunks == 12)
        #expect(result.multiTokenChunks == 6)
        #expect(result.interTokenLatency.count == 9, "three gaps between four token chunks")
        #expect(result.interTokenLatencyPerToken.count == 18, "six per request: seven tokens")
        let text = RunReport.text(result, url: "u")
        #expect(text.contains("ITL per token") && text.contains("6 of 12 token chunks carried several tokens"), "\(text)")
    }

    @Test("a stream with only the role chunk and usage is no answer: it fails as empty")
    func roleOnlyStreamIsEmpty() throws {
        let result = try run(stream([
            #"{"choices":[{"delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":5,"completion_tokens":0}}"#,
            #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0}}"#,
        ]), requests: 2)
        #expect(result.succeeded == 0)
        #expect(result.failures.byClass.map(\.failure.name) == ["empty"])
    }
}
