import Testing
@testable import Loadgen

@Suite("Histogram quantiles from buckets")
struct HistogramBucketsTests {
    private let buckets = HistogramBuckets(upperBounds: [0.1, 0.5, 1, .infinity], cumulativeCounts: [0, 20, 50, 50], sum: 30, count: 50)

    @Test("the rank's bucket is interpolated linearly, as histogram_quantile does")
    func interpolation() {
        // p50: rank 25 in (0.5, 1] holding 30 from 20: 0.5 + 0.5 * 5/30.
        #expect(abs(buckets.quantile(0.5)! - (0.5 + 0.5 * 5.0 / 30.0)) < 1e-12)
        // p20: rank 10 in (0.1, 0.5] holding 20 from 0: 0.1 + 0.4 * 10/20 = 0.3.
        #expect(abs(buckets.quantile(0.2)! - 0.3) < 1e-12)
        #expect(buckets.quantile(1) == 1)
        #expect(buckets.mean == 0.6)
    }

    @Test("the first bucket starts at zero")
    func firstBucket() {
        let first = HistogramBuckets(upperBounds: [2, .infinity], cumulativeCounts: [10, 10], sum: 10, count: 10)
        #expect(first.quantile(0.25) == 0.5)
    }

    @Test("a rank in the +Inf bucket answers the highest finite bound")
    func infinityBucket() {
        let tail = HistogramBuckets(upperBounds: [1, 5, .infinity], cumulativeCounts: [1, 2, 10], sum: 90, count: 10)
        #expect(tail.quantile(0.99) == 5)
    }

    @Test("no observations, no +Inf bucket or a single bucket give no quantile")
    func undefined() {
        #expect(HistogramBuckets(upperBounds: [1, .infinity], cumulativeCounts: [0, 0], sum: 0, count: 0).quantile(0.5) == nil)
        #expect(HistogramBuckets(upperBounds: [1, 2], cumulativeCounts: [1, 2], sum: 2, count: 2).quantile(0.5) == nil)
        #expect(HistogramBuckets(upperBounds: [.infinity], cumulativeCounts: [3], sum: 2, count: 3).quantile(0.5) == nil)
        #expect(HistogramBuckets.empty.mean == nil)
        #expect(buckets.quantile(.nan) == nil)
        #expect(buckets.quantile(-1) == -.infinity)
        #expect(buckets.quantile(2) == .infinity)
    }

    @Test("counts that go down across buckets are made monotonic first")
    func monotonic() {
        let torn = HistogramBuckets(upperBounds: [1, 2, .infinity], cumulativeCounts: [10, 8, 10], sum: 0, count: 10)
        // Fixed to [10, 10, 10]: the median is in the first bucket.
        #expect(torn.quantile(0.5) == 0.5)
    }

    @Test("merging histograms with the same bounds adds them exactly")
    func mergeSameBounds() {
        let merged = buckets.merged(with: buckets)
        #expect(merged.cumulativeCounts == [0, 40, 100, 100])
        #expect(merged.count == 100 && merged.sum == 60)
        #expect(merged.quantile(0.5) == buckets.quantile(0.5))
        #expect(HistogramBuckets.empty.merged(with: buckets) == buckets)
    }

    @Test("merging histograms with different bounds counts each at its highest bound not above")
    func mergeDifferentBounds() {
        let other = HistogramBuckets(upperBounds: [0.25, .infinity], cumulativeCounts: [4, 6], sum: 2, count: 6)
        let merged = buckets.merged(with: other)
        #expect(merged.upperBounds == [0.1, 0.25, 0.5, 1, .infinity])
        #expect(merged.cumulativeCounts == [0, 4, 24, 54, 56])
    }
}
