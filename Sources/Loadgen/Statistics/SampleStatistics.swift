/// Summary statistics of a small sample (runs of a benchmark), with a Student's t confidence
/// interval, as the paper's multi-run tables report them.
struct SampleStatistics: Sendable, Equatable {
    let values: [Double]
    let count: Int
    let mean: Double
    /// Sample standard deviation (divides by n - 1); 0 for fewer than two values.
    let standardDeviation: Double
    let minimum: Double
    let maximum: Double

    init(_ values: [Double]) {
        self.values = values
        count = values.count
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        if values.count >= 2 {
            let mean = self.mean
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardDeviation = (squares / Double(values.count - 1)).squareRoot()
        } else {
            standardDeviation = 0
        }
        minimum = values.min() ?? 0
        maximum = values.max() ?? 0
    }

    /// Half the width of the confidence interval for the mean: t*(df = n - 1) x s / sqrt(n).
    /// Nil below two values, where no interval exists.
    func confidenceHalfWidth(confidence: Double = SeedProtocol.Sweep.confidence) -> Double? {
        guard count >= 2 else { return nil }
        let t = StudentT.criticalValue(confidence: confidence, degreesOfFreedom: Double(count - 1))
        return t * standardDeviation / Double(count).squareRoot()
    }

    /// (low, high) of the 95% interval for the mean.
    var confidenceInterval: (low: Double, high: Double)? {
        confidenceHalfWidth().map { (mean - $0, mean + $0) }
    }

    /// Standard deviation over mean; nil when the mean is 0.
    var coefficientOfVariation: Double? {
        mean != 0 && count >= 2 ? standardDeviation / abs(mean) : nil
    }

    /// Standard error of the mean, s / sqrt(n).
    var standardError: Double { count > 0 ? standardDeviation / Double(count).squareRoot() : 0 }
}
