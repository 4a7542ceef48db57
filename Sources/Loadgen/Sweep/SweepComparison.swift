/// The paper's A/B ablation (section 6.5) between two sweep files: per level, both means with
/// their 95% intervals, the difference and % change, Welch's t-test, whether the intervals
/// overlap, and the ratio of coefficients of variation.
package struct SweepComparison: Sendable {
    struct Row: Sendable {
        var concurrency: Int
        var a: SampleStatistics
        var b: SampleStatistics
        var welch: WelchTest

        var difference: Double { b.mean - a.mean }
        var percentChange: Double? { a.mean != 0 ? difference / a.mean * 100 : nil }
        /// True when the 95% intervals overlap (or either has none).
        var intervalsOverlap: Bool {
            guard let ia = a.confidenceInterval, let ib = b.confidenceInterval else { return true }
            return ia.low <= ib.high && ib.low <= ia.high
        }
        /// CoV of B over CoV of A.
        var covRatio: Double? {
            guard let ca = a.coefficientOfVariation, let cb = b.coefficientOfVariation, ca > 0 else { return nil }
            return cb / ca
        }
    }

    var metric: String
    var labelA: String
    var labelB: String
    var rows: [Row]

    package enum Failure: Error, CustomStringConvertible {
        case notASweep(String)
        case noCommonLevels
        case unknownMetric(String)

        package var description: String {
            switch self {
            case .notASweep(let label): "\(label) is not a loadgen sweep result (no \"kind\": \"loadgen-sweep\")"
            case .noCommonLevels: "the two sweeps have no concurrency level in common"
            case .unknownMetric(let metric): "unknown metric '\(metric)' (known: \(SweepReport.metrics.map(\.key).joined(separator: ", ")))"
            }
        }
    }

    /// Compares `metric` (a key of `SweepReport.metrics`) between two parsed sweep files, using the
    /// per-run values they carry (the statistics are recomputed, not trusted from the file).
    package init(a: JSONValue, b: JSONValue, labelA: String, labelB: String, metric: String = "throughput_total") throws(Failure) {
        guard SweepReport.metrics.contains(where: { $0.key == metric }) else { throw .unknownMetric(metric) }
        guard a["kind"]?.stringValue == "loadgen-sweep" else { throw .notASweep(labelA) }
        guard b["kind"]?.stringValue == "loadgen-sweep" else { throw .notASweep(labelB) }
        let valuesA = Self.values(a, metric: metric)
        let valuesB = Self.values(b, metric: metric)
        var rows: [Row] = []
        for (concurrency, first) in valuesA {
            guard let second = valuesB.first(where: { $0.0 == concurrency })?.1 else { continue }
            let statisticsA = SampleStatistics(first)
            let statisticsB = SampleStatistics(second)
            rows.append(Row(concurrency: concurrency, a: statisticsA, b: statisticsB, welch: WelchTest(statisticsA, statisticsB)))
        }
        guard !rows.isEmpty else { throw .noCommonLevels }
        self.metric = metric
        self.labelA = labelA
        self.labelB = labelB
        self.rows = rows
    }

    private static func values(_ sweep: JSONValue, metric: String) -> [(Int, [Double])] {
        (sweep["levels"]?.arrayValue ?? []).compactMap { level in
            guard let concurrency = level["concurrency"]?.intValue,
                  let values = level[metric]?["values"]?.arrayValue?.compactMap(\.doubleValue), !values.isEmpty else { return nil }
            return (concurrency, values)
        }
    }

    package var json: JSONValue {
        .object([
            ("metric", .string(metric)),
            ("a", .string(labelA)),
            ("b", .string(labelB)),
            ("levels", .array(rows.map { row in
                .object([
                    ("concurrency", .int(Int64(row.concurrency))),
                    ("a", SweepReport.statisticsJSON(row.a)),
                    ("b", SweepReport.statisticsJSON(row.b)),
                    ("difference", .number(row.difference, decimals: 6)),
                    ("percent_change", row.percentChange.map { .number($0, decimals: 4) } ?? .null),
                    ("welch_t", row.welch.t.isFinite ? .number(row.welch.t, decimals: 6) : .null),
                    ("welch_df", row.welch.degreesOfFreedom.isFinite ? .number(row.welch.degreesOfFreedom, decimals: 4) : .null),
                    ("p_value", row.welch.pValue.map { .number($0, decimals: 8) } ?? .null),
                    ("significant_at_0_05", row.welch.pValue.map { .bool($0 < 0.05) } ?? .null),
                    ("ci_overlap", .bool(row.intervalsOverlap)),
                    ("cov_ratio", row.covRatio.map { .number($0, decimals: 4) } ?? .null),
                ])
            })),
        ])
    }

    package var markdown: String {
        let header = ["Concurrency", "A mean ± 95% CI", "B mean ± 95% CI", "Diff", "Change", "Welch p", "CIs overlap", "CoV B/A"]
        let inMilliseconds = metric.hasSuffix("_ms")
        func format(_ value: Double) -> String { inMilliseconds ? Format.milliseconds(value) : Format.rate(value) }
        let rows = rows.map { row in
            [String(row.concurrency),
             SweepReport.meanWithInterval(row.a, format: format),
             SweepReport.meanWithInterval(row.b, format: format),
             format(row.difference),
             row.percentChange.map { ($0 >= 0 ? "+" : "") + Format.fixed($0, decimals: 2) + "%" } ?? "n/a",
             row.welch.pValue.map { $0 < 0.0001 ? "<0.0001" : Format.fixed($0, decimals: 4) } ?? "n/a",
             row.intervalsOverlap ? "yes" : "no",
             row.covRatio.map { Format.fixed($0, decimals: 2) } ?? "n/a"]
        }
        return "# A/B comparison: \(metric)\n\n- A: \(labelA)\n- B: \(labelB)\n\n"
            + MarkdownTable.render(header: header, rows: rows)
            + "\n\nWelch's unequal-variances t-test, two-sided; intervals are 95% from Student's t with df = n - 1.\n"
    }
}
