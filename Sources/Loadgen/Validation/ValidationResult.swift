/// What `loadgen validate` measured: one run per level plus how it was set up.
public struct ValidationResult: Sendable {
    public struct Level: Sendable {
        public var concurrency: Int
        public var result: RunResult
        /// echo-server CPU microseconds per request over the level, when loadgen started it.
        public var serverCPUMicrosecondsPerRequest: Double?
        /// SIGINT or SIGTERM cut the level short: a fragment, not a measurement of the level.
        public var interrupted: Bool { result.interruptedBySignal != nil }
    }

    public var levels: [Level] = []
    public var plan: ValidationPlan
    public var url: String
    public var environment: EnvironmentInfo
    public var clientThreads: Int
    public var clientCPUs: CPURange?
    public var serverCPUs: CPURange?
    public var serverThreads: Int?
    /// PID of the echo-server loadgen started (stopped and reaped before the result is returned).
    public var serverPID: Int32?
    /// Set when the sweep was stopped by a signal; the levels so far are kept.
    public var interruptedBySignal: Int32?
    public var startedAtWallSeconds: Double

    /// The levels that ran to their end (an interrupted level's fragment is no measurement).
    public var completedLevels: [Level] { levels.filter { !$0.interrupted } }

    /// The completed level with the most requests per second.
    public var peak: Level? { completedLevels.max { $0.result.requestsPerSecond < $1.result.requestsPerSecond } }

    /// Peak requests/s divided by the target workload's requests/s.
    public var headroomFactor: Double {
        guard let peak else { return 0 }
        return peak.result.requestsPerSecond / plan.targetRequestsPerSecond
    }

    public var clientIsSufficient: Bool { headroomFactor >= SeedProtocol.Validation.sufficientHeadroomFactor }
}
