/// Renders a `ValidationResult`: the seed's table, the verdict, JSON, Markdown and two SVG charts.
package enum ValidationReport {
    /// The seed's table: Concurrency | Requests/sec | Tokens/sec | p50 (ms) | p95 (ms) | p99 (ms) |
    /// Success Rate, and the verdict on the client at the level (`ClientVerdict.brief`).
    package static func table(_ result: ValidationResult) -> String {
        let header = ["Concurrency", "Requests/sec", "Tokens/sec", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Success Rate", "Client"]
        var rows: [[String]] = []
        for level in result.levels {
            let summary = LatencySummary(level.result.latency)
            rows.append([
                String(level.concurrency) + (level.interrupted ? " (interrupted)" : ""),
                Format.rate(level.result.requestsPerSecond),
                Format.rate(level.result.throughputTotal),
                Format.milliseconds(summary.p50),
                Format.milliseconds(summary.p95),
                Format.milliseconds(summary.p99),
                Format.percent(level.result.successRate),
                level.result.clientVerdict.brief,
            ])
        }
        return MarkdownTable.render(header: header, rows: rows)
    }

    /// The seed's verdict form: the client's peak against a target workload, with the headroom.
    package static func verdict(_ result: ValidationResult) -> String {
        guard let peak = result.peak else {
            return result.interruptedBySignal != nil ? "Interrupted before any level completed; no verdict." : "No level completed; no verdict."
        }
        let peakRate = peak.result.requestsPerSecond
        let target = result.plan.targetRequestsPerSecond
        var lines: [String] = []
        lines.append("Client peak: \(Format.rate(peakRate)) req/s at concurrency \(peak.concurrency) "
            + "(\(Format.fixed(peakRate / SeedProtocol.Validation.seedClientPeakRequestsPerSecond, decimals: 1))x the seed's Python client, \(Format.rate(SeedProtocol.Validation.seedClientPeakRequestsPerSecond)) req/s).")
        lines.append("Target workload: \(Format.rate(target)) req/s (\(result.plan.targetDescription)).")
        let headroom = result.headroomFactor
        lines.append("Headroom: \(Format.rate(headroom))x.")
        if result.clientIsSufficient {
            lines.append("Conclusion: the benchmark client is NOT the bottleneck; observed throughput limits belong to the server.")
        } else {
            lines.append("WARNING: headroom is under \(Int(SeedProtocol.Validation.sufficientHeadroomFactor))x: the client may distort the measurement of this workload.")
        }
        if let client = clientLine(result) { lines.append(client) }
        let failed = result.completedLevels.filter { $0.result.successRate < 1 }
        if !failed.isEmpty {
            lines.append("Note: success was below 100% at concurrency \(failed.map { String($0.concurrency) }.joined(separator: ", ")); see the errors in the JSON file.")
        }
        if let attention = ServerMetricsReport.attentionLine(result.serverMetricsWindows) { lines.append(attention) }
        let interrupted = result.levels.filter(\.interrupted)
        if !interrupted.isEmpty {
            lines.append("Interrupted: the level at concurrency \(interrupted.map { String($0.concurrency) }.joined(separator: ", ")) was cut short and is left out of the peak and this verdict.")
        }
        return lines.joined(separator: "\n")
    }

    /// Where the client's own figures say it kept up and where it fell behind (`ClientVerdict`),
    /// naming the worst level's figure. At validate's levels both programs run flat out, so this
    /// shows from which level on the client's own delay enters the latencies.
    static func clientLine(_ result: ValidationResult) -> String? {
        let levels = result.completedLevels.filter { $0.result.clientVerdict.isMeasured }
        guard !levels.isEmpty else { return nil }
        let kept = levels.filter { $0.result.clientVerdict.keptUp }.map { String($0.concurrency) }
        let behind = levels.filter { !$0.result.clientVerdict.keptUp }
        var line = "Client timing: "
        if !kept.isEmpty { line += "kept up at concurrency \(kept.joined(separator: ", "))" }
        if let worst = behind.max(by: { ($0.result.clientVerdict.exceeded.first?.ratio ?? 0) < ($1.result.clientVerdict.exceeded.first?.ratio ?? 0) }) {
            line += (kept.isEmpty ? "" : "; ") + "fell behind at \(behind.map { String($0.concurrency) }.joined(separator: ", ")) "
                + "(at \(worst.concurrency): \(worst.result.clientVerdict.summary.replacingPrefix("the client fell behind: ")))"
        }
        return line + "."
    }

    /// Client and server CPU cost per request, per level.
    static func cpuTable(_ result: ValidationResult) -> String {
        let header = ["Concurrency", "Client CPU (us/req)", "Server CPU (us/req)", "Connections", "Requests"]
        let rows = result.levels.map { level in
            [String(level.concurrency) + (level.interrupted ? " (interrupted)" : ""),
             Format.fixed(level.result.clientCPUMicrosecondsPerRequest, decimals: 2),
             level.serverCPUMicrosecondsPerRequest.map { Format.fixed($0, decimals: 2) } ?? "n/a",
             Format.grouped(level.result.connectionsOpened),
             Format.grouped(level.result.requests)]
        }
        return MarkdownTable.render(header: header, rows: rows)
    }

    /// How the run was set up, one line per fact.
    package static func setup(_ result: ValidationResult) -> [String] {
        var lines: [String] = []
        let plan = result.plan
        if let requests = plan.requestsPerLevel {
            lines.append("Method: \(requests) requests per level, no warmup (the seed's method).")
        } else {
            let warmup = plan.warmupRequests.map { "\($0) discarded warmup requests" }
                ?? "a \(Format.fixed(plan.warmupSeconds, decimals: 1, trimZeros: true)) s discarded warmup"
            lines.append("Method: \(Format.fixed(plan.durationSeconds, decimals: 1, trimZeros: true)) s per level after \(warmup), at least \(plan.minimumRequests) requests; duration is first send to last response.")
        }
        lines.append("Target: \(result.url)")
        if let client = result.clientCPUs, let server = result.serverCPUs {
            lines.append("CPU split: client threads on CPUs \(client.first)-\(client.first + client.count - 1), echo-server on CPUs \(server.first)-\(server.first + server.count - 1) (sched_setaffinity; --no-pin turns it off).")
        } else {
            lines.append("CPU split: none (client and server share the CPUs).")
        }
        lines.append("Client threads: \(result.clientThreads); echo-server threads: \(result.serverThreads.map(String.init) ?? "external server").")
        return lines
    }

    package static func json(_ result: ValidationResult) -> JSONValue {
        let plan = result.plan
        var levels: [JSONValue] = []
        for level in result.levels {
            guard case .object(var members) = RunReport.json(level.result) else { continue }
            members.insert(("concurrency", .int(Int64(level.concurrency))), at: 0)
            members.insert(("interrupted", .bool(level.interrupted)), at: 1)
            if let server = level.serverCPUMicrosecondsPerRequest {
                members.append(("server_cpu_us_per_request", .number(server, decimals: 3)))
            }
            if result.serverMetrics != nil { members.append(("server_metrics", level.serverMetrics?.json ?? .null)) }
            levels.append(.object(dedupe(members)))
        }
        var config: [(String, JSONValue)] = [
            ("levels", .array(plan.levels.map { .int(Int64($0)) })),
            ("url", .string(result.url)),
            ("client_threads", .int(Int64(result.clientThreads))),
            ("target_requests_per_sec", .number(plan.targetRequestsPerSecond, decimals: 4)),
            ("target_description", .string(plan.targetDescription)),
        ]
        if let requests = plan.requestsPerLevel {
            config.append(("requests_per_level", .int(Int64(requests))))
        } else {
            config.append(("duration_sec", .number(plan.durationSeconds)))
            if let count = plan.warmupRequests {
                config.append(("warmup_requests", .int(Int64(count))))
            } else {
                config.append(("warmup_sec", .number(plan.warmupSeconds)))
            }
            config.append(("minimum_requests", .int(Int64(plan.minimumRequests))))
        }
        var environment = result.environment.json
        if case .object(var members) = environment {
            members.append(("client_threads", .int(Int64(result.clientThreads))))
            members.append(("client_cpus", cpuJSON(result.clientCPUs)))
            members.append(("echo_server", .object([
                ("started_by_loadgen", .bool(result.serverThreads != nil)),
                ("threads", result.serverThreads.map { .int(Int64($0)) } ?? .null),
                ("pid", result.serverPID.map { .int(Int64($0)) } ?? .null),
                ("cpus", cpuJSON(result.serverCPUs)),
            ])))
            environment = .object(members)
        }
        var peak: JSONValue = .null
        if let best = result.peak {
            peak = .object([("concurrency", .int(Int64(best.concurrency))),
                            ("requests_per_sec", .number(best.result.requestsPerSecond, decimals: 3))])
        }
        var document: [(String, JSONValue)] = [
            ("config", .object(config)),
            ("environment", environment),
            ("levels", .array(levels)),
            ("peak", peak),
            ("headroom_factor", .number(result.headroomFactor, decimals: 2)),
            ("client_is_sufficient", .bool(result.clientIsSufficient)),
            ("interrupted", .bool(result.interruptedBySignal != nil)),
            ("verdict", .string(verdict(result))),
        ]
        if let metrics = result.serverMetrics { document.append(("server_metrics_run", metrics.json)) }
        return .object(document)
    }

    private static func dedupe(_ members: [(String, JSONValue)]) -> [(String, JSONValue)] {
        var seen = Set<String>()
        return members.filter { seen.insert($0.0).inserted }
    }

    private static func cpuJSON(_ range: CPURange?) -> JSONValue {
        guard let range else { return .null }
        return .array((range.first..<(range.first + range.count)).map { .int(Int64($0)) })
    }

    /// Requests/s per completed level (an interrupted level's fragment is not drawn).
    static func throughputChart(_ result: ValidationResult) -> SVGChart {
        let levels = result.completedLevels
        return SVGChart(title: "Client Throughput Capacity", xLabel: "Concurrency", yLabel: "Requests/sec",
                        categories: levels.map { String($0.concurrency) },
                        series: [.init(name: "Requests/sec", values: levels.map(\.result.requestsPerSecond), color: SVGChart.palette[0])])
    }

    static func latencyChart(_ result: ValidationResult) -> SVGChart {
        let levels = result.completedLevels
        let summaries = levels.map { LatencySummary($0.result.latency) }
        return SVGChart(title: "Client Latency Profile", xLabel: "Concurrency", yLabel: "Latency (ms)",
                        categories: levels.map { String($0.concurrency) },
                        series: [.init(name: "p50", values: summaries.map(\.p50), color: SVGChart.palette[0]),
                                 .init(name: "p95", values: summaries.map(\.p95), color: SVGChart.palette[1]),
                                 .init(name: "p99", values: summaries.map(\.p99), color: SVGChart.palette[2])])
    }

    /// The Markdown report; `throughputChart` and `latencyChart` are the SVG file names beside it.
    static func markdown(_ result: ValidationResult, throughputChart: String, latencyChart: String, serverTimeline: String? = nil) -> String {
        var lines: [String] = []
        lines.append("# Client Overhead Validation")
        lines.append("")
        lines.append("loadgen \(result.environment.loadgenVersion) driving the bundled echo server, which answers like an OpenAI endpoint in microseconds, so every limit below is the client's (or the loopback path's).")
        lines.append("")
        lines.append("## Verdict")
        lines.append("")
        for line in verdict(result).split(separator: "\n") { lines.append("- " + line) }
        if result.interruptedBySignal != nil { lines.append("- The run was interrupted; the levels completed before it are shown, and the cut-short level is marked (interrupted).") }
        lines.append("")
        lines.append("## Client Throughput Capacity")
        lines.append("")
        lines.append("![Client Throughput Capacity](\(throughputChart))")
        lines.append("")
        lines.append("## Client Latency Profile")
        lines.append("")
        lines.append("![Client Latency Profile](\(latencyChart))")
        lines.append("")
        lines.append("## Detailed Results")
        lines.append("")
        lines.append(table(result))
        lines.append("")
        lines.append(cpuTable(result))
        lines.append("")
        lines += ServerMetricsReport.markdownSection(result.serverMetrics, windows: result.serverMetricsWindows, timelineFile: serverTimeline)
        lines.append("## Method")
        lines.append("")
        for line in setup(result) { lines.append("- " + line) }
        lines.append("- Unlike the seed's client, duration is wall-clock from the first send to the last response (not the longest single latency), and success requires a complete HTTP response with status < 400.")
        lines.append("")
        lines.append("## Test Environment")
        lines.append("")
        lines.append(MarkdownTable.render(header: ["Component", "Specification"], rows: [
            ["CPU", result.environment.cpuModel],
            ["Cores", String(result.environment.cores)],
            ["Kernel", result.environment.kernel],
            ["loadgen", result.environment.loadgenVersion],
        ]).replacingFirstAlignment())
        lines.append("")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }

    /// Left-aligns a two-column text table (the default alignment is right, for numbers).
    fileprivate func replacingFirstAlignment() -> String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.count > 1 { lines[1] = lines[1].replacingColons() }
        return lines.joined(separator: "\n")
    }

    fileprivate func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}
