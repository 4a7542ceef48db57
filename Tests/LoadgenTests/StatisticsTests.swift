import Foundation
import Testing
@testable import Loadgen

/// Student's t, sample statistics, Welch's test and the conclusions across levels. Expected
/// values were computed independently with SciPy 1.17 (`scipy.stats.t.ppf`, `t.cdf`,
/// `ttest_ind(equal_var=False)`) and NumPy, and are written here as literals.
@Suite("Statistics")
struct StatisticsTests {
    @Test("t critical values at 95% match published values for df 1, 2, 4, 10, 30, a million, and a fractional df",
          arguments: [(1.0, 12.706204736174694), (2, 4.302652729749462), (4, 2.7764451051977934), (10, 2.228138851986274),
                      (30, 2.0422724563012378), (1e6, 1.959966356814107), (7.3, 2.345066736547703)])
    func criticalValues(df: Double, expected: Double) {
        let value = StudentT.criticalValue(confidence: 0.95, degreesOfFreedom: df)
        #expect(abs(value - expected) < 1e-7 * expected, "df \(df): \(value)")
    }

    @Test("the t CDF matches SciPy on both sides of zero")
    func cumulativeDistribution() {
        #expect(abs(StudentT.cdf(1.5, degreesOfFreedom: 3) - 0.8847080673775886) < 1e-10)
        #expect(abs(StudentT.cdf(-2.2, degreesOfFreedom: 12.5) - 0.023641591451071933) < 1e-10)
        #expect(StudentT.cdf(0, degreesOfFreedom: 5) == 0.5)
    }

    @Test("mean, sample standard deviation, 95% interval and CoV of five runs")
    func sampleStatistics() throws {
        let statistics = SampleStatistics([4521.3, 4488.1, 4602.7, 4550.0, 4497.9])
        #expect(abs(statistics.mean - 4532.0) < 1e-9)
        #expect(abs(statistics.standardDeviation - 46.17087826758325) < 1e-9)
        let half = try #require(statistics.confidenceHalfWidth())
        #expect(abs(half - 57.3287173103067) < 1e-6)
        #expect(abs((statistics.coefficientOfVariation ?? 0) - 46.17087826758325 / 4532.0) < 1e-12)
        #expect(statistics.minimum == 4488.1 && statistics.maximum == 4602.7)
    }

    @Test("one value has a mean but no interval or CoV; none has zeros")
    func degenerateSamples() {
        let one = SampleStatistics([7])
        #expect(one.mean == 7 && one.standardDeviation == 0)
        #expect(one.confidenceHalfWidth() == nil)
        #expect(one.coefficientOfVariation == nil)
        let none = SampleStatistics([])
        #expect(none.count == 0 && none.mean == 0)
    }

    @Test("Welch's t, degrees of freedom and p-value match SciPy", arguments: [
        ([4521.3, 4488.1, 4602.7, 4550.0, 4497.9], [4610.2, 4655.8, 4598.1, 4702.4, 4631.0], 3.8748111625674606, 7.908019268668515, 0.004815010288558341),
        ([1485, 5193, 3200, 2900, 4100], [3000, 3100, 2950, 3050], -0.5657808759475547, 4.021750535501088, 0.6016183024897049),
    ])
    func welch(a: [Double], b: [Double], t: Double, df: Double, p: Double) throws {
        let test = WelchTest(SampleStatistics(a), SampleStatistics(b))
        #expect(abs(test.t - t) < 1e-9)
        #expect(abs(test.degreesOfFreedom - df) < 1e-9)
        let value = try #require(test.pValue)
        #expect(abs(value - p) < 1e-9, "p \(value)")
    }

    @Test("Welch's test of constant samples: same means p = 1, different means p = 0; too few values give none")
    func welchEdgeCases() {
        #expect(WelchTest(SampleStatistics([5, 5, 5]), SampleStatistics([5, 5])).pValue == 1)
        #expect(WelchTest(SampleStatistics([5, 5, 5]), SampleStatistics([6, 6])).pValue == 0)
        #expect(WelchTest(SampleStatistics([5]), SampleStatistics([6, 7])).pValue == nil)
    }

    @Test("peak, saturation point and plateau range across levels")
    func levelSeries() throws {
        let series = LevelSeries(levels: [10, 50, 100, 200, 500, 750, 1000], means: [100, 450, 800, 1200, 1240, 1230, 1250])
        #expect(series.peakIndex == 6)
        #expect(series.saturationIndex == 4, "500 is under 1.05 x 200's")
        // Plateau 200...1000: (1250 - 1200) / mean(1200, 1240, 1230, 1250).
        let spread = try #require(series.plateauRelativeRange)
        #expect(abs(spread - 50 / 1230) < 1e-12)
        #expect(LevelSeries(levels: [1, 2], means: [1, 2]).saturationIndex == nil)
        let flat = LevelSeries(levels: [500, 550, 600], means: [990, 1000, 1010])
        #expect(abs((flat.relativeRange ?? 0) - 0.02) < 1e-12)
    }

    @Test("the JSON reader round-trips what loadgen writes and rejects broken documents")
    func jsonReader() throws {
        let document = JSONValue.object([("a", .int(-3)), ("b", .number(1.25)), ("s", .string("q\"\\\n\u{1}é😀")),
                                         ("l", .array([.bool(true), .null, .object([])]))])
        let parsed = try JSONParser.parse(document.serialized(pretty: true))
        #expect(parsed["a"]?.intValue == -3)
        #expect(parsed["b"]?.doubleValue == 1.25)
        #expect(parsed["s"]?.stringValue == "q\"\\\n\u{1}é😀")
        #expect(parsed["l"]?.arrayValue?.count == 3)
        #expect(try JSONParser.parse(#""\ud83d\ude00""#).stringValue == "😀")
        for broken in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1}}", "\"\\x\"", String(repeating: "[", count: 300)] {
            #expect(throws: JSONParser.Failure.self, "\(broken.prefix(20))") { try JSONParser.parse(broken) }
        }
    }
}
