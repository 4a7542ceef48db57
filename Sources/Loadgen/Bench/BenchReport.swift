/// Renders a `BenchResult`: the per-test JSON with the seed's fields, the Markdown report with
/// per-phase tables, the summary and two SVG charts, and the terminal table.
package enum BenchReport {
    /// One test as the seed's `TestResult` (latencies in seconds, as the script's), plus what the
    /// seed did not record: the status reason, errors by class, tokens, streaming metrics.
    static func testJSON(_ result: BenchTestResult) -> JSONValue {
        let run = result.run
        var members: [(String, JSONValue)] = [
            ("phase", .string(result.test.phase.rawValue)),
            ("test_name", .string(result.test.name)),
            ("test_type", .string(result.test.type)),
            ("concurrency", .int(Int64(result.test.concurrency))),
            ("num_requests", .int(Int64(result.test.requests))),
            ("successful", .uint(run.succeeded)),
            ("failed", .uint(run.failed)),
            ("success_rate", .number(result.successRate, decimals: 6)),
            ("duration_sec", .number(run.durationSeconds, decimals: 6)),
            ("latency_p50", .number(result.latencyP50, decimals: 6)),
            ("latency_p95", .number(result.latencyP95, decimals: 6)),
            ("latency_p99", .number(result.latencyP99, decimals: 6)),
            ("throughput_total", .number(result.throughputTotal, decimals: 3)),
            ("throughput_output", .number(result.throughputOutput, decimals: 3)),
            ("status", .string(result.status.rawValue)),
            ("status_reason", .string(result.statusReason)),
            ("input_tokens", .int(Int64(result.test.inputTokens))),
            ("output_tokens", .int(Int64(result.test.outputTokens))),
            ("images_per_request", result.test.images.map { .string($0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)") } ?? .int(0)),
            ("requests_started", .uint(run.requests)),
            ("latency_mean", .number(result.latencyMean, decimals: 6)),
            ("requests_per_sec", .number(run.requestsPerSecond, decimals: 4)),
            ("prompt_tokens", .uint(run.promptTokens)),
            ("completion_tokens", .uint(run.completionTokens)),
            ("requested_prompt_tokens", .uint(run.requestedPromptTokens)),
            ("requested_output_tokens", .uint(run.requestedOutputTokens)),
        ] + RunReport.promptMembers(run) + [
            ("errors", RunReport.errors(run.failures)),
            ("interrupted", .bool(result.interrupted)),
            ("started_at", .number(result.startedAtWallSeconds, decimals: 3)),
            ("latency_histogram", .string(run.latency.encoded())),
        ]
        members += RunReport.clientMembers(run)
        if !run.errorExamples.isEmpty || run.tlsFailureExample != nil {
            members.append(("error_examples", RunReport.errorExamples(run.errorExamples, tls: run.tlsFailureExample)))
        }
        if run.streamedResponses > 0 {
            members.append(("ttft_ms", RunReport.distribution(run.timeToFirstToken)))
            members.append(("tpot_ms", RunReport.distribution(run.timePerOutputToken)))
            members.append(("itl_ms", RunReport.distribution(run.interTokenLatency)))
            members.append(("itl_per_token_ms", RunReport.distribution(run.interTokenLatencyPerToken)))
            members.append(("e2e_ms", RunReport.distribution(run.latency)))
        }
        if let metrics = result.serverMetrics { members.append(("server_metrics", metrics.json)) }
        return .object(members)
    }

    static func configJSON(_ config: BenchConfig) -> JSONValue {
        let workload = config.workload
        return .object([
            ("base_url", .string(config.target.url)),
            ("model", .string(workload.model)),
            ("endpoint", .string(workload.endpoint == .chat ? "/v1/chat/completions" : "/v1/completions")),
            ("mode", .string(config.modeName)),
            ("multiplier", .number(config.multiplier)),
            ("vision", .bool(config.vision)),
            ("stream", .bool(workload.stream)),
            ("prompt", .string(workload.prompt == .unique ? "unique" : "fixed")),
            ("seed", .uint(workload.seed)),
            ("skip_saturation", .bool(config.skipSaturation)),
            ("cooldown_sec", .number(config.cooldownSeconds)),
            ("scaling_levels", .array(config.scalingLevels.map { .int(Int64($0)) })),
            ("saturation_levels", .array(config.saturationLevels.map { .int(Int64($0)) })),
            ("request_timeout_sec", .number(config.requestTimeoutSeconds)),
            ("threads", .int(Int64(config.threads))),
        ])
    }

    package static func json(_ bench: BenchResult) -> JSONValue {
        var summary: [(String, JSONValue)] = []
        if let peak = bench.peak {
            summary.append(("peak", .object([("test_name", .string(peak.test.name)), ("concurrency", .int(Int64(peak.test.concurrency))),
                                             ("throughput_total", .number(peak.throughputTotal, decimals: 3))])))
        } else {
            summary.append(("peak", .null))
        }
        if let point = bench.saturationPoint {
            summary.append(("saturation_point", .object([("test_name", .string(point.test.name)), ("concurrency", .int(Int64(point.test.concurrency))),
                                                         ("throughput_total", .number(point.throughputTotal, decimals: 3))])))
        } else {
            summary.append(("saturation_point", .null))
        }
        summary.append(("baseline_p99", bench.baselineP99.map { .number($0, decimals: 6) } ?? .null))
        var document: [(String, JSONValue)] = [
            ("config", configJSON(bench.config)),
            ("environment", bench.environment.json),
            ("results", .array(bench.results.map(testJSON))),
            ("summary", .object(summary)),
            ("complete", .bool(bench.complete)),
            ("abort_reason", bench.abortReason.map { .string($0) } ?? .null),
            ("started_at", .number(bench.startedAtWallSeconds, decimals: 3)),
            ("ended_at", .number(bench.endedAtWallSeconds, decimals: 3)),
            ("measurement_notes", .array(measurementNotes.map { .string($0) })),
        ]
        if let metrics = bench.serverMetrics { document.append(("server_metrics_run", metrics.json)) }
        return .object(document)
    }

    /// What loadgen does differently from the seed's script, stated in every report.
    static let measurementNotes = [
        "duration_sec is wall-clock from the first send to the last response; the seed's script used the longest single latency, which overstates throughput.",
        "Percentiles are interpolated linearly over the exact latencies of the test; the seed's percentile() meant to, but its test `f == int(k)` is always true, so it returned the lower neighbour.",
        "A request succeeds only with a valid OpenAI answer: HTTP < 400, valid JSON, at least one choice and non-zero completion tokens (or a stream carrying text); the seed counted any HTTP 200.",
        "Prompts are unique per request by default (a request number leads each one) so a prefix cache cannot serve them; --prompt fixed reproduces the seed's repeated text.",
        "Request counts are the seed's times the multiplier, rounded (the seed truncated), at least 1; SATURATION adds 750 and 1,000 (the paper's levels) and STRESS adds the paper's 8,000-token context.",
    ]

    /// A table of tests, for the terminal and the Markdown report.
    package static func table(_ results: [BenchTestResult]) -> String {
        let header = ["Test", "Conc", "Reqs", "OK", "Success", "Duration (s)", "p50 (ms)", "p95 (ms)", "p99 (ms)",
                      "Total tok/s", "Output tok/s", "Status", "Client"]
        let rows = results.map { result in
            [result.test.name + (result.interrupted ? " (interrupted)" : ""),
             String(result.test.concurrency),
             result.interrupted ? "\(result.run.requests) of \(result.test.requests)" : String(result.test.requests),
             Format.grouped(result.run.succeeded),
             Format.percent(result.successRate),
             Format.fixed(result.run.durationSeconds, decimals: 2),
             Format.milliseconds(result.latencyP50 * 1000),
             Format.milliseconds(result.latencyP95 * 1000),
             Format.milliseconds(result.latencyP99 * 1000),
             Format.rate(result.throughputTotal),
             Format.rate(result.throughputOutput),
             result.status.rawValue,
             result.run.clientVerdict.brief]
        }
        return MarkdownTable.render(header: header, rows: rows)
    }

    /// TTFT/TPOT/ITL medians and p99s per test, when streaming.
    package static func streamingTable(_ results: [BenchTestResult]) -> String? {
        let streamed = results.filter { $0.run.streamedResponses > 0 }
        guard !streamed.isEmpty else { return nil }
        let header = ["Test", "TTFT p50 (ms)", "TTFT p99 (ms)", "TPOT p50 (ms)", "TPOT p99 (ms)", "ITL p50 (ms)", "ITL p99 (ms)"]
        let rows = streamed.map { result -> [String] in
            let ttft = LatencySummary(result.run.timeToFirstToken)
            let tpot = LatencySummary(result.run.timePerOutputToken)
            let itl = LatencySummary(result.run.interTokenLatency)
            return [result.test.name] + [ttft.p50, ttft.p99, tpot.p50, tpot.p99, itl.p50, itl.p99].map { Format.milliseconds($0) }
        }
        return MarkdownTable.render(header: header, rows: rows)
    }

    /// Peak and saturation point in a sentence each.
    package static func summaryLines(_ bench: BenchResult) -> [String] {
        var lines: [String] = []
        if let peak = bench.peak {
            lines.append("Peak: \(Format.rate(peak.throughputTotal)) total tok/s (\(Format.rate(peak.throughputOutput)) output) at concurrency \(peak.test.concurrency) (\(peak.test.name)).")
        } else {
            lines.append("Peak: no SCALING or SATURATION level completed.")
        }
        if let point = bench.saturationPoint {
            lines.append("Saturation point: concurrency \(point.test.concurrency) (\(point.test.name)): \(point.statusReason).")
        } else {
            lines.append("Saturation point: not reached (no level's total tok/s fell under \(BenchStatusRule.factor(SeedProtocol.saturatedFactor))x the previous level's).")
        }
        if let baseline = bench.baselineP99 {
            lines.append("Baseline p99: \(Format.milliseconds(baseline * 1000)) ms (the DEGRADED reference: 2x is \(Format.milliseconds(2 * baseline * 1000)) ms).")
        }
        let failing = bench.results.filter { $0.status == .failing }
        if !failing.isEmpty {
            lines.append("FAILING: " + failing.map { "\($0.test.name) (\($0.statusReason))" }.joined(separator: "; ") + ".")
        }
        let interrupted = bench.results.filter(\.interrupted)
        if !interrupted.isEmpty {
            lines.append("INTERRUPTED: " + interrupted.map { "\($0.test.name) (\($0.statusReason))" }.joined(separator: "; ") + "; left out of the peak and saturation point.")
        }
        if let attention = ServerMetricsReport.attentionLine(bench.serverMetricsWindows) { lines.append(attention) }
        if let reason = bench.abortReason {
            lines.append("The benchmark stopped after the warmup: \(reason).")
        } else if !bench.complete {
            lines.append("The benchmark was interrupted: the results below are partial (\"complete\": false).")
        }
        return lines
    }

    static func throughputChart(_ bench: BenchResult) -> SVGChart {
        let levels = bench.levelResults
        return SVGChart(title: "Throughput vs Concurrency", xLabel: "Concurrency (SCALING, then SATURATION)", yLabel: "Tokens/sec",
                        categories: levels.map { String($0.test.concurrency) },
                        series: [.init(name: "Total tok/s", values: levels.map(\.throughputTotal), color: SVGChart.palette[0]),
                                 .init(name: "Output tok/s", values: levels.map(\.throughputOutput), color: SVGChart.palette[1])])
    }

    /// p50 and p99 against concurrency: in milliseconds while every value is under a second
    /// (seconds with ticks of 0, 0, 0... said nothing), else in seconds.
    static func latencyChart(_ bench: BenchResult) -> SVGChart {
        let levels = bench.levelResults
        let inSeconds = levels.contains { $0.latencyP99 >= 1 }
        let scale = inSeconds ? 1.0 : 1000.0
        return SVGChart(title: "Latency vs Concurrency", xLabel: "Concurrency (SCALING, then SATURATION)",
                        yLabel: inSeconds ? "Latency (s)" : "Latency (ms)",
                        categories: levels.map { String($0.test.concurrency) },
                        series: [.init(name: "p50", values: levels.map { $0.latencyP50 * scale }, color: SVGChart.palette[0]),
                                 .init(name: "p99", values: levels.map { $0.latencyP99 * scale }, color: SVGChart.palette[2])])
    }

    static func markdown(_ bench: BenchResult, throughputChart: String, latencyChart: String, serverTimeline: String? = nil) -> String {
        let config = bench.config
        var lines: [String] = []
        lines.append("# Unified Benchmark: \(config.workload.model)")
        lines.append("")
        lines.append("loadgen \(bench.environment.loadgenVersion), \(config.modeName), \(config.target.url), "
            + (bench.complete ? "complete." : "**interrupted: partial results**."))
        lines.append("")
        lines.append("## Summary")
        lines.append("")
        for line in summaryLines(bench) { lines.append("- " + line) }
        lines.append("")
        if !bench.levelResults.isEmpty {
            lines.append("## Throughput vs Concurrency")
            lines.append("")
            lines.append("![Throughput vs Concurrency](\(throughputChart))")
            lines.append("")
            lines.append("## Latency vs Concurrency")
            lines.append("")
            lines.append("![Latency vs Concurrency](\(latencyChart))")
            lines.append("")
        }
        for phase in BenchPhase.allCases {
            let results = bench.results.filter { $0.test.phase == phase }
            if results.isEmpty { continue }
            lines.append("## \(phase.rawValue)")
            lines.append("")
            if phase == .warmup { lines.append("Recorded, and excluded from every comparison.\n") }
            lines.append(table(results))
            lines.append("")
            if let streaming = streamingTable(results) {
                lines.append(streaming)
                lines.append("")
            }
            for result in results where result.status != .ok || result.run.failed > 0 {
                var note = "- \(result.test.name): \(result.status.rawValue), \(result.statusReason)"
                if result.run.failed > 0 {
                    note += "; errors: " + RunReport.errorsText(result.run.failures, grouped: false)
                }
                lines.append(note)
            }
            if results.contains(where: { $0.status != .ok || $0.run.failed > 0 }) { lines.append("") }
        }
        lines += ServerMetricsReport.markdownSection(bench.serverMetrics, windows: bench.serverMetricsWindows, firstColumn: "Test",
                                                     timelineFile: serverTimeline)
        lines.append("## Status legend")
        lines.append("")
        for status in [BenchStatus.ok, .degraded, .saturated, .failing, .interrupted] { lines.append("- **\(status.rawValue)**: \(status.meaning)") }
        lines.append("- Rules are phase-relative (paper Table 7): DEGRADED applies in SCALING only; SATURATED in SCALING and SATURATION; SCALING stops at the first SATURATED or FAILING level.")
        lines.append("")
        lines.append("## Measurement")
        lines.append("")
        for note in measurementNotes { lines.append("- " + note) }
        lines.append("")
        lines.append("## Configuration")
        lines.append("")
        lines.append("- Model: \(config.workload.model); endpoint \(config.workload.endpoint == .chat ? "/v1/chat/completions" : "/v1/completions"); stream: \(config.workload.stream ? "yes" : "no"); prompts: \(config.workload.prompt == .unique ? "unique" : "fixed"); seed \(config.workload.seed)")
        lines.append("- Mode: \(config.modeName); vision: \(config.vision ? "yes" : "no"); saturation: \(config.skipSaturation ? "skipped" : "levels " + config.saturationLevels.map(String.init).joined(separator: ", "))")
        lines.append("- Scaling levels: \(config.scalingLevels.map(String.init).joined(separator: ", ")); cooldown \(Format.fixed(config.cooldownSeconds, decimals: 1, trimZeros: true)) s between phases; request timeout \(Format.fixed(config.requestTimeoutSeconds, decimals: 0)) s; client threads \(config.threads)")
        lines.append("")
        lines.append("## Environment")
        lines.append("")
        let environment = bench.environment
        lines.append("- CPU: \(environment.cpuModel) (\(environment.cores) cores); kernel \(environment.kernel); host \(environment.hostname)")
        lines.append("- loadgen \(environment.loadgenVersion)")
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
