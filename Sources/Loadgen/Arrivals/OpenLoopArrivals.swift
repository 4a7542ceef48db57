/// Open-loop load: requests are sent on a schedule fixed in advance, whatever the server does.
///
/// The schedule is a sequence of absolute send times (the run's start plus a running sum of gaps
/// drawn from the process), so a late wakeup never shifts the requests after it, and latency is
/// counted from each request's scheduled time: time a request spends waiting because every
/// connection is busy is part of what a user would see (coordinated omission corrected, as wrk2
/// does). The client's own delay before each send is reported apart, as the send lag.
public struct OpenLoopArrivals: Sendable, Equatable {
    /// How the gaps between arrivals are drawn.
    public enum Process: Sendable, Equatable {
        /// Every gap is exactly 1 / rate.
        case constant
        /// Exponential gaps: a Poisson process (gamma with shape 1).
        case poisson
        /// Gamma gaps with this shape and mean 1 / rate, as `vllm bench serve --burstiness`: below 1
        /// the arrivals come in bursts, above 1 they are more even than Poisson.
        case gamma(shape: Double)
    }

    /// Requests per second across all threads.
    public var rate: Double
    /// The distribution of the gaps between sends.
    public var process: Process
    /// The schedule depends only on this (and the rate and process), never on timing.
    public var seed: UInt64

    /// A schedule of `rate` requests per second; `seed` fixes the gaps drawn.
    public init(rate: Double, process: Process = .poisson, seed: UInt64 = 0) {
        self.rate = rate
        self.process = process
        self.seed = seed
    }

    func validate() throws(LoadgenError) {
        guard rate > 0, rate.isFinite else { throw .invalidPlan("the arrival rate must be positive") }
        guard rate <= 10_000_000 else { throw .invalidPlan("the arrival rate must be at most 10,000,000 requests/s") }
        if case .gamma(let shape) = process {
            guard shape > 0, shape.isFinite else { throw .invalidPlan("the burstiness (gamma shape) must be positive") }
        }
    }

    /// The mean gap in seconds.
    var meanGapSeconds: Double { 1 / rate }
}
