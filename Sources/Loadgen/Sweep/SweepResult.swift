/// What a sweep measured: every level of every run, kept raw so statistics and comparisons can be
/// recomputed from the file.
public struct SweepResult: Sendable {
    /// One level of one run.
    public struct LevelRun: Sendable {
        /// The level.
        public var concurrency: Int
        /// What it measured.
        public var result: RunResult
        /// Successful latencies in seconds, ascending.
        public var latenciesSeconds: [Double]
        /// The server's metrics over the level's window and their cross-check with `result`.
        package var serverMetrics: WindowServerMetrics?

        /// A level's run; the exact latencies come from `result.latencySamples`.
        public init(concurrency: Int, result: RunResult) {
            self.concurrency = concurrency
            self.result = result
            latenciesSeconds = result.latencySamples.map { Double($0) / 1e9 }.sorted()
        }
    }

    /// One pass over the levels.
    public struct Run: Sendable {
        /// The run's number, from 1.
        public var index: Int
        /// Wall-clock (Unix seconds) start of the run.
        public var startedAtWallSeconds: Double
        /// Seconds from starting the restart command to the server answering ready.
        public var restartSeconds: Double?
        /// Its levels, in order (the last one cut short when a signal stopped the sweep).
        public var levels: [LevelRun] = []
    }

    /// What was asked for.
    public var plan: SweepPlan
    /// The machine it ran on.
    public var environment: EnvironmentInfo
    /// Every run, in order.
    public var runs: [Run] = []
    /// False when a signal or an abort ended the sweep early.
    public var complete = false
    /// SIGINT or SIGTERM, when one stopped the sweep.
    public var interruptedBySignal: Int32?
    /// Why the sweep ended early without a signal (e.g. the server never became ready).
    public var abortReason: String?
    /// Wall-clock (Unix seconds) start of the sweep.
    public var startedAtWallSeconds: Double
    /// Every scrape of the server's metrics, for the timeline (nil: not asked for).
    package var serverMetrics: ServerMetricsRun?

    /// Every level's server figures, labelled "run R c=N", for the server-metrics table.
    package var serverMetricsWindows: [(label: String, metrics: WindowServerMetrics?)] {
        runs.flatMap { run in
            run.levels.map { (Self.metricsLabel(run: run.index, concurrency: $0.concurrency)
                + ($0.result.interruptedBySignal != nil ? " (interrupted)" : ""), $0.serverMetrics) }
        }
    }

    /// A level's label in the server-metrics table and timeline.
    package static func metricsLabel(run: Int, concurrency: Int) -> String { "run \(run) c=\(concurrency)" }

    /// An empty result, before the first run.
    public init(plan: SweepPlan, environment: EnvironmentInfo, startedAtWallSeconds: Double) {
        self.plan = plan
        self.environment = environment
        self.startedAtWallSeconds = startedAtWallSeconds
    }
}
