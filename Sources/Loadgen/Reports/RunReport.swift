import HTTPWire

/// Renders a `RunResult` for people (text) and for programs (JSON).
public enum RunReport {
    /// The JSON object of `loadgen run --json`: the members of `RunResult.fields`, in their order.
    public static func json(_ result: RunResult) -> JSONValue {
        .object(RunResult.fields.flatMap { field -> [(String, JSONValue)] in
            guard isWritten(field.presence, result) else { return [] }
            // The prompt facts are several members, written together.
            if case .special(.prompts) = field.kind { return promptMembers(result) }
            guard let value = value(of: field.kind, in: result) else { return [] }
            return [(field.key, value)]
        })
    }

    private static func isWritten(_ presence: RunResult.FieldPresence, _ result: RunResult) -> Bool {
        switch presence {
        case .always: true
        case .openLoop: result.requestedRate > 0
        case .streamed: result.streamedResponses > 0
        case .clientTiming: true
        case .connectTimes: true
        case .tls: result.tlsHandshakeTime.count > 0 || result.failures[.tls] > 0
        case .tokenChunks, .mergedTokens: result.streamedResponses > 0
        case .prompts: result.promptTokenMethod != nil
        case .sessions: result.sessions != nil
        case .notWritten: false
        }
    }

    /// A field's JSON value; nil leaves an optional member out.
    private static func value(of kind: RunResult.FieldKind, in result: RunResult) -> JSONValue? {
        switch kind {
        case .count(let count), .processCount(let count): .uint(result[keyPath: count])
        case .processSize(let size): .int(Int64(result[keyPath: size]))
        case .histogram(let histogram): .string(result[keyPath: histogram].encoded())
        case .number(let number, let decimals): .number(result[keyPath: number], decimals: decimals)
        case .figure(let decimals, let figure): .number(figure(result), decimals: decimals)
        case .derivedCount(let count): .uint(count(result))
        case .summary(let histogram, let layout): summary(result[keyPath: histogram], layout)
        case .special(let special): value(of: special, in: result)
        }
    }

    private static func value(of special: RunResult.SpecialField, in result: RunResult) -> JSONValue? {
        switch special {
        case .workload: .string(result.workloadKind.rawValue)
        case .failed: .uint(result.failed)
        case .errors: errors(result.failures)
        case .windowEnd: .string(result.windowEnd.rawValue)
        case .startedAt: result.startedAtWallSeconds.map { .number($0, decimals: 6) } ?? .null
        case .endedAt: result.endedAtWallSeconds.map { .number($0, decimals: 6) } ?? .null
        case .interrupted: .bool(result.interruptedBySignal != nil)
        case .interruptedBy: result.interruptedBySignal.map { .string(LoadgenError.signalName($0)) } ?? .null
        case .objectives: result.objectives.map(objectivesJSON)
        case .achievedRate: .number(result.achievedRate, decimals: 3)
        case .errorExamples:
            result.errorExamples.isEmpty && result.tlsFailureExample == nil ? nil : errorExamples(result.errorExamples, tls: result.tlsFailureExample)
        case .timestamps: .string(result.timestamps.rawValue)
        case .loopLoads: .array(result.loopLoads.map(loopLoadJSON))
        case .clientLimits: clientLimitsJSON(result.clientLimits)
        case .clientVerdict: clientVerdictJSON(result.clientVerdict)
        case .prompts: result.promptTokenMethod.map { .string($0.rawValue) }
        case .dataset: result.workloadRecord.map(workloadRecordJSON)
        case .rateProfile: result.rateProfile.map { .string($0) }
        case .sessions: SessionReport.json(result)
        }
    }

    /// The `dataset` object: what the prompts were made from, so the run can be repeated.
    static func workloadRecordJSON(_ record: WorkloadRecord) -> JSONValue {
        .object([
            ("source", .string(record.source)),
            ("path", record.path.map { .string($0) } ?? .null),
            ("file_hash", record.fileHash.map { .string($0) } ?? .null),
            ("entries", .int(Int64(record.entries))),
            ("samples", .int(Int64(record.samples))),
            ("distinct_samples", .int(Int64(record.distinctSamples))),
            ("filtered", .int(Int64(record.filtered))),
            ("seed", .uint(record.seed)),
            ("trace_speed", record.traceSpeed.map { .number($0, decimals: 6) } ?? .null),
            ("block_tokens", record.blockTokens.map { .int(Int64($0)) } ?? .null),
            ("prefix_tokens", record.prefixTokens.map { .int(Int64($0)) } ?? .null),
            ("prefixes", record.prefixes.map { .int(Int64($0)) } ?? .null),
            ("turns", record.turns.map { .int(Int64($0)) } ?? .null),
            ("sampled_turns", record.sampledTurns.map { .int(Int64($0)) } ?? .null),
            ("preparation_sec", .number(record.preparationSeconds, decimals: 3)),
            ("preparation_cpu_sec", .number(record.preparationCPUSeconds, decimals: 3)),
        ])
    }

    /// One line on what the prompts were made from, with the preparation time.
    static func workloadRecordLine(_ record: WorkloadRecord) -> String {
        var line = "  dataset      \(record.source)"
        if let path = record.path { line += " \(path)" }
        if let hash = record.fileHash { line += " (hash \(hash))" }
        if let prefixes = record.prefixes, let tokens = record.prefixTokens { line += ", \(prefixes) prefixes of \(tokens) tokens" }
        line += ", \(Format.grouped(UInt64(record.samples))) \(record.turns == nil ? "prompts" : "conversations")"
        if record.distinctSamples < record.samples { line += " (\(Format.grouped(UInt64(record.distinctSamples))) distinct)" }
        if record.entries > 0 { line += " of \(Format.grouped(UInt64(record.entries))) entries" }
        if record.filtered > 0 { line += ", \(Format.grouped(UInt64(record.filtered))) filtered out" }
        if let speed = record.traceSpeed { line += ", speed \(Format.fixed(speed, decimals: 3, trimZeros: true))x" }
        if let block = record.blockTokens { line += ", blocks of \(block) tokens" }
        if let turns = record.turns {
            line += ", at most \(turns) turns a session"
            if let sampled = record.sampledTurns { line += " (\(Format.grouped(UInt64(sampled))) turns sampled)" }
        }
        return line + ", seed \(record.seed); prepared in \(Format.fixed(record.preparationSeconds, decimals: 2)) s "
            + "(\(Format.fixed(record.preparationCPUSeconds, decimals: 2)) s CPU)"
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

    /// The client's own figures and the verdict on them (the `.clientTiming` fields, in their
    /// order), for reports that embed them in their own objects (bench tests, latency).
    static func clientMembers(_ result: RunResult) -> [(String, JSONValue)] {
        RunResult.fields.filter { $0.presence == .clientTiming }.compactMap { field in
            value(of: field.kind, in: result).map { (field.key, $0) }
        }
    }

    private static func loopLoadJSON(_ load: LoopLoad) -> JSONValue {
        .object([
            ("load", .number(load.load, decimals: 4)),
            ("full_batch_share", .number(load.fullWaitShare, decimals: 4)),
            ("cpu_ns", .uint(load.cpuNanoseconds)),
            ("wall_ns", .uint(load.wallNanoseconds)),
            ("epoll_waits", .uint(load.waits)),
            ("full_batches", .uint(load.fullWaits)),
        ])
    }

    private static func clientLimitsJSON(_ limits: ClientLimits) -> JSONValue {
        .object([
            ("client_lag_ms", .number(limits.clientLagMilliseconds)),
            ("send_lag_ms", .number(limits.sendLagMilliseconds)),
            ("loop_load", .number(limits.loopLoad)),
            ("merged_token_share", .number(limits.mergedTokenShare)),
        ])
    }

    private static func clientVerdictJSON(_ verdict: ClientVerdict) -> JSONValue {
        .object([
            ("kept_up", .bool(verdict.keptUp)),
            ("measured", .bool(verdict.isMeasured)),
            ("exceeded", .array(verdict.exceeded.map { .string($0.figure.rawValue) })),
            ("cautions", .array(verdict.cautions.map { .string($0.figure.rawValue) })),
            ("summary", .string(verdict.summary)),
        ])
    }

    /// `errors`: failures by class in report order, `FailureClass.name` -> count.
    static func errors(_ failures: FailureCounts) -> JSONValue {
        .object(failures.byClass.map { ($0.failure.name, .uint($0.count)) })
    }

    /// "closed 1,234, http_503 20": failures by class in report order, for text (`grouped`: the
    /// counts by the reports' number rule; the bench and latency tables print them plain).
    static func errorsText(_ failures: FailureCounts, grouped: Bool = true) -> String {
        failures.byClass.map { "\($0.failure.name) \(grouped ? Format.grouped($0.count) : String($0.count))" }.joined(separator: ", ")
    }

    /// `error_examples`: `tls` -> OpenSSL's reason for the first TLS failure, if any, then
    /// `http_NNN` -> the first bytes of one error body per status.
    static func errorExamples(_ examples: [HTTPErrorExample], tls: String? = nil) -> JSONValue {
        let reason: [(String, JSONValue)] = tls.map { [(FailureClass.tls.name, .string($0))] } ?? []
        return .object(reason + examples.map { ("http_\($0.status)", .string($0.printableBody)) })
    }

    private static func objectivesJSON(_ objectives: ServiceLevelObjectives) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let value = objectives.ttftMilliseconds { members.append(("ttft_ms", .number(value))) }
        if let value = objectives.tpotMilliseconds { members.append(("tpot_ms", .number(value))) }
        if let value = objectives.e2eMilliseconds { members.append(("e2e_ms", .number(value))) }
        return .object(members)
    }

    /// The statistics `layout` names, in milliseconds with four decimals (the count as an integer).
    static func summary(_ histogram: LatencyHistogram, _ layout: RunResult.SummaryLayout) -> JSONValue {
        let summary = LatencySummary(histogram)
        let statistics: [(String, Double)] = switch layout {
        case .full:
            [("min", summary.min), ("mean", summary.mean), ("stdev", summary.stdev), ("p50", summary.p50), ("p90", summary.p90),
             ("p95", summary.p95), ("p99", summary.p99), ("p999", summary.p999), ("max", summary.max)]
        case .distribution:
            [("mean", summary.mean), ("p50", summary.p50), ("p90", summary.p90), ("p95", summary.p95), ("p99", summary.p99),
             ("min", summary.min), ("max", summary.max)]
        }
        let count: [(String, JSONValue)] = layout == .distribution ? [("count", .uint(summary.count))] : []
        return .object(count + statistics.map { ($0.0, .number($0.1, decimals: 4)) })
    }

    /// mean, p50, p90, p95, p99 (and count, min, max) of a histogram, in milliseconds.
    package static func distribution(_ histogram: LatencyHistogram) -> JSONValue { summary(histogram, .distribution) }

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
        /// vLLM's default table: mean, p50, p90, p95, p99 of TTFT, TPOT, ITL and E2E.
        public init(percentiles: [Double] = [50, 90, 95, 99], metrics: [String] = ["ttft", "tpot", "itl", "e2el"]) {
            self.percentiles = percentiles
            self.metrics = metrics
        }
    }

    /// "p99", "p99.9": a percentile's column name (vLLM's `p{P}` naming).
    static func percentileName(_ p: Double) -> String {
        "p" + (p == p.rounded() ? String(Int(p)) : Format.fixed(p, decimals: 3, trimZeros: true))
    }

    /// The histogram of a vLLM metric name (ttft, tpot, itl, e2el), or nil.
    static func histogram(_ result: RunResult, metric: String) -> LatencyHistogram? {
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
        let classes = errorsText(result.failures)
        if result.responses == 0 {
            return "no request completed: no response arrived (\(classes))"
        }
        return "no request succeeded: every response was an error (\(classes))"
    }

    /// A readable summary of one run.
    public static func text(_ result: RunResult, url: String, streaming: StreamingColumns = StreamingColumns(),
                            prefixCacheHitShare: Double? = nil) -> String {
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
            // A multi-turn prompt is the history, which no request asked a length of.
            let requested = result.sessions == nil ? " (requested \(approximately)\(Format.grouped(result.requestedPromptTokens)))" : ""
            lines.append("  tokens       prompt \(Format.grouped(result.promptTokens))\(requested), "
                + "output \(Format.grouped(result.completionTokens)) (requested \(Format.grouped(result.requestedOutputTokens)), "
                + "shortfall \(Format.percent(shortfall)))")
        }
        if let record = result.workloadRecord { lines.append(workloadRecordLine(record)) }
        lines += promptLines(result)
        if result.latency.count > 0 {
            lines.append("  latency ms   min \(ms(summary.min))  mean \(ms(summary.mean))  stdev \(ms(summary.stdev))")
            lines.append("               p50 \(ms(summary.p50))  p90 \(ms(summary.p90))  p95 \(ms(summary.p95))  p99 \(ms(summary.p99))  p99.9 \(ms(summary.p999))  max \(ms(summary.max))")
        }
        if result.streamedResponses > 0 {
            lines += streamingTable(result, columns: streaming)
        }
        lines += SessionReport.lines(result, prefixCacheHitShare: prefixCacheHitShare)
        var connections = "  connections  \(Format.grouped(result.connectionsOpened)) opened"
        if result.tcpConnectTime.count > 0 {
            let connect = LatencySummary(result.tcpConnectTime)
            connections += "; connect ms p50 \(ms(connect.p50))  p99 \(ms(connect.p99))  max \(ms(connect.max))"
        }
        lines.append(connections)
        if result.tlsHandshakeTime.count > 0 {
            let handshake = LatencySummary(result.tlsHandshakeTime)
            lines.append("  tls          \(Format.grouped(result.tlsHandshakeTime.count)) handshakes (\(Format.grouped(result.tlsFullHandshakes)) full, "
                + "\(Format.grouped(result.tlsResumedHandshakes)) resumed); handshake ms p50 \(ms(handshake.p50))  p99 \(ms(handshake.p99))  max \(ms(handshake.max))")
        }
        if result.failed > 0 {
            lines.append("  errors       " + errorsText(result.failures))
            if let malformed = result.firstMalformed {
                lines.append("               first malformed response: \(malformed)")
            }
            if let errno = result.firstConnectErrno {
                lines.append("               first connect error: \(SystemError.message(for: errno))")
            }
            if let reason = result.tlsFailureExample {
                lines.append("               first tls failure: \(reason)")
            }
            for example in result.errorExamples {
                lines.append("               http_\(example.status) body: \(example.printableBody)")
            }
        }
        if result.warmupRequests > 0 {
            lines.append("  warmup       \(Format.grouped(result.warmupRequests)) requests excluded")
        }
        lines += clientLines(result)
        lines.append("  client cpu   \(Format.fixed(result.clientCPUMicrosecondsPerRequest, decimals: 2)) us/request "
            + "(user \(Format.fixed(Double(result.clientCPUUserMicroseconds) / 1e6, decimals: 2)) s, "
            + "sys \(Format.fixed(Double(result.clientCPUSystemMicroseconds) / 1e6, decimals: 2)) s)")
        return lines.joined(separator: "\n")
    }

    /// The client's own figures, one line each, and the verdict (`ClientVerdict`).
    static func clientLines(_ result: RunResult) -> [String] {
        func ms(_ nanoseconds: UInt64) -> String { Format.milliseconds(Double(nanoseconds) / 1e6) }
        func spread(_ histogram: LatencyHistogram) -> String {
            "ms p50 \(ms(histogram.valueAtPercentile(50)))  p99 \(ms(histogram.valueAtPercentile(99)))  max \(ms(histogram.maxNanoseconds))"
        }
        var lines: [String] = []
        if result.clientLag.count > 0 {
            var line = "  client lag   \(spread(result.clientLag)) over \(Format.grouped(result.clientLag.count)) reads"
            line += result.timestamps == .kernel ? " (times stamped by the kernel)" : " (times stamped by the user clock: --stamp user)"
            if result.readsWithoutKernelStamp > 0 { line += "; \(Format.grouped(result.readsWithoutKernelStamp)) reads had no kernel stamp" }
            lines.append(line)
        }
        if result.clientSendLag.count > 0 {
            if result.sessions != nil {
                lines.append("  client send  " + spread(result.clientSendLag) + " (a turn's send after its think time ended, or after the answer)")
            } else {
                lines.append((result.requestedRate > 0 ? "  client send  " : "  think time   ") + spread(result.clientSendLag)
                    + (result.requestedRate > 0 ? " (send lag less waits for a free connection)" : " (a response's completion to the next send)"))
            }
        }
        if !result.loopLoads.isEmpty {
            let busiest = result.loopLoads.max { $0.load < $1.load }!
            var line = "  loop load    \(Format.percent(busiest.load)) CPU"
            if result.loopLoads.count > 1 { line += " (busiest of \(result.loopLoads.count): " + result.loopLoads.map { Format.percent($0.load) }.joined(separator: ", ") + ")" }
            line += ", full epoll batches \(Format.percent(busiest.fullWaitShare))"
            lines.append(line)
        }
        if result.tokenChunks > 0 {
            lines.append("  merged       \(Format.grouped(result.mergedTokenChunks)) of \(Format.grouped(result.tokenChunks)) token events "
                + "(\(Format.percent(result.mergedTokenShare))) came in one read with an earlier one (same stamp: ITL 0)")
        }
        lines.append("  verdict      " + result.clientVerdict.summary)
        return lines
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
