/// A log-linear latency histogram in the manner of HdrHistogram, written for loadgen.
///
/// Values are recorded in nanoseconds and bucketed at 1 µs resolution: below 256 µs every
/// microsecond has its own counter; above, each power-of-two range is split into 128 linear
/// sub-buckets, so a bucket is never wider than 1/128 of its lower bound. Reporting a bucket's
/// midpoint bounds the error of any percentile by the larger of 0.5 µs and 1/256 (0.39%) of the
/// exact value, so the relative bound holds from 128 µs up. The top range ends past 19 hours
/// (2^36 µs); larger values land in the top bucket, while min, max, mean and stdev stay exact.
///
/// Count, sum and sum of squares are integers (the squares in `UInt128`), so `merge` is exact:
/// merging per-thread histograms gives a value `==` to one histogram that saw every value, and the
/// stdev does not lose its digits to cancellation when the spread is tiny beside the mean.
///
/// Storage is one fixed array of 3,840 counters (30 KiB) allocated at init; `record` only
/// increments, so it is safe on the hot path. One histogram per event loop, merged at the end.
public struct LatencyHistogram: Sendable, Equatable {
    /// Counters below 256 µs (one per microsecond).
    static let linearCount = 256
    /// Sub-buckets per power-of-two range above that.
    static let subBucketsPerRange = 128
    /// Highest set bit of a microsecond value that still has its own range (2^36 µs ≈ 19 h).
    static let highestBit = 35
    static let counterCount = linearCount + (highestBit - 7) * subBucketsPerRange

    private var counts: [UInt64]
    /// Values recorded.
    public private(set) var count: UInt64 = 0
    private var minimum: UInt64 = .max
    private var maximum: UInt64 = 0
    /// Wraps only past 584 years of summed latency.
    private var sum: UInt64 = 0
    /// A square of a UInt64 always fits; the sum wraps only past ~10^13 values of one hour each.
    private var sumOfSquares: UInt128 = 0

    /// An empty histogram (allocates its 3,840 counters once).
    public init() {
        counts = Array(repeating: 0, count: Self.counterCount)
    }

    @inline(__always)
    static func index(microseconds value: UInt64) -> Int {
        if value < UInt64(linearCount) { return Int(value) }
        let bit = min(63 - value.leadingZeroBitCount, highestBit)
        let range = bit - 7
        let shifted = Int(truncatingIfNeeded: value >> UInt64(range))
        let sub = min(shifted, 2 * subBucketsPerRange - 1) - subBucketsPerRange
        return linearCount + (range - 1) * subBucketsPerRange + sub
    }

    /// The bucket's [lower, upper) bounds in microseconds.
    static func bounds(ofIndex index: Int) -> (lower: UInt64, upper: UInt64) {
        if index < linearCount { return (UInt64(index), UInt64(index) + 1) }
        let range = (index - linearCount) / subBucketsPerRange + 1
        let sub = (index - linearCount) % subBucketsPerRange + subBucketsPerRange
        let lower = UInt64(sub) << UInt64(range)
        return (lower, lower + (1 << UInt64(range)))
    }

    @inline(__always)
    /// Records one latency: an index, an increment and four updates, no allocation.
    public mutating func record(nanoseconds: UInt64) {
        counts[Self.index(microseconds: nanoseconds / 1000)] &+= 1
        count &+= 1
        if nanoseconds < minimum { minimum = nanoseconds }
        if nanoseconds > maximum { maximum = nanoseconds }
        sum &+= nanoseconds
        sumOfSquares &+= UInt128(nanoseconds) &* UInt128(nanoseconds)
    }

    /// Adds every value of `other` (exact: counters, extremes and sums combine).
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for index in 0..<Self.counterCount where other.counts[index] != 0 {
            counts[index] &+= other.counts[index]
        }
        count &+= other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        sum &+= other.sum
        sumOfSquares &+= other.sumOfSquares
    }

    /// The smallest value recorded, exact (0 when empty).
    public var minNanoseconds: UInt64 { count == 0 ? 0 : minimum }
    /// The largest value recorded, exact (0 when empty).
    public var maxNanoseconds: UInt64 { maximum }
    /// The mean, exact from the integer sum (0 when empty).
    public var meanNanoseconds: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// Population standard deviation (divides by n: the spread of the recorded values themselves,
    /// not an estimate for a wider population).
    public var stdevNanoseconds: Double {
        guard count >= 2 else { return 0 }
        // n·variance = Σx² − (Σx)²/n, done in integers so that nothing cancels in floating point;
        // Cauchy-Schwarz keeps Σx² ≥ (Σx)²/n, and UInt64.max² fits in a UInt128.
        let n = UInt128(count)
        let (quotient, remainder) = (UInt128(sum) * UInt128(sum)).quotientAndRemainder(dividingBy: n)
        guard sumOfSquares >= quotient else { return 0 }  // only if the sums wrapped
        let scaledVariance = Double(sumOfSquares - quotient) - Double(remainder) / Double(n)
        return (max(scaledVariance, 0) / Double(n)).squareRoot()
    }

    /// The value at percentile `p` (0...100) in nanoseconds: the midpoint of the bucket holding the
    /// value of rank ceil(p% of count) (nearest rank), clamped to the exact min and max.
    /// p = 0 gives the minimum and p = 100 the maximum, exactly.
    public func valueAtPercentile(_ p: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        if p <= 0 { return minimum }
        if p >= 100 { return maximum }
        let rank = max(Self.nearestRank(percentile: p, count: count), 1)
        var seen: UInt64 = 0
        for index in 0..<Self.counterCount {
            seen &+= counts[index]
            if seen >= rank {
                let (lower, upper) = Self.bounds(ofIndex: index)
                let midpoint = (lower + upper) * 500  // µs midpoint in ns: (lower + upper) / 2 * 1000
                return min(max(midpoint, minimum), maximum)
            }
        }
        return maximum
    }

    /// ceil(p% of count), the nearest-rank definition. p arrives as a decimal the binary Double
    /// cannot hold (99.9 × 1000 computes as 999.0000000000001), so a product within a billionth of an
    /// integer is taken as that integer; otherwise p99.9 of 1000 values would be the maximum.
    static func nearestRank(percentile p: Double, count: UInt64) -> UInt64 {
        let exact = p / 100 * Double(count)
        let nearest = exact.rounded()
        if abs(exact - nearest) <= 1e-9 * max(nearest, 1) { return UInt64(nearest) }
        return UInt64(exact.rounded(.up))
    }

    /// A compact, lossless text form for result files, all decimal:
    /// `v2:COUNT:MIN:MAX:SUM:SUM_OF_SQUARES:INDEX=N,INDEX=N,...` with only the non-zero counters
    /// (INDEX is the counter's position, see `index(microseconds:)`). v1 held the sum of squares as
    /// Double bits and is refused rather than guessed at.
    public func encoded() -> String {
        var text = "v2:\(count):\(minNanoseconds):\(maximum):\(sum):\(sumOfSquares):"
        var first = true
        for index in 0..<Self.counterCount where counts[index] != 0 {
            if !first { text += "," }
            first = false
            text += "\(index)=\(counts[index])"
        }
        return text
    }

    /// Decodes `encoded()`; nil for anything malformed or inconsistent.
    public init?(encoded: String) {
        let fields = encoded.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 7, fields[0] == "v2",
              let count = UInt64(fields[1]), let minimum = UInt64(fields[2]), let maximum = UInt64(fields[3]),
              let sum = UInt64(fields[4]), let sumOfSquares = UInt128(fields[5]) else { return nil }
        self.init()
        var total: UInt64 = 0
        var previous = -1
        if !fields[6].isEmpty {
            for pair in fields[6].split(separator: ",", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
                // Indices strictly increase and counts are non-zero, as `encoded()` writes them, so a
                // repeated index cannot overwrite a counter while still adding to the total.
                guard parts.count == 2, let index = Int(parts[0]), let value = UInt64(parts[1]),
                      index > previous, index < Self.counterCount, value > 0 else { return nil }
                let (sum, overflow) = total.addingReportingOverflow(value)
                guard !overflow else { return nil }
                counts[index] = value
                total = sum
                previous = index
            }
        }
        guard total == count else { return nil }
        self.count = count
        self.minimum = count == 0 ? .max : minimum
        self.maximum = maximum
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }
}

/// The figures reports print, in milliseconds.
public struct LatencySummary: Sendable, Equatable {
    /// Values in the histogram.
    public var count: UInt64
    /// Smallest value.
    public var min: Double
    /// Mean.
    public var mean: Double
    /// Population standard deviation.
    public var stdev: Double
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 95th percentile.
    public var p95: Double
    /// 99th percentile.
    public var p99: Double
    /// 99.9th percentile.
    public var p999: Double
    /// Largest value.
    public var max: Double

    /// The summary of `histogram` (zeros when it is empty).
    public init(_ histogram: LatencyHistogram) {
        func ms(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e6 }
        count = histogram.count
        min = ms(histogram.minNanoseconds)
        mean = histogram.meanNanoseconds / 1e6
        stdev = histogram.stdevNanoseconds / 1e6
        p50 = ms(histogram.valueAtPercentile(50))
        p90 = ms(histogram.valueAtPercentile(90))
        p95 = ms(histogram.valueAtPercentile(95))
        p99 = ms(histogram.valueAtPercentile(99))
        p999 = ms(histogram.valueAtPercentile(99.9))
        max = ms(histogram.maxNanoseconds)
    }
}
