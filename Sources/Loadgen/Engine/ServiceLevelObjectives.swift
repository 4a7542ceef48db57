/// Per-request targets for goodput (as `vllm bench serve --goodput`): a successful request is
/// "good" when it meets every objective that is set. Goodput is good requests per second of the
/// run's wall-clock duration.
///
/// TTFT of a response that is not streamed is its whole latency (the first token arrives with the
/// last), and TPOT is known only for streamed responses, so such a request never meets a TPOT
/// objective.
public struct ServiceLevelObjectives: Sendable, Equatable {
    /// Time to first token at most this, in milliseconds.
    public var ttftMilliseconds: Double?
    /// Time per output token at most this, in milliseconds.
    public var tpotMilliseconds: Double?
    /// End-to-end latency at most this, in milliseconds.
    public var e2eMilliseconds: Double?

    /// Objectives; nil leaves a metric unbounded.
    public init(ttftMilliseconds: Double? = nil, tpotMilliseconds: Double? = nil, e2eMilliseconds: Double? = nil) {
        self.ttftMilliseconds = ttftMilliseconds
        self.tpotMilliseconds = tpotMilliseconds
        self.e2eMilliseconds = e2eMilliseconds
    }

    /// True when no metric is bounded.
    public var isEmpty: Bool { ttftMilliseconds == nil && tpotMilliseconds == nil && e2eMilliseconds == nil }

    func validate() throws(LoadgenError) {
        for (name, value) in [("ttft", ttftMilliseconds), ("tpot", tpotMilliseconds), ("e2e", e2eMilliseconds)] {
            if let value, !(value > 0 && value.isFinite) { throw .invalidPlan("the \(name) objective must be a positive number of milliseconds") }
        }
    }
}

/// The objectives in nanoseconds, `.max` where unset, so the check per request is three compares.
struct ObjectiveLimits: Sendable {
    let ttft: UInt64
    let tpot: UInt64
    let e2e: UInt64
    let enabled: Bool

    init(_ objectives: ServiceLevelObjectives?) {
        func limit(_ milliseconds: Double?) -> UInt64 {
            guard let milliseconds else { return .max }
            return UInt64(min(milliseconds, 1e12) * 1e6)
        }
        ttft = limit(objectives?.ttftMilliseconds)
        tpot = limit(objectives?.tpotMilliseconds)
        e2e = limit(objectives?.e2eMilliseconds)
        enabled = !(objectives?.isEmpty ?? true)
    }

    /// Whether a request with these times is good. `tpot` nil: not streamed (or one token).
    @inline(__always)
    func met(ttft: UInt64, tpot: UInt64?, e2e: UInt64) -> Bool {
        guard ttft <= self.ttft, e2e <= self.e2e else { return false }
        if self.tpot == .max { return true }
        guard let tpot else { return false }
        return tpot <= self.tpot
    }
}
