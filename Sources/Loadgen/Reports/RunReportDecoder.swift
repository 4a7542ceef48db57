/// Reads a `loadgen run --json` object (`RunReport.json`) back into a `RunResult`, e.g. to merge
/// results of several processes (`RunMerge`).
///
/// Everything the JSON carries comes back exactly: counts, tokens, errors by class, error examples,
/// the latency and connection-setup histograms (from their lossless `v2:` encoding), the
/// wall-clock window, CPU time.
/// What it does not carry stays at its default: latency samples, the first malformed response,
/// the first connect errno, responses without usage. Fields added later (per-token ITL, chunk
/// counts, how prompts were counted) are optional, so older files still read.
public enum RunReportDecoder {
    /// Counts above this (2^48, about 2.8e14) are refused as not from a real run, so that adding
    /// up to `RunMerge.maximumParts` results can never overflow.
    public static let maximumCount: UInt64 = 1 << 48

    /// The run result in `text`, the contents of a `loadgen run --json` file.
    public static func result(fromJSONText text: String) throws(RunReportDecodingError) -> RunResult {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw .invalidJSON(error.description) }
        return try result(from: json)
    }

    /// The run result `json` describes; throws if it is not a complete, consistent run result.
    /// Reads the members of `RunResult.fields` in their order: counts, numbers and histograms
    /// by their kind, the special members by their own rules; computed figures are not read.
    public static func result(from json: JSONValue) throws(RunReportDecodingError) -> RunResult {
        guard json.objectMembers != nil else { throw .notARunReport("not a JSON object") }
        for name in ["requests", "succeeded", "errors"] where json[name] == nil {
            throw .notARunReport("no '\(name)' member")
        }
        var result = RunResult()
        for field in RunResult.fields where isPresent(field.presence, json) {
            switch field.kind {
            case .count(let path), .processCount(let path): result[keyPath: path] = try count(json, field.key)
            case .processSize(let path): result[keyPath: path] = Int(clamping: try count(json, field.key))
            case .number(let path, _): result[keyPath: path] = try number(json, field.key)
            case .histogram(let path):
                result[keyPath: path] = try histogram(json, field.key)
                if path == \RunResult.latency, result.latency.count != result.succeeded {
                    throw .inconsistent("latency_histogram holds \(result.latency.count) latencies for \(result.succeeded) successful requests")
                }
                if path == \RunResult.tlsHandshakeTime, result.tlsHandshakeTime.count != result.tlsFullHandshakes + result.tlsResumedHandshakes {
                    throw .inconsistent("tls_handshake_histogram holds \(result.tlsHandshakeTime.count) handshakes for \(result.tlsFullHandshakes) full and \(result.tlsResumedHandshakes) resumed")
                }
            case .figure, .derivedCount, .summary: continue
            case .special(let special): try read(special, json, into: &result)
            }
        }
        try readWorkload(json, into: &result)
        // Files from before the client's own figures were stamped by the user clock.
        if json["timestamps"] == nil { result.timestamps = .user }
        return result
    }

    /// Whether the JSON carries a field: an open-loop or streaming group is there when its first
    /// member is.
    private static func isPresent(_ presence: RunResult.FieldPresence, _ json: JSONValue) -> Bool {
        switch presence {
        case .always: true
        case .openLoop: json["requested_rate"] != nil
        case .streamed: json["streamed_responses"] != nil
        case .clientTiming: json["timestamps"] != nil
        case .connectTimes: json["connect_histogram"] != nil
        case .tls: json["tls_handshakes_full"] != nil
        case .tokenChunks: json["token_chunks"] != nil
        case .mergedTokens: json["merged_token_chunks"] != nil
        case .prompts: json["prompt_token_method"] != nil
        case .sessions: json["sessions"] != nil
        case .notWritten: false
        }
    }

    private static func read(_ special: RunResult.SpecialField, _ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        switch special {
        case .workload, .endedAt, .interruptedBy:
            // Read with the member they depend on or that reads them: after the rest, started_at, interrupted.
            return
        case .failed:
            _ = try count(json, "failed")
        case .errors:
            try readErrors(json, into: &result)
        case .windowEnd:
            if let text = json["window_end"]?.stringValue {
                guard let end = RunResult.WindowEnd(rawValue: text) else { throw .badField("window_end", expected: "last_response, end_of_sending, interrupted or none") }
                result.windowEnd = end
            } else if result.durationSeconds > 0 {
                result.windowEnd = .lastResponse
            }
        case .startedAt:
            try readWindow(json, into: &result)
        case .interrupted:
            if json["interrupted"]?.boolValue == true {
                result.interruptedBySignal = json["interrupted_by"]?.stringValue == "SIGTERM" ? 15 : 2
            }
        case .objectives:
            guard let slo = json["slo"] else { return }
            guard slo.objectMembers != nil else { throw .badField("slo", expected: "an object") }
            result.objectives = ServiceLevelObjectives(ttftMilliseconds: slo["ttft_ms"]?.doubleValue,
                                                       tpotMilliseconds: slo["tpot_ms"]?.doubleValue,
                                                       e2eMilliseconds: slo["e2e_ms"]?.doubleValue)
        case .achievedRate:
            // In open loop, achieved_rate is requests over the schedule's window; the window is what merges.
            guard json["requested_rate"] != nil else { return }
            let achieved = try number(json, "achieved_rate")
            if achieved > 0 {
                let window = (Double(result.requests) / achieved * 1e9).rounded()
                guard window < 1e18 else { throw .badField("achieved_rate", expected: "a plausible rate") }
                result.scheduleWindowNanoseconds = UInt64(window)
            }
        case .timestamps:
            let text = json["timestamps"]?.stringValue ?? ""
            guard let source = TimestampSource(rawValue: text) else { throw .badField("timestamps", expected: "kernel or user") }
            result.timestamps = source
        case .loopLoads:
            guard let loads = json["loop_load"]?.arrayValue else { throw .badField("loop_load", expected: "an array") }
            for load in loads {
                result.loopLoads.append(LoopLoad(cpuNanoseconds: try count(load, "cpu_ns"), wallNanoseconds: try count(load, "wall_ns"),
                                                 waits: try count(load, "epoll_waits"), fullWaits: try count(load, "full_batches")))
            }
        case .clientLimits:
            guard let limits = json["client_limits"], limits.objectMembers != nil else { throw .badField("client_limits", expected: "an object") }
            // Files from before the merged token events limit carry none: the default.
            let merged = limits["merged_token_share"] == nil ? ClientLimits().mergedTokenShare : try number(limits, "merged_token_share")
            result.clientLimits = ClientLimits(clientLagMilliseconds: try number(limits, "client_lag_ms"),
                                               sendLagMilliseconds: try number(limits, "send_lag_ms"),
                                               loopLoad: try number(limits, "loop_load"), mergedTokenShare: merged)
        case .clientVerdict:
            // Judged again from the figures and limits read back.
            return
        case .prompts:
            try readPrompts(json, into: &result)
        case .dataset:
            try readWorkloadRecord(json, into: &result)
        case .rateProfile:
            result.rateProfile = json["rate_profile"]?.stringValue
        case .sessions:
            try SessionReport.read(json, into: &result)
        case .errorExamples:
            guard let examples = json["error_examples"] else { return }
            guard let members = examples.objectMembers else { throw .badField("error_examples", expected: "an object") }
            for (name, body) in members {
                if name == FailureClass.tls.name, let text = body.stringValue {
                    result.tlsFailureExample = text
                    continue
                }
                guard case .httpStatus(let status)? = FailureClass(name: name), let text = body.stringValue else {
                    throw .badField("error_examples." + name, expected: "an http_NNN body text or the tls reason")
                }
                result.errorExamples.append(HTTPErrorExample(status: status, body: Array(text.utf8)))
            }
        }
    }

    /// `errors` must name known classes once each and add up to `failed`, and the counts to `requests`.
    /// The `dataset` object (`RunReport.workloadRecordJSON`), when there is one.
    private static func readWorkloadRecord(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        guard let object = json["dataset"], !object.isNull else { return }
        guard object.objectMembers != nil, let source = object["source"]?.stringValue else {
            throw .badField("dataset", expected: "an object with a source")
        }
        var record = WorkloadRecord(source: source)
        record.path = object["path"]?.stringValue
        record.fileHash = object["file_hash"]?.stringValue
        record.entries = Int(clamping: try count(object, "entries"))
        record.samples = Int(clamping: try count(object, "samples"))
        record.distinctSamples = Int(clamping: try count(object, "distinct_samples"))
        record.filtered = Int(clamping: try count(object, "filtered"))
        record.seed = try count(object, "seed")
        record.traceSpeed = object["trace_speed"]?.doubleValue
        record.blockTokens = object["block_tokens"]?.intValue
        record.prefixTokens = object["prefix_tokens"]?.intValue
        record.prefixes = object["prefixes"]?.intValue
        record.turns = object["turns"]?.intValue
        record.sampledTurns = object["sampled_turns"]?.intValue
        record.preparationSeconds = try number(object, "preparation_sec")
        record.preparationCPUSeconds = object["preparation_cpu_sec"]?.doubleValue ?? 0
        result.workloadRecord = record
    }

    /// How the prompts were made (`RunReport.promptMembers`); the per-request figures are derived.
    private static func readPrompts(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        guard let text = json["prompt_token_method"]?.stringValue, let method = PromptTokenMethod(rawValue: text) else {
            throw .badField("prompt_token_method", expected: "tokenizer, server or estimate")
        }
        result.promptTokenMethod = method
        result.promptTokenSource = json["prompt_token_source"]?.stringValue
        result.promptNonce = json["prompt_nonce"]?.stringValue
        if json["prompt_special_tokens"] != nil { result.promptSpecialTokens = Int(clamping: try count(json, "prompt_special_tokens")) }
        if let template = json["prompt_template_tokens"], !template.isNull {
            result.promptTemplateTokens = Int(clamping: try count(json, "prompt_template_tokens"))
        }
    }

    private static func readErrors(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        let failed = try count(json, "failed")
        guard let errors = json["errors"]?.objectMembers else { throw .badField("errors", expected: "an object") }
        var seen: Set<String> = []
        for (name, value) in errors {
            guard let failure = FailureClass(name: name) else { throw .badField("errors." + name, expected: "a known error class") }
            // A repeated class would be added twice (and many repeats could overflow the sum).
            guard seen.insert(name).inserted else { throw .badField("errors." + name, expected: "one count (it appears twice)") }
            guard let count = value.uint64Value, count <= maximumCount else { throw .badField("errors." + name, expected: "a count") }
            result.failures.add(failure, count: count)
        }
        guard result.failures.total == failed, result.requests == result.succeeded + failed else {
            throw .inconsistent("requests \(result.requests), succeeded \(result.succeeded), failed \(failed), errors adding up to \(result.failures.total)")
        }
    }

    private static func readWorkload(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        if let text = json["workload"]?.stringValue {
            guard let kind = RunResult.WorkloadKind(rawValue: text) else { throw .badField("workload", expected: "http, openai or openai_stream") }
            result.workloadKind = kind
        } else {
            // Files from before the field: what they carry tells.
            result.workloadKind = result.streamedResponses > 0 ? .openAIStreamed : result.requestedOutputTokens > 0 ? .openAI : .http
        }
    }

    /// `started_at` and `ended_at` must be present; both null means nothing was measured.
    private static func readWindow(_ json: JSONValue, into result: inout RunResult) throws(RunReportDecodingError) {
        guard let started = json["started_at"], let ended = json["ended_at"] else { throw .noWallClockWindow }
        if started.isNull, ended.isNull { return }
        guard let start = started.doubleValue else { throw .badField("started_at", expected: "Unix seconds") }
        guard let end = ended.doubleValue else { throw .badField("ended_at", expected: "Unix seconds") }
        guard end >= start else { throw .inconsistent("ended_at \(end) is before started_at \(start)") }
        result.startedAtWallSeconds = start
        result.endedAtWallSeconds = end
    }

    private static func count(_ json: JSONValue, _ name: String) throws(RunReportDecodingError) -> UInt64 {
        guard let value = json[name] else { throw .missingField(name) }
        guard let count = value.uint64Value, count <= maximumCount else {
            throw .badField(name, expected: "an integer from 0 to \(maximumCount)")
        }
        return count
    }

    private static func number(_ json: JSONValue, _ name: String) throws(RunReportDecodingError) -> Double {
        guard let value = json[name] else { throw .missingField(name) }
        guard let number = value.doubleValue, number.isFinite, number >= 0 else { throw .badField(name, expected: "a non-negative number") }
        return number
    }

    private static func histogram(_ json: JSONValue, _ name: String) throws(RunReportDecodingError) -> LatencyHistogram {
        guard let text = json[name]?.stringValue, let histogram = LatencyHistogram(encoded: text) else { throw .corruptHistogram(name) }
        return histogram
    }
}
