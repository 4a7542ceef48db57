/// Welch's unequal-variances t-test between two samples, the paper's A/B comparison.
struct WelchTest: Sendable, Equatable {
    let t: Double
    /// Welch-Satterthwaite degrees of freedom.
    let degreesOfFreedom: Double
    /// Two-sided p-value; nil when it is undefined (fewer than two values on a side, or no variance).
    let pValue: Double?

    init(_ a: SampleStatistics, _ b: SampleStatistics) {
        guard a.count >= 2, b.count >= 2 else {
            t = .nan
            degreesOfFreedom = .nan
            pValue = nil
            return
        }
        let va = a.standardDeviation * a.standardDeviation / Double(a.count)
        let vb = b.standardDeviation * b.standardDeviation / Double(b.count)
        guard va + vb > 0 else {
            // Two constant samples: identical means cannot be told apart; different ones always are.
            t = a.mean == b.mean ? 0 : (b.mean > a.mean ? .infinity : -.infinity)
            degreesOfFreedom = Double(a.count + b.count - 2)
            pValue = a.mean == b.mean ? 1 : 0
            return
        }
        t = (b.mean - a.mean) / (va + vb).squareRoot()
        let numerator = (va + vb) * (va + vb)
        let denominator = va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1)
        degreesOfFreedom = numerator / denominator
        pValue = StudentT.twoSidedTail(t, degreesOfFreedom: degreesOfFreedom)
    }
}
