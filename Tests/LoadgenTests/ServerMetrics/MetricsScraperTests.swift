import Foundation
import Synchronization
import Testing
@testable import Loadgen

/// The scraper against scripted loopback endpoints. Timing margins are wide (seconds where
/// milliseconds are expected) so a busy two-core machine cannot make them flake.
@Suite("Metrics scraper")
struct MetricsScraperTests {
    /// vLLM-shaped text whose generation counter is `tokens`.
    static func text(tokens: Int, running: Int = 2) -> String {
        RecordingBuilder.vllm(running: Double(running), generation: Double(tokens))
    }

    private func target(_ server: ScriptedMetricsServer) throws -> HTTPTarget { try HTTPTarget(url: server.url) }

    /// Polls `condition` every 5 ms for up to `seconds`.
    private func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: seconds)
        while Clock.monotonicNanoseconds() < deadline {
            if condition() { return true }
            usleep(5000)
        }
        return condition()
    }

    private func scrapesSoFar(_ scraper: MetricsScraper) -> [MetricsScrape] { scraper.recording().replicas[0].scrapes }

    @Test("a healthy endpoint is scraped every interval, each scrape stamped on the engine's clock")
    func healthy() throws {
        let server = try ScriptedMetricsServer { .metrics(Self.text(tokens: $0 * 10)) }
        defer { server.stop() }
        let before = Clock.monotonicNanoseconds()
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 0.05, timeoutSeconds: 5))
        #expect(eventually { scrapesSoFar(scraper).count >= 4 })
        let recording = scraper.stop()
        let after = Clock.monotonicNanoseconds()
        let scrapes = recording.replicas[0].scrapes
        #expect(scrapes.allSatisfy { $0.succeeded })
        #expect(scrapes.allSatisfy { $0.startedNanoseconds >= before && $0.endedNanoseconds <= after && $0.startedNanoseconds <= $0.endedNanoseconds })
        #expect(zip(scrapes, scrapes.dropFirst()).allSatisfy { $0.endedNanoseconds <= $1.startedNanoseconds })
        // Fixed rate: consecutive starts at least the interval apart.
        #expect(zip(scrapes, scrapes.dropFirst()).allSatisfy { $1.startedNanoseconds - $0.startedNanoseconds >= 49_000_000 })
        let ids = recording.replicas[0].seriesIDs(of: .generationTokens)
        #expect(scrapes.map { $0.value(ofSeries: ids[0]) } == (0..<scrapes.count).map { Double($0 * 10) })
        #expect(recording.replicas[0].url == server.url)
    }

    @Test("a stalled endpoint is recorded as timed out and scraping goes on")
    func stalled() throws {
        let server = try ScriptedMetricsServer { $0 == 1 ? .stall : $0 == 2 ? .stallMidBody(Self.text(tokens: 1)) : .metrics(Self.text(tokens: $0)) }
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 0.05, timeoutSeconds: 0.3))
        #expect(eventually { scrapesSoFar(scraper).count >= 4 })
        let scrapes = scraper.stop().replicas[0].scrapes
        #expect(scrapes[0].succeeded)
        #expect(scrapes[1].failure == .timedOut(seconds: 0.3))
        #expect(scrapes[2].failure == .timedOut(seconds: 0.3))
        #expect(scrapes[3].succeeded)
        // The timeout held: the stalled scrapes lasted about 0.3 s, not until the server gave up.
        #expect(scrapes[1].endedNanoseconds - scrapes[1].startedNanoseconds < 3_000_000_000)
    }

    @Test("errors, closes and garbage are recorded by kind, and the scraper goes on")
    func failures() throws {
        let script: [ScriptedMetricsServer.Answer] = [
            .metrics(Self.text(tokens: 1)), .status(500), .close, .garbage("<html><body>Bad Gateway</body></html>\n"),
            .metrics(""), .garbage("vllm:num_requests_running{engine=\"0\" 3\n"), .metrics(Self.text(tokens: 2)),
        ]
        let server = try ScriptedMetricsServer { script[min($0, script.count - 1)] }
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 0.02, timeoutSeconds: 5))
        #expect(eventually { scrapesSoFar(scraper).count >= script.count })
        let recorded = scraper.stop().replicas[0].scrapes
        #expect(recorded.prefix(script.count).map { $0.failure?.kind ?? "ok" }
            == ["ok", "HTTP 500", "closed", "not Prometheus text", "empty", "not Prometheus text", "ok"])
        #expect(recorded[3].failure?.description == "not Prometheus text: line 1: not a metric name in '<html><body>Bad Gateway</body></html>'")
        #expect(recorded[5].failure == .unparsable(PrometheusParseError(line: 1, reason: .malformedLabels,
                                                                        excerpt: "vllm:num_requests_running{engine=\"0\" 3")))
        #expect(recorded.dropFirst(script.count).allSatisfy { $0.succeeded })
    }

    @Test("a refused connection is recorded as a connect failure")
    func refused() throws {
        let target = HTTPTarget(host: "127.0.0.1", port: ScriptedServer.closedPort(), path: "/metrics")
        let scraper = try MetricsScraper(.init(targets: [target], intervalSeconds: 0.05, timeoutSeconds: 1))
        #expect(eventually { scrapesSoFar(scraper).count >= 2 })
        let scrapes = scraper.stop().replicas[0].scrapes
        #expect(scrapes.allSatisfy { $0.failure == .connect(errno: 111) })
    }

    @Test("an answer over the size limit is refused")
    func tooLarge() throws {
        let server = try ScriptedMetricsServer(always: .metrics(String(repeating: "padding_series 1\n", count: 6000)))
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 0.05, timeoutSeconds: 5,
                                               maximumBodyBytes: 10_000))
        #expect(eventually { !scrapesSoFar(scraper).isEmpty })
        #expect(scraper.stop().replicas[0].scrapes[0].failure == .tooLarge(limitBytes: 10_000))
    }

    @Test("stop returns at once even in the middle of a stalled scrape")
    func promptStop() throws {
        let server = try ScriptedMetricsServer(always: .stall)
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 1, timeoutSeconds: 60))
        #expect(eventually { server.requestCount >= 1 })
        let started = Clock.monotonicNanoseconds()
        let recording = scraper.stop()
        let stopSeconds = Double(Clock.monotonicNanoseconds() - started) / 1e9
        #expect(stopSeconds < 5, "stop took \(stopSeconds) s with a 60 s scrape timeout")
        // The interrupted scrape is not recorded as a failure of the endpoint.
        #expect(recording.replicas[0].scrapes.isEmpty)
        #expect(scraper.stop().replicas[0].scrapes.isEmpty)  // a second stop is harmless
    }

    @Test("stop returns at once while waiting for the next interval")
    func promptStopBetweenScrapes() throws {
        let server = try ScriptedMetricsServer(always: .metrics(Self.text(tokens: 1)))
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 3600))
        #expect(eventually { scrapesSoFar(scraper).count == 1 })
        let started = Clock.monotonicNanoseconds()
        _ = scraper.stop()
        #expect(Double(Clock.monotonicNanoseconds() - started) / 1e9 < 5)
    }

    @Test("scrapeNow takes a scrape outside the schedule")
    func scrapeNow() throws {
        let server = try ScriptedMetricsServer { .metrics(Self.text(tokens: $0)) }
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 3600))
        #expect(eventually { scrapesSoFar(scraper).count == 1 })
        scraper.scrapeNow()
        #expect(eventually { scrapesSoFar(scraper).count == 2 })
        scraper.scrapeNow()
        #expect(eventually { scrapesSoFar(scraper).count == 3 })
        _ = scraper.stop()
    }

    @Test("scrapeNowAndWait returns once every replica has answered, and false if one cannot in time")
    func scrapeNowAndWait() throws {
        let healthy = try ScriptedMetricsServer { .metrics(Self.text(tokens: $0)) }
        let stalled = try ScriptedMetricsServer(always: .stall)
        defer {
            healthy.stop()
            stalled.stop()
        }
        let one = try MetricsScraper(.init(targets: [try target(healthy)], intervalSeconds: 3600))
        let asked = Clock.monotonicNanoseconds()
        #expect(one.scrapeNowAndWait(timeoutSeconds: 10))
        #expect(one.recording().replicas[0].scrapes.last.map { $0.startedNanoseconds >= asked } == true)
        _ = one.stop()
        let two = try MetricsScraper(.init(targets: [try target(healthy), try target(stalled)], intervalSeconds: 3600, timeoutSeconds: 60))
        #expect(!two.scrapeNowAndWait(timeoutSeconds: 0.3))
        _ = two.stop()
    }

    @Test("each replica is scraped on its own thread: a stalled one does not delay another")
    func replicasIndependent() throws {
        let stalled = try ScriptedMetricsServer(always: .stall)
        let healthy = try ScriptedMetricsServer { .metrics(Self.text(tokens: $0)) }
        defer {
            stalled.stop()
            healthy.stop()
        }
        let scraper = try MetricsScraper(.init(targets: [try target(stalled), try target(healthy)], intervalSeconds: 0.05,
                                               timeoutSeconds: 60))
        #expect(eventually { scraper.recording().replicas[1].scrapes.count >= 5 })
        let recording = scraper.stop()
        #expect(recording.replicas[0].scrapes.isEmpty)
        #expect(recording.replicas[1].scrapes.allSatisfy { $0.succeeded })
    }

    @Test("with scrapeNow at both edges, a window's counter delta is exactly the work done inside it")
    func exactWindow() throws {
        let tokens = Atomic<Int>(100)
        let server = try ScriptedMetricsServer { _ in .metrics(Self.text(tokens: tokens.load(ordering: .relaxed))) }
        defer { server.stop() }
        let scraper = try MetricsScraper(.init(targets: [try target(server)], intervalSeconds: 0.05))
        #expect(eventually { scrapesSoFar(scraper).count >= 2 })
        let start = Clock.monotonicNanoseconds()
        tokens.store(350, ordering: .relaxed)  // the work of the window
        #expect(eventually { scrapesSoFar(scraper).count >= 5 })
        let end = Clock.monotonicNanoseconds()
        #expect(scraper.scrapeNowAndWait(timeoutSeconds: 10))
        #expect(scrapesSoFar(scraper).contains { $0.startedNanoseconds >= end })
        tokens.store(900, ordering: .relaxed)  // after the window: must not count
        let recording = scraper.stop()
        let summary = ServerMetricsSummary(recording, window: MetricsWindow(startNanoseconds: start, endNanoseconds: end))
        #expect(summary.total(.generationTokens) == 250)
        let check = summary.crossCheck(ClientWindowFigures(promptTokens: 0, generationTokens: 250))
        #expect(check.generationTokens.verdict == .agrees)
    }

    @Test("probe tells a Prometheus endpoint from one that is not")
    func probe() throws {
        let good = try ScriptedMetricsServer(always: .metrics(Self.text(tokens: 1)))
        let html = try ScriptedMetricsServer(always: .garbage("<!doctype html>\n"))
        let missing = try ScriptedMetricsServer(always: .status(404))
        defer {
            good.stop()
            html.stop()
            missing.stop()
        }
        let (goodTarget, htmlTarget, missingTarget) = (try target(good), try target(html), try target(missing))
        #expect(MetricsScraper.probe(goodTarget) == nil)
        #expect(MetricsScraper.probe(htmlTarget)?.kind == "not Prometheus text")
        #expect(MetricsScraper.probe(missingTarget) == .status(404))
    }
}
