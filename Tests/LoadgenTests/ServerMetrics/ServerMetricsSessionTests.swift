import Foundation
import Testing
@testable import Loadgen

/// The session the runners use, against a real load: echo-server (`--metrics` counts what it
/// answered in vLLM's names) for exact counts, scripted endpoints for the failures. Timing bounds
/// are generous: they separate "waited a bounded edge" from "waited for a stalled endpoint".
@Suite("Server metrics session")
struct ServerMetricsSessionTests {
    private func plan(_ server: EchoServerProcess, requests: Int, concurrency: Int = 4, warmup: Int = 0) throws -> LoadPlan {
        var workload = OpenAIWorkload(model: "echo-model")
        workload.inputTokens = .fixed(40)
        workload.outputTokens = .fixed(7)
        var plan = LoadPlan(target: try HTTPTarget(url: server.url))
        plan.workload = workload
        plan.concurrency = concurrency
        plan.threads = 1
        plan.stop = .requests(requests)
        plan.warmupRequests = warmup
        return plan
    }

    private func seconds(since start: UInt64) -> Double { Double(Clock.monotonicNanoseconds() - start) / 1e9 }

    @Test("a window counted between its deliberate scrapes ignores a scheduled scrape taken before the server booked the last answers")
    func countedSpan() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(generation: 0))
        // The level ran 0.1 s to 2.0 s; a scheduled scrape 20 ms later still saw 90 of its 100
        // tokens (vLLM books them a moment after answering); the closing scrape, after the settle, all.
        builder.scrape(at: 2.02, RecordingBuilder.vllm(generation: 90))
        builder.scrape(at: 2.35, RecordingBuilder.vllm(generation: 100))
        let recording = ServerMetricsRecording(replicas: [builder.recording], intervalSeconds: 1)
        let start = RecordingBuilder.nanoseconds(0.1), end = RecordingBuilder.nanoseconds(2.0)
        let naive = ServerMetricsSummary(recording, window: MetricsWindow(startNanoseconds: start, endNanoseconds: end))
        #expect(naive.total(.generationTokens) == 90)
        let counted = ServerMetricsSummary(recording, window: MetricsWindow(startNanoseconds: start, endNanoseconds: end,
                                                                            countedFromNanoseconds: RecordingBuilder.nanoseconds(0.05),
                                                                            countedUntilNanoseconds: RecordingBuilder.nanoseconds(2.3)))
        #expect(counted.total(.generationTokens) == 100)
        #expect(counted.crossCheck(ClientWindowFigures(promptTokens: 0, generationTokens: 100)).generationTokens.verdict == .agrees)
    }

    @Test("the warmup's usage tokens are counted apart from the measured ones")
    func warmupTokens() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let result = try LoadRun.run(try plan(server, requests: 50, warmup: 10))
        #expect(result.succeeded == 50 && result.warmupRequests == 10)
        #expect(result.completionTokens == 50 * 7)
        #expect(result.warmupCompletionTokens == 10 * 7)
        #expect(result.warmupPromptTokens > 0 && result.warmupPromptTokens * 5 == result.promptTokens,
                "the same prompt length: \(result.warmupPromptTokens) vs \(result.promptTokens)")
    }

    @Test("every level's tokens match the server's exactly, the warmup's included when the level has one")
    func exactLevels() throws {
        let server = try EchoServerProcess(arguments: ["--metrics", "--threads", "2"])
        defer { server.stop() }
        let session = ServerMetricsSession(ServerMetricsPlan(intervalSeconds: 0.1), server: try HTTPTarget(url: server.url), signals: nil)
        var levels: [WindowServerMetrics] = []
        for (requests, warmup) in [(200, 0), (300, 40)] {
            let opening = session.openWindow()
            #expect(opening != nil)
            let result = try LoadRun.run(try plan(server, requests: requests, warmup: warmup))
            levels.append(try #require(session.closeWindow(opening, label: "w\(warmup)", result: result)))
            #expect(levels.last!.serverGenerationTokens == Double((requests + warmup) * 7))
        }
        let run = session.finish()
        #expect(run.scraped && run.failedScrapes == 0 && run.urls == [server.url + "/metrics"])
        #expect(levels.allSatisfy { $0.tokensExactlyEqual && !$0.needsAttention })
        #expect(!levels[0].window.countsWarmup && levels[1].window.countsWarmup)
        #expect(levels[1].clientGenerationTokens == 340 * 7)
        #expect(levels[1].statements[0].contains("(2,100 measured + 280 warmup"), "\(levels[1].statements[0])")
        let svg = try #require(run.timelineSVG())
        #expect(svg.contains(">w0</text>") && svg.contains(">w40</text>"))
    }

    @Test("an automatic endpoint that does not serve Prometheus text leaves scraping off and says why")
    func automaticUnavailable() throws {
        let server = try EchoServerProcess()  // no --metrics: /metrics is a 404
        defer { server.stop() }
        let session = ServerMetricsSession(ServerMetricsPlan(), server: try HTTPTarget(url: server.url + "/v1"), signals: nil)
        #expect(session.openWindow() == nil)
        #expect(session.closeWindow(nil, label: "x", result: RunResult()) == nil)
        let run = session.finish()
        #expect(!run.scraped)
        #expect(run.unavailableReason == "\(server.url)/metrics answered HTTP 404 (give --metrics-url for another endpoint)")
        #expect(run.timelineSVG() == nil)
    }

    @Test("a stalled endpoint costs the first edge at most a second and later ones a fifth, and the window says what is missing")
    func stalledEndpoint() throws {
        let metrics = try ScriptedMetricsServer(always: .stall)
        defer { metrics.stop() }
        let server = try EchoServerProcess()
        defer { server.stop() }
        let session = ServerMetricsSession(ServerMetricsPlan(endpoints: .given([try HTTPTarget(url: metrics.url)])),
                                           server: try HTTPTarget(url: server.url), signals: nil)
        var started = Clock.monotonicNanoseconds()
        let opening = session.openWindow()
        let openSeconds = seconds(since: started)
        #expect(opening != nil)
        #expect(openSeconds >= 0.9 && openSeconds < 2.5, "waited \(openSeconds) s")
        let result = try LoadRun.run(try plan(server, requests: 100))
        #expect(result.succeeded == 100)
        started = Clock.monotonicNanoseconds()
        let window = try #require(session.closeWindow(opening, label: "stalled", result: result))
        let closeSeconds = seconds(since: started)
        // The settle (0.3 s) and a short wait: not the scrape timeout.
        #expect(closeSeconds < 1.5, "waited \(closeSeconds) s")
        #expect(window.crossCheck.generationTokens.verdict == .notAlignable)
        #expect(window.statements.contains { $0.contains("no answer to the one before it within 1 s nor to the one after it within 0.2 s") },
                "\(window.statements)")
        #expect(window.needsAttention)
        _ = session.finish()
    }
}
