/// The multi-turn part of a run's report: what the sessions did, and each turn number's figures
/// (`RunResult.turns`), as text lines and as the `sessions` member of the JSON.
package enum SessionReport {
    /// `sessions` in `run --json`: the session counts, then one object per turn number.
    static func json(_ result: RunResult) -> JSONValue? {
        guard let counts = result.sessions else { return nil }
        return .object([
            ("turns_per_session", .int(Int64(counts.turnsPerSession))),
            ("think_time_sec", .number(counts.thinkTimeSeconds, decimals: 6)),
            ("started", .uint(counts.started)),
            ("completed", .uint(counts.completed)),
            ("stopped_by_failure", .uint(counts.stoppedByFailure)),
            ("cut_short", .uint(counts.cutShort)),
            ("turns_not_sent", .uint(counts.turnsNotSent)),
            ("turns", .array(result.turns.enumerated().map { turnJSON($0.offset + 1, $0.element) })),
        ])
    }

    /// `document` (a run's JSON) with the server's prefix-cache hit share in its `sessions`
    /// object (`prefix_cache_hit_share`, null when the server did not report it).
    package static func addingPrefixCacheHitShare(_ document: JSONValue, _ share: Double?) -> JSONValue {
        guard case .object(var members) = document, let index = members.firstIndex(where: { $0.0 == "sessions" }),
              case .object(var sessions) = members[index].1 else { return document }
        sessions.append(("prefix_cache_hit_share", share.map { .number($0, decimals: 6) } ?? .null))
        members[index].1 = .object(sessions)
        return .object(members)
    }

    private static func turnJSON(_ number: Int, _ turn: TurnResult) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("turn", .int(Int64(number))),
            ("requests", .uint(turn.requests)),
            ("succeeded", .uint(turn.succeeded)),
            ("prompt_tokens", .uint(turn.promptTokens)),
            ("completion_tokens", .uint(turn.completionTokens)),
            ("responses_with_usage", .uint(turn.responsesWithUsage)),
            ("mean_prompt_tokens", .number(turn.meanPromptTokens, decimals: 3)),
            ("mean_completion_tokens", .number(turn.meanCompletionTokens, decimals: 3)),
            ("requested_user_tokens", .uint(turn.requestedUserTokens)),
            ("requested_output_tokens", .uint(turn.requestedOutputTokens)),
            ("mean_requested_user_tokens", .number(turn.meanRequestedUserTokens, decimals: 3)),
            ("mean_requested_output_tokens", .number(turn.meanRequestedOutputTokens, decimals: 3)),
            ("e2e_ms", RunReport.distribution(turn.latency)),
            ("latency_histogram", .string(turn.latency.encoded())),
        ]
        if turn.timeToFirstToken.count > 0 {
            members.append(("ttft_ms", RunReport.distribution(turn.timeToFirstToken)))
            members.append(("ttft_histogram", .string(turn.timeToFirstToken.encoded())))
        }
        return .object(members)
    }

    /// Reads `sessions` back (`RunReportDecoder`), histograms included, so merged results keep
    /// their per-turn percentiles.
    static func read(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        guard let sessions = json["sessions"], sessions.objectMembers != nil else { throw .badField("sessions", expected: "an object") }
        func count(_ value: JSONValue?, _ name: String) throws(RunReportDecodingError) -> UInt64 {
            guard let number = value?.uint64Value, number <= RunReportDecoder.maximumCount else { throw .badField(name, expected: "a count") }
            return number
        }
        var counts = SessionCounts()
        counts.turnsPerSession = Int(clamping: try count(sessions["turns_per_session"], "sessions.turns_per_session"))
        counts.thinkTimeSeconds = sessions["think_time_sec"]?.doubleValue ?? 0
        counts.started = try count(sessions["started"], "sessions.started")
        counts.completed = try count(sessions["completed"], "sessions.completed")
        counts.stoppedByFailure = try count(sessions["stopped_by_failure"], "sessions.stopped_by_failure")
        counts.cutShort = try count(sessions["cut_short"], "sessions.cut_short")
        counts.turnsNotSent = try count(sessions["turns_not_sent"], "sessions.turns_not_sent")
        guard let turns = sessions["turns"]?.arrayValue else { throw .badField("sessions.turns", expected: "an array") }
        var read: [TurnResult] = []
        for turn in turns {
            var figures = TurnResult()
            figures.requests = try count(turn["requests"], "sessions.turns.requests")
            figures.succeeded = try count(turn["succeeded"], "sessions.turns.succeeded")
            figures.promptTokens = try count(turn["prompt_tokens"], "sessions.turns.prompt_tokens")
            figures.completionTokens = try count(turn["completion_tokens"], "sessions.turns.completion_tokens")
            figures.responsesWithUsage = try count(turn["responses_with_usage"], "sessions.turns.responses_with_usage")
            // Files written before the requested counts were kept have none.
            if turn["requested_user_tokens"] != nil {
                figures.requestedUserTokens = try count(turn["requested_user_tokens"], "sessions.turns.requested_user_tokens")
                figures.requestedOutputTokens = try count(turn["requested_output_tokens"], "sessions.turns.requested_output_tokens")
            }
            guard let latency = turn["latency_histogram"]?.stringValue.flatMap(LatencyHistogram.init(encoded:)) else {
                throw .corruptHistogram("sessions.turns.latency_histogram")
            }
            figures.latency = latency
            if let text = turn["ttft_histogram"]?.stringValue {
                guard let ttft = LatencyHistogram(encoded: text) else { throw .corruptHistogram("sessions.turns.ttft_histogram") }
                figures.timeToFirstToken = ttft
            }
            read.append(figures)
        }
        result.sessions = counts
        result.turns = read
    }

    /// The text lines: the sessions' outcomes, then a row per turn: requests, successes, the
    /// server's prompt and output tokens per request, TTFT (streams) and E2E in ms.
    static func lines(_ result: RunResult, prefixCacheHitShare: Double? = nil) -> [String] {
        guard let counts = result.sessions else { return [] }
        let indent = "               "
        var head = "  sessions     \(Format.grouped(counts.started)) started: \(Format.grouped(counts.completed)) completed, "
            + "\(Format.grouped(counts.stoppedByFailure)) stopped by a failed turn"
        if counts.turnsNotSent > 0 { head += " (\(Format.grouped(counts.turnsNotSent)) turns not sent)" }
        head += ", \(Format.grouped(counts.cutShort)) cut short by the run's end"
        var lines = [head]
        var shape = counts.turnsPerSession > 0 ? "\(counts.turnsPerSession) turns a session" : "turns from the conversations"
        shape += ", think time \(Format.fixed(counts.thinkTimeSeconds, decimals: 3, trimZeros: true)) s"
        lines.append(indent + shape)
        let streamed = result.turns.contains { $0.timeToFirstToken.count > 0 }
        let names = ["turn", "requests", "ok", "user tok", "prompt tok", "max tok", "output tok"]
            + (streamed ? ["TTFT p50", "TTFT p90", "TTFT mean"] : []) + ["E2E p50", "E2E p90"]
        let widths = [5, 10, 10, 10, 12, 10, 12] + Array(repeating: 11, count: names.count - 7)
        func row(_ cells: [String]) -> String {
            indent + zip(cells, widths).map { Format.padLeft($0.0, $0.1) }.joined()
        }
        lines.append(row(names))
        func ms(_ nanoseconds: UInt64) -> String { Format.milliseconds(Double(nanoseconds) / 1e6) }
        for (index, turn) in result.turns.enumerated() where turn.requests > 0 {
            var cells = ["\(index + 1)", Format.grouped(turn.requests), Format.grouped(turn.succeeded),
                         Format.fixed(turn.meanRequestedUserTokens, decimals: 1), Format.fixed(turn.meanPromptTokens, decimals: 1),
                         Format.fixed(turn.meanRequestedOutputTokens, decimals: 1), Format.fixed(turn.meanCompletionTokens, decimals: 1)]
            if streamed {
                let ttft = turn.timeToFirstToken
                cells += ttft.count > 0 ? [ms(ttft.valueAtPercentile(50)), ms(ttft.valueAtPercentile(90)),
                                           Format.milliseconds(ttft.meanNanoseconds / 1e6)] : ["-", "-", "-"]
            }
            cells += turn.latency.count > 0 ? [ms(turn.latency.valueAtPercentile(50)), ms(turn.latency.valueAtPercentile(90))] : ["-", "-"]
            lines.append(row(cells))
        }
        lines.append(indent + "per request: user tok the turn's own text (the run's tokenizer), max tok its max_tokens; "
            + "prompt tok (the whole history) and output tok the server's counts; times in ms")
        if let prefixCacheHitShare {
            lines.append(indent + "prefix cache: \(Format.percent(prefixCacheHitShare)) of the prompt tokens the server looked up were cached "
                + "(its prefix_cache_hits / prefix_cache_queries over the run)")
        }
        return lines
    }
}

extension WindowServerMetrics {
    /// The server's prefix-cache hits over its queries in the window (vLLM counts both in
    /// tokens), over every replica; nil where the server does not report them.
    package var prefixCacheHitShare: Double? {
        guard let queries = summary.total(.prefixCacheQueries), queries > 0, let hits = summary.total(.prefixCacheHits) else { return nil }
        return hits / queries
    }
}
