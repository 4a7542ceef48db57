import Testing
@testable import Loadgen

/// A deterministic generator (SplitMix64) so statistical tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test("uniform 1..10000 µs gives percentiles within 0.4% and exact extremes")
    func uniformPercentiles() {
        var histogram = LatencyHistogram()
        for micros in 1...10_000 { histogram.record(nanoseconds: UInt64(micros) * 1000) }
        #expect(histogram.count == 10_000)
        #expect(histogram.minNanoseconds == 1000)
        #expect(histogram.maxNanoseconds == 10_000_000)
        for (p, exact) in [(50.0, 5_000_000.0), (90, 9_000_000), (99, 9_900_000), (99.9, 9_990_000)] {
            let value = Double(histogram.valueAtPercentile(p))
            #expect(abs(value - exact) / exact <= 0.004, "p\(p) = \(value), expected ~\(exact)")
        }
        #expect(abs(histogram.meanNanoseconds - 5_000_500) < 1)
    }

    @Test("mean and population stdev match hand-computed values")
    func meanAndStdev() {
        var histogram = LatencyHistogram()
        for value: UInt64 in [2_000, 4_000, 4_000, 4_000, 5_000, 5_000, 7_000, 9_000] { histogram.record(nanoseconds: value * 1000) }
        #expect(histogram.meanNanoseconds == 5_000_000)
        #expect(abs(histogram.stdevNanoseconds - 2_000_000) < 0.01)
    }

    @Test("stdev keeps its digits when the spread is tiny beside the mean")
    func stdevWithoutCancellation() {
        // 10 s ± 10 µs: a Double sum of squares (~10^20 each) loses this spread entirely.
        var histogram = LatencyHistogram()
        for index in 0..<1_000_000 {
            histogram.record(nanoseconds: index % 2 == 0 ? 10_000_010_000 : 9_999_990_000)
        }
        #expect(histogram.meanNanoseconds == 10_000_000_000)
        #expect(abs(histogram.stdevNanoseconds - 10_000) < 1e-6, "stdev \(histogram.stdevNanoseconds)")
    }

    @Test("percentiles are nearest rank: p99.9 of 1000 values is the 999th, not the maximum")
    func nearestRankDespiteBinaryPercentiles() {
        // 99.9 / 100 * 1000 is 999.0000000000001 in Double; rounding that up would pick rank 1000.
        var histogram = LatencyHistogram()
        for millis in 1...1000 { histogram.record(nanoseconds: UInt64(millis) * 1_000_000) }
        let p999 = Double(histogram.valueAtPercentile(99.9))
        #expect(abs(p999 - 999_000_000) / 999_000_000 <= 0.004, "p99.9 = \(p999)")
        #expect(histogram.valueAtPercentile(99.9) < histogram.maxNanoseconds)
        #expect(LatencyHistogram.nearestRank(percentile: 99.9, count: 1000) == 999)
        #expect(LatencyHistogram.nearestRank(percentile: 99.9, count: 10_000) == 9990)
        #expect(LatencyHistogram.nearestRank(percentile: 50, count: 3) == 2)
        #expect(LatencyHistogram.nearestRank(percentile: 99.95, count: 1000) == 1000)
    }

    @Test("values below 1 µs share the zero bucket and report within the exact extremes")
    func subMicrosecond() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 400)
        histogram.record(nanoseconds: 700)
        #expect(LatencyHistogram.index(microseconds: 700 / 1000) == 0)
        #expect(histogram.valueAtPercentile(50) == 500)  // the bucket's midpoint
        #expect(histogram.valueAtPercentile(0) == 400)
        #expect(histogram.valueAtPercentile(100) == 700)
    }

    @Test("a single value is every percentile")
    func singleValue() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 1_234_567)
        for p in [0.0, 1, 50, 99.9, 100] { #expect(histogram.valueAtPercentile(p) == 1_234_567) }
        #expect(histogram.stdevNanoseconds == 0)
    }

    @Test("an empty histogram reports zeros")
    func empty() {
        let histogram = LatencyHistogram()
        #expect(histogram.count == 0)
        #expect(histogram.minNanoseconds == 0)
        #expect(histogram.valueAtPercentile(99) == 0)
        #expect(LatencySummary(histogram).p99 == 0)
    }

    @Test("values past one hour are kept: the maximum is exact and percentiles stay ordered")
    func beyondAnHour() {
        var histogram = LatencyHistogram()
        let twoHours: UInt64 = 7_200_000_000_000
        let day: UInt64 = 86_400_000_000_000
        histogram.record(nanoseconds: 1_000_000)
        histogram.record(nanoseconds: twoHours)
        histogram.record(nanoseconds: day)
        #expect(histogram.maxNanoseconds == day)
        let p50 = Double(histogram.valueAtPercentile(50))
        #expect(abs(p50 - Double(twoHours)) / Double(twoHours) <= 0.004)
        #expect(histogram.valueAtPercentile(100) == day)
    }

    @Test("percentiles of random latencies from 100 ns to 1.9 h stay within max(0.5 µs, 0.39%) of exact")
    func errorBoundOverTheWholeRange() {
        var generator = SplitMix64(seed: 2024)
        var histogram = LatencyHistogram()
        var values: [UInt64] = []
        for _ in 0..<20_000 {
            // Log-uniform from 100 ns to 100 ns × 2^36, across the linear counters and every range.
            let value = UInt64(100 * pow2(Double.random(in: 0..<36, using: &generator)))
            values.append(value)
            histogram.record(nanoseconds: value)
        }
        values.sort()
        for step in 1...999 {
            let p = Double(step) / 10
            // ceil(step/1000 × count) in integers, so the reference rank has no rounding of its own.
            let rank = (step * values.count + 999) / 1000
            let exact = Double(values[rank - 1])
            let reported = Double(histogram.valueAtPercentile(p))
            #expect(abs(reported - exact) <= max(500, exact / 256), "p\(p): \(reported) vs \(exact)")
        }
    }

    @Test("percentiles of random latencies stay within 0.4% of the exact sorted values")
    func randomErrorBound() {
        var generator = SplitMix64(seed: 42)
        var histogram = LatencyHistogram()
        var values: [UInt64] = []
        for _ in 0..<50_000 {
            // Log-uniform from 300 µs to ~5 minutes.
            let exponent = Double.random(in: 0..<1, using: &generator)
            let value = UInt64(300_000 * pow2(exponent * 20))
            values.append(value)
            histogram.record(nanoseconds: value)
        }
        values.sort()
        for perMille in [10, 100, 250, 500, 750, 900, 950, 990, 999] {
            let p = Double(perMille) / 10
            let rank = (perMille * values.count + 999) / 1000
            let exact = Double(values[rank - 1])
            let reported = Double(histogram.valueAtPercentile(p))
            #expect(abs(reported - exact) / exact <= 0.004, "p\(p): \(reported) vs \(exact)")
        }
    }

    @Test("merging equals recording everything into one histogram")
    func mergeIsExact() {
        var generator = SplitMix64(seed: 7)
        var a = LatencyHistogram(), b = LatencyHistogram(), both = LatencyHistogram()
        for index in 0..<10_000 {
            let value = UInt64.random(in: 1_000...50_000_000, using: &generator)
            if index % 3 == 0 { a.record(nanoseconds: value) } else { b.record(nanoseconds: value) }
            both.record(nanoseconds: value)
        }
        a.merge(b)
        #expect(a == both)
        #expect(a.count == both.count)
        #expect(a.minNanoseconds == both.minNanoseconds)
        #expect(a.maxNanoseconds == both.maxNanoseconds)
        #expect(a.valueAtPercentile(99) == both.valueAtPercentile(99))
        #expect(a.stdevNanoseconds == both.stdevNanoseconds)
        var empty = LatencyHistogram()
        empty.merge(both)
        #expect(empty == both)
    }

    @Test("the text encoding round-trips exactly and rejects garbage")
    func encodingRoundTrip() throws {
        var histogram = LatencyHistogram()
        for value: UInt64 in [500, 1_000, 77_777, 1_000_000, 3_000_000_000] { histogram.record(nanoseconds: value) }
        let decoded = try #require(LatencyHistogram(encoded: histogram.encoded()))
        #expect(decoded == histogram)
        #expect(LatencyHistogram(encoded: LatencyHistogram().encoded()) == LatencyHistogram())
        #expect(histogram.encoded().hasPrefix("v2:5:500:3000000000:"))
        #expect(LatencyHistogram(encoded: "v2:1:1000:1000:1000:1000000:1=1") != nil)
        #expect(LatencyHistogram(encoded: "v2:3:1:2:3:0:1=1") == nil)  // counts do not add up
        #expect(LatencyHistogram(encoded: "v2:2:1:2:3:0:1=1,1=1") == nil)  // a repeated counter
        #expect(LatencyHistogram(encoded: "v2:1:1:2:3:0:1=1,2=0") == nil)  // a zero counter
        #expect(LatencyHistogram(encoded: "v2:1:1:2:3:0:3840=1") == nil)  // past the last counter
        #expect(LatencyHistogram(encoded: "v1:1:1000:1000:1000:0:1=1") == nil)  // the old Double form
        #expect(LatencyHistogram(encoded: "nonsense") == nil)
    }

    @Test("bucket bounds never exceed 1/128 of their lower edge above the linear range")
    func bucketWidths() {
        for index in LatencyHistogram.linearCount..<LatencyHistogram.counterCount {
            let (lower, upper) = LatencyHistogram.bounds(ofIndex: index)
            #expect((upper - lower) * 128 <= lower)
            #expect(LatencyHistogram.index(microseconds: lower) == index)
            #expect(LatencyHistogram.index(microseconds: upper - 1) == index)
        }
    }
}

private func pow2(_ exponent: Double) -> Double {
    var result = 1.0
    var remaining = exponent
    while remaining >= 1 { result *= 2; remaining -= 1 }
    // 2^f for f in [0, 1) by a short series of exp(f ln 2).
    let x = remaining * 0.693_147_180_559_945_3
    var term = 1.0, sum = 1.0
    for n in 1...20 { term *= x / Double(n); sum += term }
    return result * sum
}
