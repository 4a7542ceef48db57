/// Renders a `SweepResult`: per-level statistics across runs, the conclusions across levels, the
/// raw runs, as JSON and Markdown.
package enum SweepReport {
    /// A per-run figure of one level, by name.
    package struct Metric: Sendable {
        package var key: String
        var title: String
        var value: @Sendable (SweepResult.LevelRun) -> Double?
    }

    static let throughputTotal = Metric(key: "throughput_total", title: "Total tok/s") { $0.result.throughputTotal }
    static let throughputOutput = Metric(key: "throughput_output", title: "Output tok/s") { $0.result.throughputOutput }
    static let requestsPerSecond = Metric(key: "requests_per_sec", title: "Req/s") { $0.result.requestsPerSecond }
    static let latencyP50 = Metric(key: "latency_p50_ms", title: "p50 (ms)") { Percentile.linear($0.latenciesSeconds, 50) * 1000 }
    static let latencyP99 = Metric(key: "latency_p99_ms", title: "p99 (ms)") { Percentile.linear($0.latenciesSeconds, 99) * 1000 }
    static let successRate = Metric(key: "success_rate", title: "Success") { $0.result.successRate }
    static let ttftP50 = Metric(key: "ttft_p50_ms", title: "TTFT p50 (ms)") { streamed($0) { $0.timeToFirstToken.valueAtPercentile(50) } }
    static let ttftP99 = Metric(key: "ttft_p99_ms", title: "TTFT p99 (ms)") { streamed($0) { $0.timeToFirstToken.valueAtPercentile(99) } }
    static let tpotP50 = Metric(key: "tpot_p50_ms", title: "TPOT p50 (ms)") { streamed($0) { $0.timePerOutputToken.valueAtPercentile(50) } }
    static let tpotP99 = Metric(key: "tpot_p99_ms", title: "TPOT p99 (ms)") { streamed($0) { $0.timePerOutputToken.valueAtPercentile(99) } }

    /// The per-level figures, in the order the sweep JSON lists them (and `compare --metric` knows them).
    package static let metrics: [Metric] = [throughputTotal, throughputOutput, requestsPerSecond, latencyP50, latencyP99, successRate,
                                           ttftP50, ttftP99, tpotP50, tpotP99]

    private static func streamed(_ level: SweepResult.LevelRun, _ nanoseconds: (RunResult) -> UInt64) -> Double? {
        level.result.streamedResponses > 0 ? Double(nanoseconds(level.result)) / 1e6 : nil
    }

    /// The runs' values of `metric` at each level, in level order. A level a signal cut short is
    /// a fragment, not a run of that level, and is left out.
    static func statistics(_ sweep: SweepResult, _ metric: Metric) -> [(concurrency: Int, statistics: SampleStatistics)] {
        sweep.plan.levels.enumerated().compactMap { position, concurrency in
            let values = sweep.runs.compactMap { run -> Double? in
                guard position < run.levels.count, run.levels[position].concurrency == concurrency,
                      run.levels[position].result.interruptedBySignal == nil else { return nil }
                return metric.value(run.levels[position])
            }
            return values.isEmpty ? nil : (concurrency, SampleStatistics(values))
        }
    }

    /// Peak, saturation point and plateau spread of mean total throughput.
    static func series(_ sweep: SweepResult) -> LevelSeries {
        let rows = statistics(sweep, throughputTotal)
        return LevelSeries(levels: rows.map(\.concurrency), means: rows.map(\.statistics.mean))
    }

    static func statisticsJSON(_ statistics: SampleStatistics) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("n", .int(Int64(statistics.count))),
            ("mean", .number(statistics.mean, decimals: 6)),
            ("stdev", .number(statistics.standardDeviation, decimals: 6)),
        ]
        if let interval = statistics.confidenceInterval, let half = statistics.confidenceHalfWidth() {
            members += [("ci95_low", .number(interval.low, decimals: 6)), ("ci95_high", .number(interval.high, decimals: 6)),
                        ("ci95_half_width", .number(half, decimals: 6))]
        } else {
            members += [("ci95_low", .null), ("ci95_high", .null), ("ci95_half_width", .null)]
        }
        members.append(("cov", statistics.coefficientOfVariation.map { .number($0, decimals: 6) } ?? .null))
        members += [("min", .number(statistics.minimum, decimals: 6)), ("max", .number(statistics.maximum, decimals: 6)),
                    ("values", .array(statistics.values.map { .number($0, decimals: 6) }))]
        return .object(members)
    }

    package static func json(_ sweep: SweepResult) -> JSONValue {
        let plan = sweep.plan
        var levels: [JSONValue] = []
        for (position, concurrency) in plan.levels.enumerated() {
            var members: [(String, JSONValue)] = [("concurrency", .int(Int64(concurrency)))]
            for metric in metrics {
                if let row = statistics(sweep, metric).first(where: { $0.concurrency == concurrency }) {
                    members.append((metric.key, statisticsJSON(row.statistics)))
                }
            }
            if members.count > 1 || position < plan.levels.count { levels.append(.object(members)) }
        }
        let levelSeries = series(sweep)
        var summary: [(String, JSONValue)] = []
        summary.append(("peak_concurrency", levelSeries.peakIndex.map { .int(Int64(levelSeries.levels[$0])) } ?? .null))
        summary.append(("peak_throughput_total", levelSeries.peakIndex.map { .number(levelSeries.means[$0], decimals: 3) } ?? .null))
        summary.append(("saturation_concurrency", levelSeries.saturationIndex.map { .int(Int64(levelSeries.levels[$0])) } ?? .null))
        summary.append(("plateau_relative_range", levelSeries.plateauRelativeRange.map { .number($0, decimals: 6) } ?? .null))
        summary.append(("relative_range_all_levels", levelSeries.relativeRange.map { .number($0, decimals: 6) } ?? .null))
        let runs: [JSONValue] = sweep.runs.map { run in
            .object([
                ("run", .int(Int64(run.index))),
                ("started_at", .number(run.startedAtWallSeconds, decimals: 3)),
                ("restart_sec", run.restartSeconds.map { .number($0, decimals: 3) } ?? .null),
                ("levels", .array(run.levels.map { level in
                    guard case .object(var members) = RunReport.json(level.result) else { return .null }
                    members.insert(("concurrency", .int(Int64(level.concurrency))), at: 0)
                    members.append(("latency_p50_exact_ms", .number(Percentile.linear(level.latenciesSeconds, 50) * 1000, decimals: 4)))
                    members.append(("latency_p99_exact_ms", .number(Percentile.linear(level.latenciesSeconds, 99) * 1000, decimals: 4)))
                    if let metrics = level.serverMetrics { members.append(("server_metrics", metrics.json)) }
                    return .object(members)
                })),
            ])
        }
        var document: [(String, JSONValue)] = [
            ("kind", .string("loadgen-sweep")),
            ("config", configJSON(plan)),
            ("environment", sweep.environment.json),
            ("levels", .array(levels)),
            ("summary", .object(summary)),
            ("runs", .array(runs)),
            ("complete", .bool(sweep.complete)),
            ("abort_reason", sweep.abortReason.map { .string($0) } ?? .null),
            ("started_at", .number(sweep.startedAtWallSeconds, decimals: 3)),
        ]
        if let metrics = sweep.serverMetrics { document.append(("server_metrics_run", metrics.json)) }
        return .object(document)
    }

    static func configJSON(_ plan: SweepPlan) -> JSONValue {
        .object([
            ("base_url", .string(plan.target.url)),
            ("model", .string(plan.workload.model)),
            ("preset", plan.presetName.map { .string($0) } ?? .null),
            ("levels", .array(plan.levels.map { .int(Int64($0)) })),
            ("runs", .int(Int64(plan.runs))),
            ("requests_per_level", plan.requestsPerLevel.map { .int(Int64($0)) } ?? .null),
            ("duration_per_level_sec", plan.durationPerLevel.map { .number($0) } ?? .null),
            ("warmup_requests", .int(Int64(plan.warmupSeconds == nil ? plan.warmupRequests : 0))),
            ("warmup_sec", plan.warmupSeconds.map { .number($0) } ?? .null),
            ("cooldown_sec", .number(plan.cooldownSeconds)),
            ("restart_cmd", plan.restartCommand.map { .string($0) } ?? .null),
            ("ready_timeout_sec", .number(plan.readyTimeoutSeconds)),
            ("input_tokens", .string(plan.workload.inputTokens.description)),
            ("output_tokens", .string(plan.workload.outputTokens.description)),
            ("stream", .bool(plan.workload.stream)),
            ("prompt", .string(plan.workload.prompt == .unique ? "unique" : "fixed")),
            ("seed", .uint(plan.workload.seed)),
        ])
    }

    /// "3,953,060 ± 56,399" (mean ± 95% CI half-width) by the reports' number rule (`format`),
    /// or the mean alone for one run.
    static func meanWithInterval(_ statistics: SampleStatistics, format: (Double) -> String = Format.rate) -> String {
        let mean = format(statistics.mean)
        guard let half = statistics.confidenceHalfWidth() else { return mean }
        return mean + " ± " + format(half)
    }

    /// Whether the client kept up at a level in every run: "kept up", or "behind in 2/5 (lag
    /// p99 3.20 ms)" with the first failing run's worst figure.
    static func clientCell(_ sweep: SweepResult, concurrency: Int) -> String {
        let verdicts = sweep.runs.flatMap(\.levels).filter { $0.concurrency == concurrency && $0.result.interruptedBySignal == nil }
            .map(\.result.clientVerdict)
        guard verdicts.contains(where: \.isMeasured) else { return "n/a" }
        let behind = verdicts.filter { !$0.keptUp }
        guard let first = behind.first else { return "kept up" }
        return "behind in \(behind.count)/\(verdicts.count) (\(first.brief))"
    }

    /// The seeds' table: Concurrent | Throughput (mean ± 95% CI) | p99 Latency | CoV, then the
    /// means of the other figures.
    package static func table(_ sweep: SweepResult) -> String {
        let total = statistics(sweep, throughputTotal)
        let output = statistics(sweep, throughputOutput)
        let rate = statistics(sweep, requestsPerSecond)
        let p99 = statistics(sweep, latencyP99)
        let success = statistics(sweep, successRate)
        let header = ["Concurrent", "Throughput (mean ± 95% CI)", "p99 Latency", "CoV", "Runs", "Output tok/s", "Req/s", "Success", "Client"]
        var rows: [[String]] = []
        for (index, row) in total.enumerated() {
            rows.append([
                Format.grouped(UInt64(row.concurrency)),
                meanWithInterval(row.statistics) + " tok/s",
                Format.milliseconds(p99[index].statistics.mean) + " ms",
                row.statistics.coefficientOfVariation.map { Format.percent($0) } ?? "n/a",
                String(row.statistics.count),
                Format.rate(output[index].statistics.mean),
                Format.rate(rate[index].statistics.mean),
                Format.percent(success[index].statistics.mean),
                clientCell(sweep, concurrency: row.concurrency),
            ])
        }
        return MarkdownTable.render(header: header, rows: rows)
    }

    /// Mean total tokens/s against concurrency, with 95% confidence intervals as error bars.
    static func throughputChart(_ sweep: SweepResult) -> SVGChart {
        let rows = statistics(sweep, throughputTotal)
        return SVGChart(title: "Throughput vs Concurrency (mean, 95% CI)", xLabel: "Concurrency", yLabel: "Total tokens/sec",
                        categories: rows.map { String($0.concurrency) },
                        series: [.init(name: "Total tok/s", values: rows.map(\.statistics.mean), color: SVGChart.palette[0],
                                       errors: rows.map { $0.statistics.confidenceHalfWidth() ?? 0 })])
    }

    /// Mean p99 latency against concurrency, with 95% confidence intervals.
    static func latencyChart(_ sweep: SweepResult) -> SVGChart {
        let rows = statistics(sweep, latencyP99)
        return SVGChart(title: "p99 Latency vs Concurrency (mean, 95% CI)", xLabel: "Concurrency", yLabel: "p99 latency (ms)",
                        categories: rows.map { String($0.concurrency) },
                        series: [.init(name: "p99", values: rows.map(\.statistics.mean), color: SVGChart.palette[2],
                                       errors: rows.map { $0.statistics.confidenceHalfWidth() ?? 0 })])
    }

    package static func summaryLines(_ sweep: SweepResult) -> [String] {
        let levelSeries = series(sweep)
        var lines: [String] = []
        if let peak = levelSeries.peakIndex {
            lines.append("Peak: \(Format.rate(levelSeries.means[peak])) mean total tok/s at concurrency \(levelSeries.levels[peak]).")
        }
        if let saturation = levelSeries.saturationIndex {
            lines.append("Saturation point: concurrency \(levelSeries.levels[saturation]) (mean total tok/s under \(Format.fixed(SeedProtocol.saturatedFactor, decimals: 2, trimZeros: true))x the previous level's).")
            if let spread = levelSeries.plateauRelativeRange {
                lines.append("Plateau from concurrency \(levelSeries.levels[saturation - 1]): relative range (max - min) / mean of the level means \(Format.percent(spread)).")
            }
        } else if !levelSeries.levels.isEmpty {
            lines.append("Saturation point: not reached (every level's mean grew by 5% or more).")
        }
        if let attention = ServerMetricsReport.attentionLine(sweep.serverMetricsWindows) { lines.append(attention) }
        if let reason = sweep.abortReason {
            lines.append("The sweep stopped early: \(reason).")
        } else if !sweep.complete {
            lines.append("The sweep was interrupted: the statistics cover the levels completed so far; the cut-short level is left out (\"complete\": false).")
        }
        return lines
    }

    static func markdown(_ sweep: SweepResult, throughputChart: String, latencyChart: String, serverTimeline: String? = nil) -> String {
        let plan = sweep.plan
        var lines = ["# Sweep: \(plan.workload.model)", ""]
        lines.append("loadgen \(sweep.environment.loadgenVersion), \(plan.target.url), \(plan.runs) runs of levels \(plan.levels.map(String.init).joined(separator: ", "))"
            + (plan.presetName.map { " (preset \($0))" } ?? "") + (sweep.complete ? "." : ", **incomplete**."))
        lines += ["", "## Summary", ""]
        for line in summaryLines(sweep) { lines.append("- " + line) }
        lines += ["", "## Per level, across runs", "", table(sweep), ""]
        lines += ["![Throughput vs Concurrency](\(throughputChart))", "", "![p99 Latency vs Concurrency](\(latencyChart))", ""]
        lines.append("Confidence intervals are 95%, from Student's t with df = n - 1 (the critical value computed for the df, not a table); CoV is the sample standard deviation over the mean.")
        lines.append("")
        if plan.workload.stream {
            let rows = statistics(sweep, ttftP50).enumerated().map { index, row -> [String] in
                let tpot = statistics(sweep, tpotP50)
                return [String(row.concurrency), meanWithInterval(row.statistics, format: Format.milliseconds),
                        index < tpot.count ? meanWithInterval(tpot[index].statistics, format: Format.milliseconds) : "n/a"]
            }
            if !rows.isEmpty {
                lines += ["## Streaming", "", MarkdownTable.render(header: ["Concurrency", "TTFT p50 (ms)", "TPOT p50 (ms)"], rows: rows), ""]
            }
        }
        lines += ServerMetricsReport.markdownSection(sweep.serverMetrics, windows: sweep.serverMetricsWindows, timelineFile: serverTimeline)
        lines += ["## Configuration", ""]
        let warmup = plan.warmupSeconds.map { "\(Format.fixed($0, decimals: 3, trimZeros: true)) s" } ?? "\(plan.warmupRequests) requests"
        lines.append("- Requests per level: \(plan.requestsPerLevel.map(String.init) ?? "duration \(Format.fixed(plan.durationPerLevel ?? 0, decimals: 1, trimZeros: true)) s"); warmup \(warmup) per run; cooldown \(Format.fixed(plan.cooldownSeconds, decimals: 0)) s between runs")
        lines.append("- Input \(plan.workload.inputTokens.description) / output \(plan.workload.outputTokens.description) tokens; prompts \(plan.workload.prompt == .unique ? "unique" : "fixed"); stream \(plan.workload.stream ? "yes" : "no")")
        lines.append("- Restart: \(plan.restartCommand.map { "`\($0)` before every run, ready within \(Format.fixed(plan.readyTimeoutSeconds, decimals: 0)) s" } ?? "none")")
        lines += ["", "## Environment", ""]
        lines.append("- CPU: \(sweep.environment.cpuModel) (\(sweep.environment.cores) cores); kernel \(sweep.environment.kernel); host \(sweep.environment.hostname)")
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
