/// Percentiles of exact samples by linear interpolation between closest ranks (numpy's default):
/// the value at rank (n - 1) * p / 100, interpolated between its two neighbours.
///
/// This is what the seeds' `percentile()` was written to do. As written it never interpolates:
/// its test `f == int(k)` is always true, so it returns the lower neighbour. loadgen interpolates,
/// so its p99 of 10 requests lies between the 9th and 10th values, where the seeds' lies on the 9th.
enum Percentile {
    /// `sorted` must be ascending; 0 for no samples.
    static func linear(_ sorted: [Double], _ p: Double) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let rank = Double(sorted.count - 1) * min(max(p, 0), 100) / 100
        let lower = Int(rank)
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (rank - Double(lower)) * (sorted[upper] - sorted[lower])
    }
}
