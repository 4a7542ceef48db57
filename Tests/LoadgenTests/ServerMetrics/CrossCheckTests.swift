import Testing
@testable import Loadgen

@Suite("Server against client cross-check")
struct CrossCheckTests {
    /// One replica: scrapes at 0, 1, 2 s with the given counters at 2 s (0 before), window 0.5-1.5 s.
    private func summary(generation: Double, prompt: Double = 1000, queue: (count: Double, sum: Double) = (10, 0.1),
                         prefill: (count: Double, sum: Double) = (10, 0.4), final: Bool = true) -> ServerMetricsSummary {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm())
        builder.scrape(at: 1, RecordingBuilder.vllm(running: 4))
        let last = RecordingBuilder.vllm(prompt: prompt, generation: generation, queue: [queue.count, queue.count, queue.count],
                                         prefill: [0, prefill.count, prefill.count], queueSum: queue.sum, prefillSum: prefill.sum)
        if final { builder.scrape(at: 2, last) } else { builder.fail(at: 2, .timedOut(seconds: 2)) }
        let window = MetricsWindow(label: "c=4", startNanoseconds: 500_000_000, endNanoseconds: 1_500_000_000)
        return ServerMetricsSummary(ServerMetricsRecording(replicas: [builder.recording], intervalSeconds: 1), window: window)
    }

    private let client = ClientWindowFigures(promptTokens: 1000, generationTokens: 500, meanTimeToFirstTokenSeconds: 0.06)

    @Test("equal token counts agree and say so")
    func exact() {
        let check = summary(generation: 500).crossCheck(client)
        #expect(check.generationTokens.verdict == .agrees)
        #expect(check.generationTokens.differenceFraction == 0)
        #expect(check.generationTokens.statement == "generation tokens: server 500, loadgen 500, exactly equal.")
        #expect(check.promptTokens.verdict == .agrees)
        #expect(!check.needsAttention)
    }

    @Test("a difference within 2% agrees, with the difference shown")
    func withinTolerance() {
        let check = summary(generation: 505).crossCheck(client)
        #expect(check.generationTokens.verdict == .agrees)
        #expect(check.generationTokens.statement.hasPrefix("generation tokens: server 505, loadgen 500 (+1.00%), within 2%."))
        // The bracketing scrapes are half a second outside the window on each side: said, as a
        // reason the counts may differ.
        #expect(check.generationTokens.statement.hasSuffix("Note: the scrapes include 0.49 s before and 0.50 s after the window."))
    }

    @Test("a difference over 2% is a disagreement, said plainly")
    func disagreement() {
        let check = summary(generation: 550).crossCheck(client)
        #expect(check.generationTokens.verdict == .differs)
        #expect(abs(check.generationTokens.differenceFraction! - 0.1) < 1e-12)
        #expect(check.generationTokens.statement.hasPrefix("generation tokens DISAGREE: server 550, loadgen 500 (+10.00%), more than 2% apart"))
        #expect(check.needsAttention)
        let fewer = summary(generation: 400).crossCheck(client)
        #expect(fewer.generationTokens.verdict == .differs)
        #expect(fewer.generationTokens.statement.contains("(-20.00%)"))
    }

    @Test("failed requests are named as a likely cause when the counts differ")
    func caveats() {
        let failing = ClientWindowFigures(promptTokens: 1000, generationTokens: 500, failedRequests: 3)
        #expect(summary(generation: 560).crossCheck(failing).generationTokens.statement
            .contains("Note: 3 requests failed and reported no usage; "))
        #expect(summary(generation: 500).crossCheck(failing).generationTokens.statement == "generation tokens: server 500, loadgen 500, exactly equal.")
    }

    @Test("a window the scrapes do not bracket cannot be compared, and the reason is given")
    func unaligned() {
        let check = summary(generation: 500, final: false).crossCheck(client)
        #expect(check.generationTokens.verdict == .notAlignable)
        #expect(check.generationTokens.server == nil)
        #expect(check.generationTokens.statement
            == "generation tokens: CANNOT be compared, the window is not aligned: http://replica/metrics: no good scrape after it ended (1 timeout).")
        #expect(check.timeToFirstToken.differenceSeconds == nil)
        #expect(check.needsAttention)
    }

    @Test("a server without the counter gives no verdict, not a disagreement")
    func unavailable() {
        var builder = RecordingBuilder()
        for second in [0.0, 1, 2] { builder.scrape(at: second, "sglang:num_running_reqs 1\n") }
        let summary = ServerMetricsSummary(ServerMetricsRecording(replicas: [builder.recording], intervalSeconds: 1),
                                           window: MetricsWindow(startNanoseconds: 500_000_000, endNanoseconds: 1_500_000_000))
        let check = summary.crossCheck(client)
        #expect(check.generationTokens.verdict == .unavailable)
        #expect(!check.needsAttention)
        #expect(check.timeToFirstToken.statement == "TTFT: the server exposes no queue time histogram, nothing to compare.")
    }

    @Test("the client's TTFT is held against the server's mean queue + prefill time")
    func timeToFirstToken() {
        // Queue mean 10 ms, prefill mean 40 ms: 50 ms in the engine; the client saw 60 ms.
        let check = summary(generation: 500).crossCheck(client)
        #expect(abs(check.timeToFirstToken.serverQueueMeanSeconds! - 0.01) < 1e-12)
        #expect(abs(check.timeToFirstToken.serverPrefillMeanSeconds! - 0.04) < 1e-12)
        #expect(abs(check.timeToFirstToken.differenceSeconds! - 0.01) < 1e-12)
        #expect(check.timeToFirstToken.statement == "TTFT: loadgen's mean 60.0 ms against the server's mean queue + prefill 50.0 ms "
            + "(queue 10.0 ms, prefill 40.0 ms): 10.0 ms outside the engine's queue and prefill (HTTP, tokenization, first-token detokenization).")
        let impossible = ClientWindowFigures(promptTokens: 1000, generationTokens: 500, meanTimeToFirstTokenSeconds: 0.03)
        #expect(summary(generation: 500).crossCheck(impossible).timeToFirstToken.statement.contains("SHORTER"))
        let notStreamed = ClientWindowFigures(promptTokens: 1000, generationTokens: 500)
        #expect(summary(generation: 500).crossCheck(notStreamed).timeToFirstToken.statement.contains("no TTFT"))
    }

    @Test("a run result gives the client's figures")
    func clientFigures() {
        var result = RunResult()
        result.promptTokens = 110
        result.completionTokens = 50
        result.timeToFirstToken.record(nanoseconds: 40_000_000)
        result.timeToFirstToken.record(nanoseconds: 60_000_000)
        let figures = ClientWindowFigures(result)
        #expect(figures.promptTokens == 110 && figures.generationTokens == 50)
        #expect(abs(figures.meanTimeToFirstTokenSeconds! - 0.05) < 0.0001)
        #expect(ClientWindowFigures(RunResult()).meanTimeToFirstTokenSeconds == nil)
    }
}
