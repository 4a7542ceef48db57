/// A Prometheus histogram's cumulative buckets: upper bounds ascending (the last +Inf) and the
/// number of observations at or below each, plus the sum and count of the observations.
///
/// In a window these are deltas (observations made during it), and quantiles come from them as
/// PromQL's `histogram_quantile` computes them, so a figure here matches what a Grafana panel
/// over the same window shows.
struct HistogramBuckets: Sendable, Equatable {
    var upperBounds: [Double]
    var cumulativeCounts: [Double]
    var sum: Double
    var count: Double

    init(upperBounds: [Double], cumulativeCounts: [Double], sum: Double, count: Double) {
        self.upperBounds = upperBounds
        self.cumulativeCounts = cumulativeCounts
        self.sum = sum
        self.count = count
    }

    static let empty = HistogramBuckets(upperBounds: [], cumulativeCounts: [], sum: 0, count: 0)

    /// The mean observation, nil with none.
    var mean: Double? { count > 0 ? sum / count : nil }

    /// The `q` quantile (0...1) by linear interpolation within the bucket holding rank q·n, as
    /// `histogram_quantile` does: the first bucket's lower bound is 0 (or its upper bound, if
    /// that is not positive), a rank in the +Inf bucket answers the highest finite bound, and
    /// buckets whose counts go down (a torn read) are first made monotonic. Nil with no
    /// observations, without a +Inf bucket, or with fewer than two buckets, where Prometheus
    /// answers NaN.
    func quantile(_ q: Double) -> Double? {
        guard !q.isNaN, upperBounds.count >= 2, upperBounds.count == cumulativeCounts.count,
              upperBounds.last == .infinity else { return nil }
        var counts = cumulativeCounts
        for index in counts.indices.dropFirst() where counts[index] < counts[index - 1] { counts[index] = counts[index - 1] }
        let total = counts[counts.count - 1]
        guard total > 0 else { return nil }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let rank = q * total
        // The first bucket whose count reaches the rank, searching all but +Inf (PromQL's sort.Search).
        let bucket = counts.dropLast().firstIndex(where: { $0 >= rank }) ?? counts.count - 1
        if bucket == counts.count - 1 { return upperBounds[counts.count - 2] }
        if bucket == 0, upperBounds[0] <= 0 { return upperBounds[0] }
        let lower = bucket == 0 ? 0 : upperBounds[bucket - 1]
        let below = bucket == 0 ? 0 : counts[bucket - 1]
        let inBucket = counts[bucket] - below
        guard inBucket > 0 else { return lower }  // only at rank 0 over an empty first bucket
        return lower + (upperBounds[bucket] - lower) * ((rank - below) / inBucket)
    }

    /// Two histograms' observations together (two engines of a replica, or two replicas).
    /// With different bounds, each side counts at a bound what it has at its highest bound not
    /// above it: exact when the bounds agree (vLLM's engines share theirs), a lower bound otherwise.
    func merged(with other: HistogramBuckets) -> HistogramBuckets {
        if upperBounds.isEmpty { return other }
        if other.upperBounds.isEmpty { return self }
        let bounds = upperBounds == other.upperBounds ? upperBounds : Array(Set(upperBounds + other.upperBounds)).sorted()
        let counts = bounds.map { count(atOrBelow: $0) + other.count(atOrBelow: $0) }
        return HistogramBuckets(upperBounds: bounds, cumulativeCounts: counts, sum: sum + other.sum, count: count + other.count)
    }

    private func count(atOrBelow bound: Double) -> Double {
        guard let index = upperBounds.lastIndex(where: { $0 <= bound }) else { return 0 }
        return cumulativeCounts[index]
    }
}
