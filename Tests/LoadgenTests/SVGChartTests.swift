import Foundation
import Testing
@testable import Loadgen

/// Charts people can read: ticks that differ, units that fit, a legend off the data (issue 13,
/// defect 10).
@Suite("SVG charts")
struct SVGChartTests {
    /// The y-axis tick labels, top to bottom as written.
    private func tickLabels(_ svg: String) -> [String] {
        svg.split(separator: "\n").filter { $0.contains(#"text-anchor="end""#) }.compactMap { line in
            guard let open = line.firstIndex(of: ">"), let close = line.range(of: "</text>") else { return nil }
            return String(line[line.index(after: open)..<close.lowerBound])
        }
    }

    /// The `y` attribute of each element whose line contains `marker`.
    private func numbers(_ svg: String, _ attribute: String, where marker: String) -> [Double] {
        svg.split(separator: "\n").filter { $0.contains(marker) }.compactMap { line in
            guard let start = line.range(of: " \(attribute)=\"") else { return nil }
            return Double(line[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test("small values get ticks with the decimals their step needs, never a column of zeros",
          arguments: [[0.004, 0.009, 0.012], [0.3, 0.7], [12.0, 47.0], [1_500.0, 98_000.0]])
    func ticksAreDistinct(values: [Double]) {
        let chart = SVGChart(title: "t", xLabel: "x", yLabel: "y", categories: values.map { _ in "c" },
                             series: [.init(name: "s", values: values, color: SVGChart.palette[0])])
        let labels = tickLabels(chart.render())
        #expect(labels.count >= 3, "\(labels)")
        #expect(Set(labels).count == labels.count, "every tick reads differently: \(labels)")
        #expect(labels.dropFirst().allSatisfy { Double($0.replacingOccurrences(of: ",", with: "")) ?? 0 > 0 }, "\(labels)")
    }

    @Test("bench's latency chart is in milliseconds while every latency is under a second")
    func benchLatencyChartUnits() throws {
        var config = BenchConfig(target: try HTTPTarget(url: "http://127.0.0.1:9"), workload: OpenAIWorkload(model: "m"))
        config.scalingLevels = [5, 10]
        var bench = BenchResult(config: config, environment: .current(), startedAtWallSeconds: 0)
        for (concurrency, latency) in [(5, 3_000_000), (10, 7_000_000)] as [(Int, UInt64)] {
            var run = RunResult()
            run.requests = 3
            run.succeeded = 3
            run.latencySamples = [latency, latency + 500_000, latency + 900_000]
            let test = BenchTest(phase: .scaling, name: "scale_\(concurrency)", concurrency: concurrency, requests: 3, inputTokens: 1, outputTokens: 1)
            bench.results.append(BenchTestResult(test: test, run: run, status: .ok, statusReason: "", startedAtWallSeconds: 0))
        }
        let chart = BenchReport.latencyChart(bench)
        #expect(chart.yLabel == "Latency (ms)")
        #expect(chart.series[1].values.allSatisfy { $0 > 3 && $0 < 10 }, "p99 in ms: \(chart.series[1].values)")
        let labels = tickLabels(chart.render())
        #expect(Set(labels).count == labels.count && labels.count >= 3, "\(labels)")
    }

    @Test("the legend sits in its own row above the plot, so it never covers a data point")
    func legendOffTheData() throws {
        // Validate's latency profile: three series whose highest points are at the top right, where
        // the legend used to be drawn.
        let chart = SVGChart(title: "Client Latency Profile", xLabel: "Concurrency", yLabel: "Latency (ms)",
                             categories: ["100", "1000", "2000"],
                             series: [.init(name: "p50", values: [1, 8, 17], color: SVGChart.palette[0]),
                                      .init(name: "p95", values: [1.2, 9, 18], color: SVGChart.palette[1]),
                                      .init(name: "p99", values: [1.5, 10, 19.5], color: SVGChart.palette[2])])
        let svg = chart.render()
        let legendBoxes = numbers(svg, "y", where: #"width="12" height="12""#)
        let points = numbers(svg, "cy", where: "<circle")
        #expect(legendBoxes.count == 3 && points.count == 9)
        let plotTop = points.min() ?? 0
        #expect(legendBoxes.allSatisfy { $0 + 12 < plotTop }, "legend \(legendBoxes), highest point \(plotTop)")
    }
}
