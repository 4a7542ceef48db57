/// Classifies a test as the paper's Table 7 does, with its phase-relative rules:
///
/// FAILING if success < 95%; else DEGRADED if p99 > 2x the baseline p99, in SCALING only (the
/// baseline p99 is passed to no other phase); else SATURATED if total tokens/s < 1.05x the previous
/// level's, in SCALING and SATURATION (the first level of each has no previous); else OK. The
/// thresholds are the seed's, from `SeedProtocol`.
enum BenchStatusRule {
    static let minimumSuccessRate = SeedProtocol.Bench.minimumSuccessRate
    static let degradedFactor = SeedProtocol.Bench.degradedFactor
    static let saturatedFactor = SeedProtocol.saturatedFactor

    /// The status and the reason for it, in words with the numbers that decided it.
    static func classify(phase: BenchPhase, successRate: Double, p99Seconds: Double,
                                baselineP99Seconds: Double?, throughputTotal: Double,
                                previousThroughputTotal: Double?) -> (status: BenchStatus, reason: String) {
        if successRate < minimumSuccessRate {
            return (.failing, "success \(percent(successRate)) < \(wholePercent(minimumSuccessRate))")
        }
        if phase == .scaling, let baseline = baselineP99Seconds, baseline > 0, p99Seconds > degradedFactor * baseline {
            return (.degraded, "p99 \(milliseconds(p99Seconds)) > \(factor(degradedFactor)) x baseline p99 \(milliseconds(baseline))")
        }
        if phase == .scaling || phase == .saturation, let previous = previousThroughputTotal,
           throughputTotal < saturatedFactor * previous {
            return (.saturated, "\(tokens(throughputTotal)) tok/s < \(factor(saturatedFactor)) x previous \(tokens(previous)) tok/s")
        }
        var reason = "success \(percent(successRate))"
        if phase == .scaling, let baseline = baselineP99Seconds, baseline > 0 {
            reason += ", p99 \(Format.fixed(p99Seconds / baseline, decimals: 2))x baseline"
        }
        if (phase == .scaling || phase == .saturation), let previous = previousThroughputTotal, previous > 0 {
            reason += ", \(Format.fixed(throughputTotal / previous, decimals: 2))x previous tok/s"
        }
        return (.ok, reason)
    }

    private static func percent(_ rate: Double) -> String { Format.percent(rate) }
    /// A threshold as the seed writes it: "95%", "2", "1.05".
    static func wholePercent(_ rate: Double) -> String { Format.fixed(rate * 100, decimals: 2, trimZeros: true) + "%" }
    static func factor(_ value: Double) -> String { Format.fixed(value, decimals: 2, trimZeros: true) }
    private static func milliseconds(_ seconds: Double) -> String { Format.milliseconds(seconds * 1000) + " ms" }
    private static func tokens(_ value: Double) -> String { Format.rate(value) }
}
