/// What a sweep measured: every level of every run, kept raw so statistics and comparisons can be
/// recomputed from the file.
public struct SweepResult: Sendable {
    /// One level of one run.
    public struct LevelRun: Sendable {
        public var concurrency: Int
        public var result: RunResult
        /// Successful latencies in seconds, ascending.
        public var latenciesSeconds: [Double]

        public init(concurrency: Int, result: RunResult) {
            self.concurrency = concurrency
            self.result = result
            latenciesSeconds = result.latencySamples.map { Double($0) / 1e9 }.sorted()
        }
    }

    /// One pass over the levels.
    public struct Run: Sendable {
        public var index: Int
        public var startedAtWallSeconds: Double
        /// Seconds from starting the restart command to the server answering ready.
        public var restartSeconds: Double?
        public var levels: [LevelRun] = []
    }

    public var plan: SweepPlan
    public var environment: EnvironmentInfo
    public var runs: [Run] = []
    public var complete = false
    public var interruptedBySignal: Int32?
    /// Why the sweep ended early without a signal (e.g. the server never became ready).
    public var abortReason: String?
    public var startedAtWallSeconds: Double

    public init(plan: SweepPlan, environment: EnvironmentInfo, startedAtWallSeconds: Double) {
        self.plan = plan
        self.environment = environment
        self.startedAtWallSeconds = startedAtWallSeconds
    }
}
