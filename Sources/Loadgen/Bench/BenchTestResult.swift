/// What one benchmark test measured, with the seed's fields computed the right way.
public struct BenchTestResult: Sendable {
    /// The test that ran.
    public var test: BenchTest
    /// Everything its run measured.
    public var run: RunResult
    /// Successful requests' latencies in seconds, ascending (exact, not bucketed).
    public var latenciesSeconds: [Double]
    /// OK, DEGRADED, SATURATED, FAILING (paper Table 7), or INTERRUPTED.
    public var status: BenchStatus
    /// The numbers that decided the status, in words ("success 93.0% < 95%").
    public var statusReason: String
    /// The run was stopped by a signal before it finished.
    public var interrupted = false
    /// Wall-clock seconds (Unix) when the test started.
    public var startedAtWallSeconds: Double
    /// The server's metrics over the test's window and their cross-check with `run`.
    package var serverMetrics: WindowServerMetrics?

    /// A result for `test` from its run; the exact latencies come from `run.latencySamples`.
    public init(test: BenchTest, run: RunResult, status: BenchStatus, statusReason: String, startedAtWallSeconds: Double) {
        self.test = test
        self.run = run
        latenciesSeconds = run.latencySamples.map { Double($0) / 1e9 }.sorted()
        self.status = status
        self.statusReason = statusReason
        self.startedAtWallSeconds = startedAtWallSeconds
    }

    /// Linear interpolation over the exact latencies (see `Percentile`).
    public func latencyPercentile(_ p: Double) -> Double { Percentile.linear(latenciesSeconds, p) }
    /// Median latency in seconds (as the seed's `latency_p50`).
    public var latencyP50: Double { latencyPercentile(50) }
    /// 95th percentile latency in seconds.
    public var latencyP95: Double { latencyPercentile(95) }
    /// 99th percentile latency in seconds.
    public var latencyP99: Double { latencyPercentile(99) }
    /// Mean latency in seconds.
    public var latencyMean: Double {
        latenciesSeconds.isEmpty ? 0 : latenciesSeconds.reduce(0, +) / Double(latenciesSeconds.count)
    }
    /// Started requests (the seed's num_requests is the requests asked for; with Ctrl-C fewer start).
    public var successRate: Double { run.successRate }
    /// Tokens per second over the measured window (`RunResult.durationSeconds`).
    public var throughputTotal: Double { run.throughputTotal }
    /// Output tokens per second over the measured window.
    public var throughputOutput: Double { run.throughputOutput }
}
