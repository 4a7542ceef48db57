/// A whole benchmark: configuration, environment, every test's result, and the summary.
public struct BenchResult: Sendable {
    /// What was asked for.
    public var config: BenchConfig
    /// The machine it ran on.
    public var environment: EnvironmentInfo
    /// Every test that ran, in order (WARMUP included).
    public var results: [BenchTestResult] = []
    /// False when the run was interrupted (the results so far are kept).
    public var complete = false
    /// SIGINT or SIGTERM, when one stopped the benchmark.
    public var interruptedBySignal: Int32?
    /// Why the benchmark stopped early without a signal (the server cannot be reached).
    public var abortReason: String?
    /// Wall-clock (Unix seconds) start of the benchmark ...
    public var startedAtWallSeconds: Double
    /// ... and its end.
    public var endedAtWallSeconds: Double = 0
    /// Every scrape of the server's metrics, for the timeline (nil: not asked for).
    package var serverMetrics: ServerMetricsRun?

    /// The tests' server figures, labelled by test name, for the server-metrics table.
    package var serverMetricsWindows: [(label: String, metrics: WindowServerMetrics?)] {
        results.map { ($0.test.name + ($0.interrupted ? " (interrupted)" : ""), $0.serverMetrics) }
    }

    /// An empty result, before the first test.
    public init(config: BenchConfig, environment: EnvironmentInfo, startedAtWallSeconds: Double) {
        self.config = config
        self.environment = environment
        self.startedAtWallSeconds = startedAtWallSeconds
    }

    /// The levels that sweep concurrency, SCALING then SATURATION, that ran to their end.
    public var levelResults: [BenchTestResult] {
        results.filter { ($0.test.phase == .scaling || $0.test.phase == .saturation) && !$0.interrupted }
    }

    /// The level with the highest total tokens/s.
    public var peak: BenchTestResult? {
        levelResults.max { $0.throughputTotal < $1.throughputTotal }
    }

    /// The first SATURATED level.
    public var saturationPoint: BenchTestResult? {
        levelResults.first { $0.status == .saturated }
    }

    /// The BASELINE p99 in seconds, the DEGRADED reference.
    public var baselineP99: Double? {
        results.first { $0.test.phase == .baseline && !$0.interrupted }.map(\.latencyP99)
    }
}
