/// What `loadgen validate` measured: one run per level plus how it was set up.
public struct ValidationResult: Sendable {
    /// One concurrency level.
    public struct Level: Sendable {
        /// The level.
        public var concurrency: Int
        /// What it measured.
        public var result: RunResult
        /// echo-server CPU microseconds per request over the level, when loadgen started it.
        public var serverCPUMicrosecondsPerRequest: Double?
        /// The server's metrics over the level's window and their cross-check with `result`.
        package var serverMetrics: WindowServerMetrics?
        /// SIGINT or SIGTERM cut the level short: a fragment, not a measurement of the level.
        public var interrupted: Bool { result.interruptedBySignal != nil }
        /// The label of the level's window in the server-metrics table and timeline.
        package var metricsLabel: String { "c=\(concurrency)" }
    }

    /// The levels measured, in order.
    public var levels: [Level] = []
    /// What was asked for.
    public var plan: ValidationPlan
    /// The URL driven (the started echo server's, or `--url`).
    public var url: String
    /// The machine it ran on.
    public var environment: EnvironmentInfo
    /// Client event-loop threads.
    public var clientThreads: Int
    /// The CPUs the client was pinned to, when the CPUs were split ...
    public var clientCPUs: CPURange?
    /// ... and the started echo server's.
    public var serverCPUs: CPURange?
    /// The started echo server's threads (nil for a running server).
    public var serverThreads: Int?
    /// PID of the echo-server loadgen started (stopped and reaped before the result is returned).
    public var serverPID: Int32?
    /// Set when the sweep was stopped by a signal; the levels so far are kept.
    public var interruptedBySignal: Int32?
    /// Wall-clock (Unix seconds) start.
    public var startedAtWallSeconds: Double
    /// Every scrape of the server's metrics, for the timeline (nil: `--no-metrics`).
    package var serverMetrics: ServerMetricsRun?

    /// The levels' server figures, labelled, for the server-metrics table.
    package var serverMetricsWindows: [(label: String, metrics: WindowServerMetrics?)] {
        levels.map { ($0.metricsLabel + ($0.interrupted ? " (interrupted)" : ""), $0.serverMetrics) }
    }

    /// The levels that ran to their end (an interrupted level's fragment is no measurement).
    public var completedLevels: [Level] { levels.filter { !$0.interrupted } }

    /// The completed level with the most requests per second.
    public var peak: Level? { completedLevels.max { $0.result.requestsPerSecond < $1.result.requestsPerSecond } }

    /// Peak requests/s divided by the target workload's requests/s.
    public var headroomFactor: Double {
        guard let peak else { return 0 }
        return peak.result.requestsPerSecond / plan.targetRequestsPerSecond
    }

    /// The seed's verdict: the headroom is at least 10x, so the client does not distort the measurement.
    public var clientIsSufficient: Bool { headroomFactor >= SeedProtocol.Validation.sufficientHeadroomFactor }
}
