import Glibc

/// How an open loop's rate moves during a run: steady, ramped (vLLM's `--ramp-up-strategy`), or
/// in stages of fixed rates.
///
/// The schedule is exact for every profile by time rescaling: the arrivals of a process at rate
/// 1 (constant, Poisson or gamma gaps of mean 1) are drawn as before, and arrival s of it is sent
/// at the time t where the expected count so far, Λ(t) = ∫ rate, reaches s. So a Poisson profile is
/// a true inhomogeneous Poisson process, and a constant one sends at exact quantiles of the rate,
/// with no error at stage edges. (vLLM moves the rate per request index, not per second, so its
/// ramp's shape in time depends on the rates themselves.) After the profile's end the rate stays
/// at its last value.
public enum RateProfile: Sendable, Equatable {
    /// `OpenLoopArrivals.rate` throughout.
    case steady
    /// From `from` to `to` requests/s, linearly over `seconds`.
    case linear(from: Double, to: Double, seconds: Double)
    /// From `from` to `to` requests/s, by a constant factor per second, over `seconds`.
    case exponential(from: Double, to: Double, seconds: Double)
    /// Each stage's rate for its seconds, in order.
    case stages([RateStage])

    /// The expected number of arrivals in the first `seconds` (Λ), for tests and the mean rate.
    public func expectedArrivals(inFirst seconds: Double, steadyRate: Double) -> Double {
        switch self {
        case .steady: return steadyRate * seconds
        case .linear(let r0, let r1, let span):
            let t = min(seconds, span)
            return r0 * t + (r1 - r0) * t * t / (2 * span) + r1 * max(seconds - span, 0)
        case .exponential(let r0, let r1, let span):
            let t = min(seconds, span)
            let k = log(r1 / r0) / span
            let ramp = abs(k) < 1e-12 ? r0 * t : r0 * (exp(k * t) - 1) / k
            return ramp + r1 * max(seconds - span, 0)
        case .stages(let stages):
            var total = 0.0
            var start = 0.0
            for stage in stages {
                total += stage.rate * max(min(seconds - start, stage.seconds), 0)
                start += stage.seconds
            }
            return total + (stages.last?.rate ?? 0) * max(seconds - start, 0)
        }
    }

    /// The profile's own length in seconds (0 for steady).
    public var seconds: Double {
        switch self {
        case .steady: 0
        case .linear(_, _, let span), .exponential(_, _, let span): span
        case .stages(let stages): stages.reduce(0) { $0 + $1.seconds }
        }
    }

    /// The rate at `seconds` from the start.
    public func rate(at seconds: Double, steadyRate: Double) -> Double {
        switch self {
        case .steady: return steadyRate
        case .linear(let r0, let r1, let span): return seconds >= span ? r1 : r0 + (r1 - r0) * seconds / span
        case .exponential(let r0, let r1, let span): return seconds >= span ? r1 : r0 * pow(r1 / r0, seconds / span)
        case .stages(let stages):
            var start = 0.0
            for stage in stages {
                if seconds < start + stage.seconds { return stage.rate }
                start += stage.seconds
            }
            return stages.last?.rate ?? 0
        }
    }

    /// Checks the rates and lengths.
    func validate() throws(LoadgenError) {
        switch self {
        case .steady: return
        case .linear(let r0, let r1, let span):
            guard r0 >= 0, r1 >= 0, r0.isFinite, r1.isFinite, r0 + r1 > 0 else {
                throw .invalidPlan("a linear ramp's rates must be zero or positive, and not both zero")
            }
            guard span > 0, span.isFinite else { throw .invalidPlan("a ramp needs a positive duration") }
        case .exponential(let r0, let r1, let span):
            guard r0 > 0, r1 > 0, r0.isFinite, r1.isFinite else { throw .invalidPlan("an exponential ramp's rates must be positive") }
            guard span > 0, span.isFinite else { throw .invalidPlan("a ramp needs a positive duration") }
        case .stages(let stages):
            guard !stages.isEmpty else { throw .invalidPlan("--stages needs at least one RATE:DURATION") }
            for stage in stages {
                guard stage.rate >= 0, stage.rate.isFinite, stage.rate <= 10_000_000 else {
                    throw .invalidPlan("a stage's rate must be from 0 to 10,000,000 requests/s")
                }
                guard stage.seconds > 0, stage.seconds.isFinite else { throw .invalidPlan("a stage's duration must be positive") }
            }
            guard stages.contains(where: { $0.rate > 0 }) else { throw .invalidPlan("every stage has rate 0: nothing would be sent") }
        }
    }

    /// For people: "linear 1 -> 10 req/s over 60 s", "stages 5:30s,10:30s".
    public var description: String {
        switch self {
        case .steady: "steady"
        case .linear(let r0, let r1, let span): "linear \(Format.rate(r0)) -> \(Format.rate(r1)) req/s over \(Format.fixed(span, decimals: 1)) s"
        case .exponential(let r0, let r1, let span): "exponential \(Format.rate(r0)) -> \(Format.rate(r1)) req/s over \(Format.fixed(span, decimals: 1)) s"
        case .stages(let stages): "stages " + stages.map { "\(Format.rate($0.rate)):\(Format.fixed($0.seconds, decimals: 1))s" }.joined(separator: ",")
        }
    }
}

/// One step of `RateProfile.stages`.
public struct RateStage: Sendable, Equatable {
    /// Requests per second during the stage.
    public var rate: Double
    /// How long the stage lasts.
    public var seconds: Double

    /// A stage of `rate` requests per second for `seconds`.
    public init(rate: Double, seconds: Double) {
        self.rate = rate
        self.seconds = seconds
    }
}

/// Maps arrival s of a rate-1 process to its send time: Λ⁻¹(s) of a profile, in closed form for
/// every piece (linear: the root of a quadratic; exponential: a logarithm; stages: a division),
/// walking forward only, as arrival times only grow.
struct RateProfileClock {
    private let profile: RateProfile
    private let steadyRate: Double
    /// Stages: the one the last arrival fell in, with the seconds and arrivals before it.
    private var stage = 0
    private var stageStartSeconds = 0.0
    private var stageStartArrivals = 0.0

    init(_ profile: RateProfile, steadyRate: Double) {
        self.profile = profile
        self.steadyRate = steadyRate
    }

    /// The seconds from the start at which the expected arrivals reach `arrivals`.
    mutating func seconds(atArrivals arrivals: Double) -> Double {
        switch profile {
        case .steady:
            return arrivals / steadyRate
        case .linear(let r0, let r1, let span):
            let rampArrivals = (r0 + r1) / 2 * span
            if arrivals >= rampArrivals { return span + (arrivals - rampArrivals) / r1 }
            // r0 t + a t² = s with a = (r1 - r0) / (2 span); the stable root 2s / (r0 + √(r0² + 4as)).
            let a = (r1 - r0) / (2 * span)
            return 2 * arrivals / (r0 + (r0 * r0 + 4 * a * arrivals).squareRoot())
        case .exponential(let r0, let r1, let span):
            let k = log(r1 / r0) / span
            let rampArrivals = abs(k) < 1e-12 ? r0 * span : r0 * (exp(k * span) - 1) / k
            if arrivals >= rampArrivals { return span + (arrivals - rampArrivals) / r1 }
            return abs(k) < 1e-12 ? arrivals / r0 : log(1 + k * arrivals / r0) / k
        case .stages(let stages):
            while stage < stages.count {
                let current = stages[stage]
                let inStage = current.rate * current.seconds
                if arrivals < stageStartArrivals + inStage, current.rate > 0 {
                    return stageStartSeconds + (arrivals - stageStartArrivals) / current.rate
                }
                stageStartArrivals += inStage
                stageStartSeconds += current.seconds
                stage += 1
            }
            let last = stages.last!.rate
            // Past the last stage the rate stays; a last stage of 0 sends nothing more.
            return last > 0 ? stageStartSeconds + (arrivals - stageStartArrivals) / last : .infinity
        }
    }
}
