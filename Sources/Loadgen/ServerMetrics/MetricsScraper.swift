import CEpoll
import Glibc

/// Scrapes the Prometheus endpoints of one or more replicas every interval while a run goes on,
/// each on its own thread and its own connection, so a slow metrics endpoint cannot slow the load.
///
/// ```swift
/// let scraper = try MetricsScraper(.init(targets: [try HTTPTarget(url: "http://127.0.0.1:8000/metrics")]))
/// scraper.scrapeNowAndWait()                // a reading just before the window starts
/// let result = try LoadRun.run(plan)
/// scraper.scrapeNowAndWait()                // and one just after it ends
/// let recording = scraper.stop()
/// let summary = ServerMetricsSummary(recording, window: MetricsWindow(label: "c=16", result: result)!)
/// print(summary.crossCheck(ClientWindowFigures(result)).statements)
/// ```
///
/// Create it after the process's `SignalWatcher` (as the load loops are): its threads then
/// inherit SIGINT and SIGTERM blocked, so Ctrl-C still reaches the watcher and not a scraper.
///
/// Every scrape is stamped with `Clock.monotonicNanoseconds` before and after, the clock the
/// engine stamps its measured window with, so scrapes and windows line up without conversion.
/// A scrape that times out, is refused, answers non-200, closes early or returns garbage is
/// recorded as a `ScrapeFailure` at its time and the next tick goes on. `stop()` returns within
/// milliseconds even mid-scrape: each thread waits on an eventfd beside its socket.
final class MetricsScraper: Sendable {
    struct Configuration: Sendable {
        /// One metrics URL per replica (behind a router: every replica's own endpoint).
        var targets: [HTTPTarget]
        /// Time between scrape starts (1 s by default, as issue 18 asks).
        var intervalSeconds: Double
        /// A scrape with no complete answer by then is recorded as timed out.
        var timeoutSeconds: Double
        /// Larger answers are refused (vLLM 0.32's is about 50 KB for one engine).
        var maximumBodyBytes: Int
        /// How https targets are verified (the run's --cacert, --insecure, --cert/--key).
        var tls: TLSClientConfiguration

        init(targets: [HTTPTarget], intervalSeconds: Double = ServerMetricsPolicy.defaultIntervalSeconds,
                    timeoutSeconds: Double = ServerMetricsPolicy.defaultTimeoutSeconds,
                    maximumBodyBytes: Int = ServerMetricsPolicy.defaultMaximumBodyBytes,
                    tls: TLSClientConfiguration = TLSClientConfiguration()) {
            self.targets = targets
            self.intervalSeconds = intervalSeconds
            self.timeoutSeconds = timeoutSeconds
            self.maximumBodyBytes = maximumBodyBytes
            self.tls = tls
        }
    }

    let configuration: Configuration
    private let workers: [ReplicaScraper]
    private let threads: LockedValue<[Thread.Handle]>
    /// Readable once stop() is called, never drained: every worker's waits end on it.
    private let stopEvent: FileDescriptor
    private let originNanoseconds: UInt64
    private let originUnixSeconds: Double

    /// Starts one scraping thread per target; the first scrape of each begins at once.
    init(_ configuration: Configuration) throws(SystemError) {
        self.configuration = configuration
        stopEvent = FileDescriptor(rawValue: try syscall("eventfd") { CEpoll_eventfd() })
        originNanoseconds = Clock.monotonicNanoseconds()
        originUnixSeconds = Clock.wallSeconds()
        var workers: [ReplicaScraper] = []
        var handles: [Thread.Handle] = []
        do {
            for target in configuration.targets {
                let worker = try ReplicaScraper(target: target, configuration: configuration, stopEvent: stopEvent)
                workers.append(worker)
                handles.append(try Thread { worker.run() }.handle)
            }
        } catch {
            Self.signal(stopEvent)
            for handle in handles { Thread.join(handle) }
            stopEvent.close()
            throw error
        }
        self.workers = workers
        threads = LockedValue(handles)
    }

    deinit {
        _ = stop()
        stopEvent.close()
    }

    /// Asks every replica for a scrape now, outside the schedule (the next ones follow at the
    /// interval from this one): call it just before a window starts and just after it ends, so
    /// the counters' deltas are bracketed within milliseconds rather than up to an interval.
    func scrapeNow() {
        for worker in workers { Self.signal(worker.nowEvent) }
    }

    /// `scrapeNow()`, then waits until every replica has recorded a scrape sent after this call
    /// (good or failed), or `timeoutSeconds` pass. Returns whether all did. For window edges:
    /// call it before a level's first send (the baseline is then taken and answered) and after
    /// its last completion (after a short pause if the server updates its counters a moment
    /// after answering, as vLLM's API process does once per engine step).
    /// `stopWhenReadable` (a signalfd) ends the wait early without reading it, so a Ctrl-C
    /// stays pending for the caller.
    @discardableResult
    func scrapeNowAndWait(timeoutSeconds: Double = ServerMetricsPolicy.defaultTimeoutSeconds + 1,
                          stopWhenReadable: FileDescriptor? = nil) -> Bool {
        let asked = Clock.monotonicNanoseconds()
        scrapeNow()
        let deadline = asked + Clock.nanoseconds(seconds: timeoutSeconds)
        while true {
            let done = workers.allSatisfy { worker in
                worker.recording.withLock { ($0.scrapes.last?.startedNanoseconds ?? 0) >= asked }
            }
            if done { return true }
            if Clock.monotonicNanoseconds() >= deadline || threads.withLock({ $0.isEmpty }) { return false }
            if let stopWhenReadable {
                var entry = pollfd(fd: stopWhenReadable.rawValue, events: Int16(POLLIN), revents: 0)
                if poll(&entry, 1, 2) > 0 { return false }
            } else {
                _ = ProcessResources.sleep(milliseconds: 2)
            }
        }
    }

    /// Everything recorded so far (the scraper goes on).
    func recording() -> ServerMetricsRecording {
        ServerMetricsRecording(replicas: workers.map { $0.recording.withLock { $0 } },
                               intervalSeconds: configuration.intervalSeconds,
                               originNanoseconds: originNanoseconds, originUnixSeconds: originUnixSeconds)
    }

    /// Stops every thread (promptly, even mid-scrape; an interrupted scrape is not recorded) and
    /// returns the recording. Calling it again returns the same recording.
    @discardableResult
    func stop() -> ServerMetricsRecording {
        let handles = threads.withLock { handles in
            let taken = handles
            handles = []
            return taken
        }
        if !handles.isEmpty {
            Self.signal(stopEvent)
            for handle in handles { Thread.join(handle) }
        }
        return recording()
    }

    /// One scrape of `target`, to decide whether it serves Prometheus text before a run (the
    /// default `BASE/metrics` is only used when it does). Nil when it does; the failure otherwise.
    static func probe(_ target: HTTPTarget, timeoutSeconds: Double = ServerMetricsPolicy.defaultTimeoutSeconds,
                      tls: TLSClientConfiguration = TLSClientConfiguration()) -> ScrapeFailure? {
        let context: TLSClientContext?
        do { context = try HTTPFetch.tlsContext(for: target, tls) } catch {
            return .tls(reason: error.description)
        }
        switch MetricsFetch.scrape(target, timeoutSeconds: timeoutSeconds,
                                   maximumBodyBytes: ServerMetricsPolicy.defaultMaximumBodyBytes, cancelWhenReadable: nil, tls: context) {
        case .success: return nil
        case .failure(let failure): return failure
        case nil: return .closed
        }
    }

    fileprivate static func signal(_ event: FileDescriptor) {
        var one: UInt64 = 1
        _ = Glibc.write(event.rawValue, &one, 8)
    }
}

/// The thread-side state of one replica: its schedule, its wake-up eventfd, its recording.
private final class ReplicaScraper: Sendable {
    let target: HTTPTarget
    let intervalNanoseconds: UInt64
    let timeoutSeconds: Double
    let maximumBodyBytes: Int
    let stopEvent: FileDescriptor
    /// Written by scrapeNow(), drained by the worker.
    let nowEvent: FileDescriptor
    let recording: LockedValue<ReplicaMetricsRecording>
    /// https: the context every scrape uses, made once (or why it could not be, recorded as each
    /// scrape's failure); nil for http.
    let tls: Result<TLSClientContext?, ScrapeFailure>

    init(target: HTTPTarget, configuration: MetricsScraper.Configuration, stopEvent: FileDescriptor) throws(SystemError) {
        self.target = target
        do { tls = .success(try HTTPFetch.tlsContext(for: target, configuration.tls)) } catch {
            tls = .failure(.tls(reason: error.description))
        }
        // At least 10 ms between scrapes: an interval of 0 would spin on the endpoint.
        intervalNanoseconds = max(Clock.nanoseconds(seconds: configuration.intervalSeconds), 10_000_000)
        timeoutSeconds = configuration.timeoutSeconds
        maximumBodyBytes = configuration.maximumBodyBytes
        self.stopEvent = stopEvent
        nowEvent = FileDescriptor(rawValue: try syscall("eventfd") { CEpoll_eventfd() })
        recording = LockedValue(ReplicaMetricsRecording(url: target.url))
    }

    deinit { nowEvent.close() }

    func run() {
        var next = Clock.monotonicNanoseconds()
        while true {
            switch waitUntil(next) {
            case .stop: return
            case .due, .asked: break
            }
            let started = Clock.monotonicNanoseconds()
            let outcome: Result<PrometheusExposition, ScrapeFailure>
            switch tls {
            case .failure(let failure): outcome = .failure(failure)
            case .success(let context):
                guard let scraped = MetricsFetch.scrape(target, timeoutSeconds: timeoutSeconds, maximumBodyBytes: maximumBodyBytes,
                                                        cancelWhenReadable: stopEvent, tls: context) else { return }
                outcome = scraped
            }
            let ended = Clock.monotonicNanoseconds()
            recording.withLock { recording in
                switch outcome {
                case .success(let exposition): recording.record(exposition, startedNanoseconds: started, endedNanoseconds: ended)
                case .failure(let failure): recording.recordFailure(failure, startedNanoseconds: started, endedNanoseconds: ended)
                }
            }
            // Fixed rate from this scrape's start; ticks a slow scrape overran are skipped, not
            // bunched up (a stalled endpoint gets one request per interval at most).
            next = started + intervalNanoseconds
            if next < ended { next = ended + intervalNanoseconds - (ended - started) % intervalNanoseconds }
        }
    }

    private enum Wake { case due, asked, stop }

    private func waitUntil(_ deadline: UInt64) -> Wake {
        while true {
            var entries = [pollfd(fd: stopEvent.rawValue, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: nowEvent.rawValue, events: Int16(POLLIN), revents: 0)]
            let now = Clock.monotonicNanoseconds()
            let milliseconds = now >= deadline ? 0 : Int32(min((deadline - now + 999_999) / 1_000_000, 1000))
            let ready = poll(&entries, 2, milliseconds)
            if ready > 0 {
                if entries[0].revents != 0 { return .stop }
                var count: UInt64 = 0
                _ = Glibc.read(nowEvent.rawValue, &count, 8)
                return .asked
            }
            if Clock.monotonicNanoseconds() >= deadline { return .due }
        }
    }
}
