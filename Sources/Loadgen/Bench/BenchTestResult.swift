/// What one benchmark test measured, with the seed's fields computed the right way.
public struct BenchTestResult: Sendable {
    public var test: BenchTest
    public var run: RunResult
    /// Successful requests' latencies in seconds, ascending (exact, not bucketed).
    public var latenciesSeconds: [Double]
    public var status: BenchStatus
    public var statusReason: String
    /// The run was stopped by a signal before it finished.
    public var interrupted = false
    /// Wall-clock seconds (Unix) when the test started.
    public var startedAtWallSeconds: Double

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
    public var latencyP50: Double { latencyPercentile(50) }
    public var latencyP95: Double { latencyPercentile(95) }
    public var latencyP99: Double { latencyPercentile(99) }
    public var latencyMean: Double {
        latenciesSeconds.isEmpty ? 0 : latenciesSeconds.reduce(0, +) / Double(latenciesSeconds.count)
    }
    /// Started requests (the seed's num_requests is the requests asked for; with Ctrl-C fewer start).
    public var successRate: Double { run.successRate }
    /// Tokens per second over the measured window (`RunResult.durationSeconds`).
    public var throughputTotal: Double { run.throughputTotal }
    public var throughputOutput: Double { run.throughputOutput }
}
