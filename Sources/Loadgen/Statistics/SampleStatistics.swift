/// Summary statistics of a small sample (runs of a benchmark), with a Student's t confidence
/// interval, as the paper's multi-run tables report them.
public struct SampleStatistics: Sendable, Equatable {
    public let values: [Double]
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (divides by n - 1); 0 for fewer than two values.
    public let standardDeviation: Double
    public let minimum: Double
    public let maximum: Double

    public init(_ values: [Double]) {
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
    public func confidenceHalfWidth(confidence: Double = 0.95) -> Double? {
        guard count >= 2 else { return nil }
        let t = StudentT.criticalValue(confidence: confidence, degreesOfFreedom: Double(count - 1))
        return t * standardDeviation / Double(count).squareRoot()
    }

    /// (low, high) of the 95% interval for the mean.
    public var confidenceInterval: (low: Double, high: Double)? {
        confidenceHalfWidth().map { (mean - $0, mean + $0) }
    }

    /// Standard deviation over mean; nil when the mean is 0.
    public var coefficientOfVariation: Double? {
        mean != 0 && count >= 2 ? standardDeviation / abs(mean) : nil
    }

    /// Standard error of the mean, s / sqrt(n).
    public var standardError: Double { count > 0 ? standardDeviation / Double(count).squareRoot() : 0 }
}
