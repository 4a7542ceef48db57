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
    /// How the rate moves over the run (`rate` is then unused but for reports: set it to
    /// `meanRate`); steady by default.
    public var profile: RateProfile = .steady
    /// A replay: the send times in seconds from the start, one per request, never decreasing (a
    /// trace's timestamps over its speed). Rate, process and profile do not apply; after the
    /// last time nothing more is sent.
    public var timetable: [Double]?

    /// A schedule of `rate` requests per second; `seed` fixes the gaps drawn.
    public init(rate: Double, process: Process = .poisson, seed: UInt64 = 0) {
        self.rate = rate
        self.process = process
        self.seed = seed
    }

    /// Replays `sendTimes` (seconds from the start, in order).
    public init(timetable sendTimes: [Double]) {
        self.init(rate: 1, process: .constant)
        timetable = sendTimes
        rate = Self.meanRate(of: sendTimes)
    }

    /// The rate a profile averages over its length (for reports and `rate`).
    public static func meanRate(of profile: RateProfile) -> Double {
        profile.seconds > 0 ? profile.expectedArrivals(inFirst: profile.seconds, steadyRate: 0) / profile.seconds : 0
    }

    /// Requests per second over a timetable's span (its count, if it lasts no time at all).
    static func meanRate(of sendTimes: [Double]) -> Double {
        guard let last = sendTimes.last, let first = sendTimes.first, last > first else { return Double(max(sendTimes.count, 1)) }
        return Double(sendTimes.count - 1) / (last - first)
    }

    func validate() throws(LoadgenError) {
        if let timetable {
            guard !timetable.isEmpty else { throw .invalidPlan("a replay needs at least one send time") }
            var previous = 0.0
            for time in timetable {
                guard time >= previous, time.isFinite else { throw .invalidPlan("a replay's send times must start at 0 or later and never go back") }
                previous = time
            }
            return
        }
        try profile.validate()
        guard rate > 0, rate.isFinite else { throw .invalidPlan("the arrival rate must be positive") }
        guard rate <= 10_000_000 else { throw .invalidPlan("the arrival rate must be at most 10,000,000 requests/s") }
        if case .gamma(let shape) = process {
            guard shape > 0, shape.isFinite else { throw .invalidPlan("the burstiness (gamma shape) must be positive") }
        }
    }

    /// The mean gap in seconds.
    var meanGapSeconds: Double { 1 / rate }
}
