import Glibc

/// The server's metrics around a command's load levels, as the runners use them: one scraper for
/// the command, each level bracketed by deliberate scrapes, each window summarised and
/// cross-checked with what loadgen counted.
///
/// ```swift
/// let session = ServerMetricsSession(plan, server: target, signals: signals)
/// let opening = session.openWindow()            // before the level's first request
/// let (result, _) = try LoadRun.run(levelPlan, signals: signals)
/// level.serverMetrics = session.closeWindow(opening, label: "c=16", result: result)
/// let run = session.finish()                    // every scrape, for the timeline
/// ```
///
/// The scraper starts at the first `openWindow()`, not before: `validate` starts its server and
/// `sweep` may restart one first, and the automatic endpoint is probed only once the server is
/// up. It is made on the caller's thread, after the process's `SignalWatcher`, so its threads
/// inherit SIGINT and SIGTERM blocked.
///
/// Why the windows count exactly what loadgen sent: the opening scrape is answered before the
/// level's first request (its warmup's included) is sent, and the closing one is taken after the
/// run returned (every request ended) and `ServerMetricsPolicy.settleSeconds` more, with the
/// server idle, since vLLM books the last answers' tokens a moment after sending them. A warmup
/// in the same run overlaps the measured window (connections pass from warmup to measured
/// requests one at a time), so no scrape can separate the two: such a window counts the warmup
/// too and is compared with loadgen's measured plus warmup tokens (`MetricsWindow.countsWarmup`).
///
/// A metrics endpoint that stalls or fails never holds the load: the load loops never touch the
/// scraper; an edge waits at most `edgeWaitSeconds` for its scrape, and after one gave up only
/// `stalledEdgeWaitSeconds` until a scrape succeeds again; a pending Ctrl-C ends any wait at once.
package final class ServerMetricsSession {
    package let plan: ServerMetricsPlan
    private let server: HTTPTarget
    private let signals: SignalWatcher?
    private var scraper: MetricsScraper?
    private var started = false
    private var unavailableReason: String?
    private var windows: [MetricsWindow] = []
    private var edgeWaitSeconds = ServerMetricsPolicy.edgeWaitSeconds
    private var finished: ServerMetricsRun?

    /// A session for the server at `server` (its base URL; `/metrics` beside its OpenAI routes
    /// is the automatic endpoint).
    package init(_ plan: ServerMetricsPlan, server: HTTPTarget, signals: SignalWatcher?) {
        self.plan = plan
        self.server = server
        self.signals = signals
    }

    deinit { scraper?.stop() }

    /// The moment a window's counted span starts.
    package struct Opening: Sendable {
        let nanoseconds: UInt64
        /// Every replica answered the opening scrape within the edge wait.
        let answered: Bool
        let waitedSeconds: Double
    }

    /// The endpoints scraped (or to be probed).
    package var urls: [String] {
        switch plan.endpoints {
        case .automatic: [ServerMetricsPlan.defaultEndpoint(forBase: server).url]
        case .given(let targets): targets.map(\.url)
        }
    }

    /// Call just before a level's first request (its warmup's included): starts scraping on the
    /// first call, then takes a reading. `settleFirst`: load outside any window has just ended (a
    /// sweep run's warmup), so the server first gets `settleSeconds` to book its last answers,
    /// which would otherwise land in this window. Nil when nothing can be scraped.
    package func openWindow(settleFirst: Bool = false) -> Opening? {
        if !started { start() }
        guard let scraper else { return nil }
        if settleFirst { pause(seconds: ServerMetricsPolicy.settleSeconds) }
        let wait = edgeWaitSeconds
        let answered = edge(scraper, waitSeconds: wait)
        return Opening(nanoseconds: Clock.monotonicNanoseconds(), answered: answered, waitedSeconds: wait)
    }

    /// Call once the level's run has returned: waits for the server to settle, takes the closing
    /// reading, and summarises the measured window (or, when nothing was measured, the span
    /// between the two readings). Nil when nothing is scraped.
    package func closeWindow(_ opening: Opening?, label: String, result: RunResult) -> WindowServerMetrics? {
        guard let scraper, let opening else { return nil }
        // Ctrl-C: the user wants out, not a careful reading.
        let interrupted = result.interruptedBySignal != nil
        if !interrupted { pause(seconds: ServerMetricsPolicy.settleSeconds) }
        let until = Clock.monotonicNanoseconds()
        let wait = interrupted ? ServerMetricsPolicy.stalledEdgeWaitSeconds : edgeWaitSeconds
        let answered = edge(scraper, waitSeconds: wait)
        var unanswered: [WindowServerMetrics.UnansweredEdge] = []
        if !opening.answered { unanswered.append(.init(edge: "before", waitedSeconds: opening.waitedSeconds)) }
        if !answered { unanswered.append(.init(edge: "after", waitedSeconds: wait)) }
        let window: MetricsWindow
        if let measured = MetricsWindow(label: label, result: result) {
            window = MetricsWindow(label: label, startNanoseconds: measured.startNanoseconds, endNanoseconds: measured.endNanoseconds,
                                   countedFromNanoseconds: opening.nanoseconds, countedUntilNanoseconds: until,
                                   countsWarmup: result.warmupRequests > 0)
        } else {
            window = MetricsWindow(label: label, startNanoseconds: opening.nanoseconds, endNanoseconds: until,
                                   countsWarmup: result.warmupRequests > 0)
        }
        windows.append(window)
        let summary = ServerMetricsSummary(scraper.recording(), window: window)
        let client = ClientWindowFigures(result, includingWarmup: window.countsWarmup)
        return WindowServerMetrics(summary: summary, crossCheck: summary.crossCheck(client), unansweredEdges: unanswered)
    }

    /// Everything so far (scraping goes on): for results saved after every level.
    package func snapshot() -> ServerMetricsRun {
        if let finished { return finished }
        return ServerMetricsRun(urls: urls, recording: scraper?.recording(), windows: windows,
                                unavailableReason: started ? unavailableReason : "no level ran")
    }

    /// Stops scraping and returns everything recorded (the same on every later call).
    @discardableResult
    package func finish() -> ServerMetricsRun {
        if let finished { return finished }
        let run = ServerMetricsRun(urls: urls, recording: scraper?.stop(), windows: windows,
                                   unavailableReason: started ? unavailableReason : "no level ran")
        finished = run
        return run
    }

    private func start() {
        started = true
        let targets: [HTTPTarget]
        switch plan.endpoints {
        case .automatic:
            let endpoint = ServerMetricsPlan.defaultEndpoint(forBase: server)
            if let failure = MetricsScraper.probe(endpoint, timeoutSeconds: plan.timeoutSeconds) {
                unavailableReason = "\(endpoint.url) \(failure) (give --metrics-url for another endpoint)"
                return
            }
            targets = [endpoint]
        case .given(let given):
            targets = given
        }
        do {
            scraper = try MetricsScraper(.init(targets: targets, intervalSeconds: plan.intervalSeconds, timeoutSeconds: plan.timeoutSeconds))
        } catch {
            unavailableReason = "cannot start scraping: \(error)"
        }
    }

    /// A deliberate scrape of every replica; after one gave up, the next edges wait briefly.
    /// Returns whether every replica answered in time.
    private func edge(_ scraper: MetricsScraper, waitSeconds: Double) -> Bool {
        let answered = scraper.scrapeNowAndWait(timeoutSeconds: waitSeconds, stopWhenReadable: signals?.descriptor)
        edgeWaitSeconds = answered ? ServerMetricsPolicy.edgeWaitSeconds : ServerMetricsPolicy.stalledEdgeWaitSeconds
        return answered
    }

    /// Sleeps, unless a signal is pending (left unread, for the runner).
    private func pause(seconds: Double) {
        let milliseconds = Int32((seconds * 1000).rounded())
        if let signals {
            var entry = pollfd(fd: signals.descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, milliseconds)
        } else {
            _ = ProcessResources.sleep(milliseconds: Int(milliseconds))
        }
    }
}
