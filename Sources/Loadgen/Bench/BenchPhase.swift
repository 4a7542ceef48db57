/// The phases of the progressive benchmark, in order (seed `unified_benchmark.py`, paper 5.1).
public enum BenchPhase: String, Sendable, Equatable, CaseIterable {
    /// One request to wake the model; recorded, labelled, excluded from comparisons.
    case warmup = "WARMUP"
    /// Concurrency 1: its p99 is the DEGRADED reference for SCALING.
    case baseline = "BASELINE"
    /// Rising concurrency; stops early on SATURATED or FAILING.
    case scaling = "SCALING"
    /// Edge cases: long output, long context, vision.
    case stress = "STRESS"
    /// Extreme concurrency, to find the breaking point.
    case saturation = "SATURATION"
}

/// A test's classification (paper Table 7), with phase-relative rules (`meaning` states them).
public enum BenchStatus: String, Sendable, Equatable {
    /// Success >= 95% and no other rule applies.
    case ok = "OK"
    /// SCALING only: p99 above twice the BASELINE p99.
    case degraded = "DEGRADED"
    /// SCALING and SATURATION: total tok/s under 1.05x the previous level's.
    case saturated = "SATURATED"
    /// Success under 95%.
    case failing = "FAILING"
    /// Not one of the paper's: SIGINT or SIGTERM cut the test short, so it is not classified (its
    /// cancelled requests would have made it FAILING) and is left out of the peak and saturation.
    case interrupted = "INTERRUPTED"

    /// The legend printed in reports.
    public var meaning: String {
        switch self {
        case .ok: "normal operation: success >= \(successThreshold), latency acceptable"
        case .degraded: "p99 > \(BenchStatusRule.factor(BenchStatusRule.degradedFactor))x the baseline p99 (SCALING only): the expected latency cost of concurrency"
        case .saturated: "total tokens/s < \(BenchStatusRule.factor(BenchStatusRule.saturatedFactor))x the previous level's (SCALING, SATURATION): throughput plateau"
        case .failing: "success < \(successThreshold): requests are failing, reduce load"
        case .interrupted: "stopped by Ctrl-C (SIGINT) or SIGTERM before it finished: not classified, left out of the peak and saturation point"
        }
    }

    private var successThreshold: String { BenchStatusRule.wholePercent(BenchStatusRule.minimumSuccessRate) }
}
