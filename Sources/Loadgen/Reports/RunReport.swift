import HTTPWire

/// Renders a `RunResult` for people (text) and for programs (JSON).
public enum RunReport {
    /// The JSON object of `loadgen run --json`: counts, errors by class, duration, rates and latency.
    public static func json(_ result: RunResult) -> JSONValue {
        let summary = LatencySummary(result.latency)
        var errors: [(String, JSONValue)] = []
        for row in result.failures.byClass { errors.append((row.failure.name, .uint(row.count))) }
        var members = runMembers(result, summary: summary, errors: errors)
        if let index = members.firstIndex(where: { $0.0 == "requested_output_tokens" }) {
            members.insert(contentsOf: promptMembers(result), at: index + 1)
        }
        members.insert(("window_end", .string(result.windowEnd.rawValue)), at: 6)
        members.insert(("workload", .string(result.workloadKind.rawValue)), at: 0)
        members.append(("interrupted", .bool(result.interruptedBySignal != nil)))
        members.append(("interrupted_by", result.interruptedBySignal.map { .string(LoadgenError.signalName($0)) } ?? .null))
        members.append(("goodput_rps", .number(result.goodputRequestsPerSecond, decimals: 3)))
        members.append(("good_requests", .uint(result.goodRequests)))
        if let objectives = result.objectives {
            var slo: [(String, JSONValue)] = []
            if let value = objectives.ttftMilliseconds { slo.append(("ttft_ms", .number(value))) }
            if let value = objectives.tpotMilliseconds { slo.append(("tpot_ms", .number(value))) }
            if let value = objectives.e2eMilliseconds { slo.append(("e2e_ms", .number(value))) }
            members.append(("slo", .object(slo)))
        }
        // Closed loop has no requested rate; its achieved rate is requests started per second.
        members.append(("achieved_rate", .number(result.achievedRate, decimals: 3)))
        if result.requestedRate > 0 {
            members.append(("requested_rate", .number(result.requestedRate, decimals: 3)))
            members.append(("send_lag_ms", distribution(result.sendLag)))
            members.append(("send_lag_histogram", .string(result.sendLag.encoded())))
        }
        if !result.errorExamples.isEmpty {
            members.append(("error_examples", .object(result.errorExamples.map { ("http_\($0.status)", .string($0.printableBody)) })))
        }
        if result.streamedResponses > 0 {
            members.append(("streamed_responses", .uint(result.streamedResponses)))
            members.append(("ttft_ms", distribution(result.timeToFirstToken)))
            members.append(("tpot_ms", distribution(result.timePerOutputToken)))
            members.append(("itl_ms", distribution(result.interTokenLatency)))
            members.append(("itl_per_token_ms", distribution(result.interTokenLatencyPerToken)))
            members.append(("e2e_ms", distribution(result.latency)))
            members.append(("token_chunks", .uint(result.tokenChunks)))
            members.append(("multi_token_chunks", .uint(result.multiTokenChunks)))
            // Lossless histograms, so `loadgen merge` can combine the streaming percentiles too.
            members.append(("ttft_histogram", .string(result.timeToFirstToken.encoded())))
            members.append(("tpot_histogram", .string(result.timePerOutputToken.encoded())))
            members.append(("itl_histogram", .string(result.interTokenLatency.encoded())))
            members.append(("itl_per_token_histogram", .string(result.interTokenLatencyPerToken.encoded())))
        }
        return .object(members)
    }

    /// How the prompts were made and what the server counted, per request (OpenAI workloads).
    static func promptMembers(_ result: RunResult) -> [(String, JSONValue)] {
        guard let method = result.promptTokenMethod else { return [] }
        let perRequest = PromptCheck(result)
        return [
            ("prompt_token_method", .string(method.rawValue)),
            ("prompt_token_source", result.promptTokenSource.map { .string($0) } ?? .null),
            ("prompt_nonce", result.promptNonce.map { .string($0) } ?? .null),
            ("prompt_special_tokens", .int(Int64(result.promptSpecialTokens))),
            ("prompt_template_tokens", result.promptTemplateTokens.map { .int(Int64($0)) } ?? .null),
            ("requested_prompt_tokens_per_request", .number(perRequest.requested, decimals: 3)),
            ("prompt_tokens_per_request", .number(perRequest.counted, decimals: 3)),
            ("expected_prompt_tokens_per_request", perRequest.expected.map { .number($0, decimals: 3) } ?? .null),
            // Server-counted over expected (or, when the server's additions are unknown, requested).
            ("prompt_token_ratio", perRequest.ratio.map { .number($0, decimals: 4) } ?? .null),
        ]
    }

    /// The prompt tokens asked for, expected and counted by the server, per successful request.
    struct PromptCheck {
        var requested = 0.0
        var counted = 0.0
        /// What the server should count: the text's tokens (requested - special) plus what it adds
        /// (the chat template, or the special tokens of a completion), when known.
        var expected: Double?
        var ratio: Double?
        /// Within 5% (the estimate) or 1% (exact prompts) of what was expected or requested.
        var agrees = true

        init(_ result: RunResult) {
            guard result.succeeded > 0, result.requestedPromptTokens > 0, let method = result.promptTokenMethod else { return }
            let answered = Double(result.succeeded - min(result.responsesWithoutUsage, result.succeeded))
            requested = Double(result.requestedPromptTokens) / Double(result.succeeded)
            counted = answered > 0 ? Double(result.promptTokens) / answered : 0
            if method != .estimate, let template = result.promptTemplateTokens {
                expected = requested - Double(result.promptSpecialTokens) + Double(template)
            }
            guard counted > 0 else { return }
            let reference = expected ?? requested
            ratio = counted / reference
            agrees = abs(counted / reference - 1) <= (method == .estimate ? 0.05 : 0.01) || (expected == nil && method != .estimate)
        }
    }

    /// mean, p50, p90, p95, p99 (and min, max) of a histogram, in milliseconds.
    static func distribution(_ histogram: LatencyHistogram) -> JSONValue {
        let summary = LatencySummary(histogram)
        return .object([
            ("count", .uint(summary.count)),
            ("mean", .number(summary.mean, decimals: 4)),
            ("p50", .number(summary.p50, decimals: 4)),
            ("p90", .number(summary.p90, decimals: 4)),
            ("p95", .number(summary.p95, decimals: 4)),
            ("p99", .number(summary.p99, decimals: 4)),
            ("min", .number(summary.min, decimals: 4)),
            ("max", .number(summary.max, decimals: 4)),
        ])
    }

    private static func runMembers(_ result: RunResult, summary: LatencySummary,
                                   errors: [(String, JSONValue)]) -> [(String, JSONValue)] {
        [
            ("requests", .uint(result.requests)),
            ("succeeded", .uint(result.succeeded)),
            ("failed", .uint(result.failed)),
            ("errors", .object(errors)),
            ("success_rate", .number(result.successRate, decimals: 6)),
            ("duration_sec", .number(result.durationSeconds, decimals: 6)),
            // Wall clock (Unix seconds) of the measured window: the first measured send and its end.
            ("started_at", result.startedAtWallSeconds.map { .number($0, decimals: 6) } ?? .null),
            ("ended_at", result.endedAtWallSeconds.map { .number($0, decimals: 6) } ?? .null),
            ("requests_per_sec", .number(result.requestsPerSecond, decimals: 3)),
            ("throughput_total", .number(result.throughputTotal, decimals: 3)),
            ("throughput_output", .number(result.throughputOutput, decimals: 3)),
            ("prompt_tokens", .uint(result.promptTokens)),
            ("completion_tokens", .uint(result.completionTokens)),
            ("output_tokens", .uint(result.completionTokens)),
            ("requested_prompt_tokens", .uint(result.requestedPromptTokens)),
            ("requested_output_tokens", .uint(result.requestedOutputTokens)),
            ("latency_ms", .object([
                ("min", .number(summary.min, decimals: 4)),
                ("mean", .number(summary.mean, decimals: 4)),
                ("stdev", .number(summary.stdev, decimals: 4)),
                ("p50", .number(summary.p50, decimals: 4)),
                ("p90", .number(summary.p90, decimals: 4)),
                ("p95", .number(summary.p95, decimals: 4)),
                ("p99", .number(summary.p99, decimals: 4)),
                ("p999", .number(summary.p999, decimals: 4)),
                ("max", .number(summary.max, decimals: 4)),
            ])),
            ("latency_histogram", .string(result.latency.encoded())),
            ("connections_opened", .uint(result.connectionsOpened)),
            ("concurrency", .int(Int64(result.concurrency))),
            ("threads", .int(Int64(result.threads))),
            ("warmup_requests", .uint(result.warmupRequests)),
            ("bytes_sent", .uint(result.bytesSent)),
            ("bytes_received", .uint(result.bytesReceived)),
            ("client_cpu_us_per_request", .number(result.clientCPUMicrosecondsPerRequest, decimals: 3)),
            ("client_cpu_user_us", .uint(result.clientCPUUserMicroseconds)),
            ("client_cpu_system_us", .uint(result.clientCPUSystemMicroseconds)),
        ]
    }

    /// "ttft <= 500 ms, e2e <= 2000 ms".
    static func objectiveText(_ objectives: ServiceLevelObjectives) -> String {
        var parts: [String] = []
        if let value = objectives.ttftMilliseconds { parts.append("ttft <= \(Format.fixed(value, decimals: 3, trimZeros: true)) ms") }
        if let value = objectives.tpotMilliseconds { parts.append("tpot <= \(Format.fixed(value, decimals: 3, trimZeros: true)) ms") }
        if let value = objectives.e2eMilliseconds { parts.append("e2e <= \(Format.fixed(value, decimals: 3, trimZeros: true)) ms") }
        return parts.joined(separator: ", ")
    }

    /// The streaming table's columns after the name: statistic and its value in milliseconds.
    public struct StreamingColumns: Sendable, Equatable {
        /// Percentiles to show after the mean (vLLM's `--metric-percentiles`).
        public var percentiles: [Double]
        /// Rows, by vLLM's metric names: ttft, tpot, itl, e2el (`--percentile-metrics`).
        public var metrics: [String]
        public init(percentiles: [Double] = [50, 90, 95, 99], metrics: [String] = ["ttft", "tpot", "itl", "e2el"]) {
            self.percentiles = percentiles
            self.metrics = metrics
        }
    }

    /// "p99", "p99.9": a percentile's column name (vLLM's `p{P}` naming).
    public static func percentileName(_ p: Double) -> String {
        "p" + (p == p.rounded() ? String(Int(p)) : Format.fixed(p, decimals: 3, trimZeros: true))
    }

    /// The histogram of a vLLM metric name (ttft, tpot, itl, e2el), or nil.
    public static func histogram(_ result: RunResult, metric: String) -> LatencyHistogram? {
        switch metric {
        case "ttft": result.timeToFirstToken
        case "tpot": result.timePerOutputToken
        case "itl": result.interTokenLatency
        case "e2el": result.latency
        default: nil
        }
    }

    /// The duration line's words for what ended the measured window.
    static func windowText(_ result: RunResult) -> String {
        switch result.windowEnd {
        case .lastResponse: "first send to last response"
        case .endOfSending: "first send to the end of sending: no response came after it"
        case .interrupted: "first send to the interruption"
        case .nothingMeasured: "no response arrived"
        }
    }

    /// Why nothing succeeded, in words: every answer was an error, or none came.
    static func noSuccessText(_ result: RunResult) -> String {
        let classes = result.failures.byClass.map { "\($0.failure.name) \(Format.grouped($0.count))" }.joined(separator: ", ")
        if result.responses == 0 {
            return "no request completed: no response arrived (\(classes))"
        }
        return "no request succeeded: every response was an error (\(classes))"
    }

    /// A readable summary of one run.
    public static func text(_ result: RunResult, url: String, streaming: StreamingColumns = StreamingColumns()) -> String {
        let summary = LatencySummary(result.latency)
        func ms(_ value: Double) -> String { Format.milliseconds(value) }
        var lines: [String] = []
        lines.append("loadgen run \(url)")
        let duration = "duration \(Format.fixed(result.durationSeconds, decimals: 3)) s (\(windowText(result)))"
        if result.requestedRate > 0 {
            lines.append("  open loop at \(Format.rate(result.requestedRate)) req/s, at most \(Format.grouped(UInt64(result.concurrency))) in flight, threads \(result.threads), " + duration)
        } else {
            lines.append("  concurrency \(Format.grouped(UInt64(result.concurrency))), threads \(result.threads), " + duration)
        }
        if let signal = result.interruptedBySignal {
            lines.append("  INTERRUPTED by \(LoadgenError.signalName(signal)): a partial measurement of the requests until then")
        }
        lines.append("")
        lines.append("  requests     \(Format.grouped(result.requests)) started, \(Format.grouped(result.succeeded)) succeeded (\(Format.percent(result.successRate))), \(Format.grouped(result.failed)) failed")
        if result.succeeded == 0, result.requests > 0 {
            lines.append("               " + noSuccessText(result))
        }
        var throughput = "  throughput   \(Format.rate(result.requestsPerSecond)) req/s"
        if result.promptTokens > 0 || result.completionTokens > 0 {
            throughput += ", \(Format.rate(result.throughputTotal)) tok/s total, \(Format.rate(result.throughputOutput)) tok/s output"
        }
        lines.append(throughput)
        if result.requestedRate > 0 {
            let lag = LatencySummary(result.sendLag)
            lines.append("  arrivals     requested \(Format.rate(result.requestedRate)) req/s, achieved \(Format.rate(result.achievedRate)) req/s; "
                + "send lag ms p50 \(ms(lag.p50))  p99 \(ms(lag.p99))  max \(ms(lag.max))")
            lines.append("               (latency counts from each request's scheduled send time)")
        }
        if let objectives = result.objectives, !objectives.isEmpty {
            lines.append("  goodput      \(Format.rate(result.goodputRequestsPerSecond)) req/s: \(Format.grouped(result.goodRequests)) of \(Format.grouped(result.requests)) requests met "
                + objectiveText(objectives))
        }
        if result.requestedOutputTokens > 0 {
            let shortfall = result.requestedOutputTokens > result.completionTokens
                ? Double(result.requestedOutputTokens - result.completionTokens) / Double(result.requestedOutputTokens) : 0
            let approximately = result.promptTokenMethod == .estimate ? "~" : ""
            lines.append("  tokens       prompt \(Format.grouped(result.promptTokens)) (requested \(approximately)\(Format.grouped(result.requestedPromptTokens))), "
                + "output \(Format.grouped(result.completionTokens)) (requested \(Format.grouped(result.requestedOutputTokens)), "
                + "shortfall \(Format.percent(shortfall)))")
        }
        lines += promptLines(result)
        if result.latency.count > 0 {
            lines.append("  latency ms   min \(ms(summary.min))  mean \(ms(summary.mean))  stdev \(ms(summary.stdev))")
            lines.append("               p50 \(ms(summary.p50))  p90 \(ms(summary.p90))  p95 \(ms(summary.p95))  p99 \(ms(summary.p99))  p99.9 \(ms(summary.p999))  max \(ms(summary.max))")
        }
        if result.streamedResponses > 0 {
            lines += streamingTable(result, columns: streaming)
        }
        lines.append("  connections  \(Format.grouped(result.connectionsOpened)) opened")
        if result.failed > 0 {
            let parts = result.failures.byClass.map { "\($0.failure.name) \(Format.grouped($0.count))" }
            lines.append("  errors       " + parts.joined(separator: ", "))
            if let malformed = result.firstMalformed {
                lines.append("               first malformed response: \(malformed)")
            }
            if let errno = result.firstConnectErrno {
                lines.append("               first connect error: \(SystemError.message(for: errno))")
            }
            for example in result.errorExamples {
                lines.append("               http_\(example.status) body: \(example.printableBody)")
            }
        }
        if result.warmupRequests > 0 {
            lines.append("  warmup       \(Format.grouped(result.warmupRequests)) requests excluded")
        }
        lines.append("  client cpu   \(Format.fixed(result.clientCPUMicrosecondsPerRequest, decimals: 2)) us/request "
            + "(user \(Format.fixed(Double(result.clientCPUUserMicroseconds) / 1e6, decimals: 2)) s, "
            + "sys \(Format.fixed(Double(result.clientCPUSystemMicroseconds) / 1e6, decimals: 2)) s)")
        return lines.joined(separator: "\n")
    }

    /// How the prompts were made, and what the server counted against what was asked: said
    /// plainly when they are apart (over 5% with the estimate, 1% with exact prompts).
    static func promptLines(_ result: RunResult) -> [String] {
        guard let method = result.promptTokenMethod else { return [] }
        let check = PromptCheck(result)
        func tokens(_ value: Double) -> String { Format.fixed(value, decimals: 1) }
        let how = method == .estimate ? "estimated, ~4 bytes a token" : "exact"
        var line = "  prompts      \(how) (\(result.promptTokenSource ?? method.rawValue))"
        if let nonce = result.promptNonce { line += ", nonce \(nonce)" }
        var lines = [line]
        guard check.counted > 0 else { return lines }
        var counts = "               per request: \(tokens(check.requested)) requested, \(tokens(check.counted)) counted by the server"
        if let expected = check.expected, let template = result.promptTemplateTokens {
            counts += " (expected \(tokens(expected)): \(result.promptSpecialTokens > 0 ? "\(result.promptSpecialTokens) special taken off the text, " : "")"
                + "\(template) added by the server)"
        } else if method != .estimate {
            counts += " (the chat template adds some)"
        }
        lines.append(counts)
        if !check.agrees, let ratio = check.ratio {
            if method == .estimate {
                lines.append("               the server counted \(Format.fixed(ratio, decimals: 2))x the requested prompt tokens, more than 5% apart: "
                    + "this run did not measure the workload asked for (give --tokenizer PATH, or a server that answers POST /tokenize)")
            } else {
                lines.append("               the server counted \(Format.fixed(ratio, decimals: 3))x the expected prompt tokens: "
                    + "is the tokenizer the served model's?")
            }
        }
        return lines
    }

    /// The streaming rows: a header of right-aligned column names, then each metric's values,
    /// every value ending in the same column as its name (the header used to be built with a
    /// different width than the rows, which put every value one column right of its name).
    static func streamingTable(_ result: RunResult, columns: StreamingColumns) -> [String] {
        let labelWidth = 20
        let columnWidth = 9
        let indent = "               "
        let names = ["mean"] + columns.percentiles.map(percentileName)
        var lines = ["  streaming    \(Format.grouped(result.streamedResponses)) streamed responses, in ms"]
        lines.append(indent + Format.padRight("", labelWidth) + names.map { Format.padLeft($0, columnWidth) }.joined())
        let titles = ["ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2el": "E2E"]
        func row(_ title: String, _ histogram: LatencyHistogram) -> String {
            let values = [histogram.meanNanoseconds / 1e6] + columns.percentiles.map { Double(histogram.valueAtPercentile($0)) / 1e6 }
            return indent + Format.padRight(title, labelWidth) + values.map { Format.padLeft(Format.milliseconds($0), columnWidth) }.joined()
        }
        for metric in columns.metrics {
            guard let histogram = histogram(result, metric: metric) else { continue }
            lines.append(row(titles[metric] ?? metric, histogram))
            // Chunks of several tokens: the per-chunk ITL is not a per-token figure; show both.
            if metric == "itl", result.multiTokenChunks > 0 { lines.append(row("ITL per token", result.interTokenLatencyPerToken)) }
        }
        if result.multiTokenChunks > 0 {
            lines.append(indent + "\(Format.grouped(result.multiTokenChunks)) of \(Format.grouped(result.tokenChunks)) token chunks carried several tokens "
                + "(counted from the usage in every chunk)")
        }
        return lines
    }
}
