/// Reads a `loadgen run --json` object (`RunReport.json`) back into a `RunResult`, e.g. to merge
/// results of several processes (`RunMerge`).
///
/// Everything the JSON carries comes back exactly: counts, tokens, errors by class, error examples,
/// the latency histograms (from their lossless `v2:` encoding), the wall-clock window, CPU time.
/// What it does not carry stays at its default: latency samples, the first malformed response,
/// the first connect errno, responses without usage. Fields added later (per-token ITL, chunk
/// counts, how prompts were counted) are optional, so older files still read.
public enum RunReportDecoder {
    /// Counts above this (2^48, about 2.8e14) are refused as not from a real run, so that adding
    /// up to `RunMerge.maximumParts` results can never overflow.
    public static let maximumCount: UInt64 = 1 << 48

    /// The run result `json` describes; throws if it is not a complete, consistent run result.
    public static func result(from json: JSONValue) throws(RunReportDecodingError) -> RunResult {
        guard json.objectMembers != nil else { throw .notARunReport("not a JSON object") }
        for name in ["requests", "succeeded", "errors"] where json[name] == nil {
            throw .notARunReport("no '\(name)' member")
        }
        var result = RunResult()
        result.requests = try count(json, "requests")
        result.succeeded = try count(json, "succeeded")
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
        result.latency = try histogram(json, "latency_histogram")
        guard result.latency.count == result.succeeded else {
            throw .inconsistent("latency_histogram holds \(result.latency.count) latencies for \(result.succeeded) successful requests")
        }
        result.durationSeconds = try number(json, "duration_sec")
        if let text = json["window_end"]?.stringValue {
            guard let end = RunResult.WindowEnd(rawValue: text) else { throw .badField("window_end", expected: "last_response, end_of_sending, interrupted or none") }
            result.windowEnd = end
        } else if result.durationSeconds > 0 {
            result.windowEnd = .lastResponse
        }
        if json["interrupted"]?.boolValue == true {
            result.interruptedBySignal = json["interrupted_by"]?.stringValue == "SIGTERM" ? 15 : 2
        }
        try readWindow(json, into: &result)
        result.promptTokens = try count(json, "prompt_tokens")
        result.completionTokens = try count(json, "completion_tokens")
        result.requestedPromptTokens = try count(json, "requested_prompt_tokens")
        result.requestedOutputTokens = try count(json, "requested_output_tokens")
        result.connectionsOpened = try count(json, "connections_opened")
        result.concurrency = Int(clamping: try count(json, "concurrency"))
        result.threads = Int(clamping: try count(json, "threads"))
        result.warmupRequests = try count(json, "warmup_requests")
        result.bytesSent = try count(json, "bytes_sent")
        result.bytesReceived = try count(json, "bytes_received")
        result.clientCPUUserMicroseconds = try count(json, "client_cpu_user_us")
        result.clientCPUSystemMicroseconds = try count(json, "client_cpu_system_us")
        result.goodRequests = try count(json, "good_requests")
        if let slo = json["slo"] {
            guard slo.objectMembers != nil else { throw .badField("slo", expected: "an object") }
            result.objectives = ServiceLevelObjectives(ttftMilliseconds: slo["ttft_ms"]?.doubleValue,
                                                       tpotMilliseconds: slo["tpot_ms"]?.doubleValue,
                                                       e2eMilliseconds: slo["e2e_ms"]?.doubleValue)
        }
        if json["requested_rate"] != nil {
            result.requestedRate = try number(json, "requested_rate")
            result.sendLag = try histogram(json, "send_lag_histogram")
            // achieved_rate is requests over the schedule's window; the window is what merges.
            let achieved = try number(json, "achieved_rate")
            if achieved > 0 {
                let window = (Double(result.requests) / achieved * 1e9).rounded()
                guard window < 1e18 else { throw .badField("achieved_rate", expected: "a plausible rate") }
                result.scheduleWindowNanoseconds = UInt64(window)
            }
        }
        if let examples = json["error_examples"] {
            guard let members = examples.objectMembers else { throw .badField("error_examples", expected: "an object") }
            for (name, body) in members {
                guard case .httpStatus(let status)? = FailureClass(name: name), let text = body.stringValue else {
                    throw .badField("error_examples." + name, expected: "an http_NNN body text")
                }
                result.errorExamples.append(HTTPErrorExample(status: status, body: Array(text.utf8)))
            }
        }
        if json["streamed_responses"] != nil {
            result.streamedResponses = try count(json, "streamed_responses")
            result.timeToFirstToken = try histogram(json, "ttft_histogram")
            result.timePerOutputToken = try histogram(json, "tpot_histogram")
            result.interTokenLatency = try histogram(json, "itl_histogram")
            // Files from before per-token ITL and chunk counts have none.
            if json["itl_per_token_histogram"] != nil { result.interTokenLatencyPerToken = try histogram(json, "itl_per_token_histogram") }
            if json["token_chunks"] != nil { result.tokenChunks = try count(json, "token_chunks") }
            if json["multi_token_chunks"] != nil { result.multiTokenChunks = try count(json, "multi_token_chunks") }
        }
        if let text = json["prompt_token_method"]?.stringValue {
            guard let method = PromptTokenMethod(rawValue: text) else { throw .badField("prompt_token_method", expected: "tokenizer, server or estimate") }
            result.promptTokenMethod = method
            result.promptTokenSource = json["prompt_token_source"]?.stringValue
            result.promptNonce = json["prompt_nonce"]?.stringValue
            if json["prompt_special_tokens"] != nil { result.promptSpecialTokens = Int(clamping: try count(json, "prompt_special_tokens")) }
            if let template = json["prompt_template_tokens"], !template.isNull {
                result.promptTemplateTokens = Int(clamping: try count(json, "prompt_template_tokens"))
            }
        }
        if let text = json["workload"]?.stringValue {
            guard let kind = RunResult.WorkloadKind(rawValue: text) else { throw .badField("workload", expected: "http, openai or openai_stream") }
            result.workloadKind = kind
        } else {
            // Files from before the field: what they carry tells.
            result.workloadKind = result.streamedResponses > 0 ? .openAIStreamed : result.requestedOutputTokens > 0 ? .openAI : .http
        }
        return result
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

extension FailureClass {
    /// The class a report key names (`name` read back); nil for anything else.
    init?(name: String) {
        switch name {
        case "connect": self = .connect
        case "timeout": self = .timeout
        case "closed": self = .connectionClosed
        case "malformed": self = .malformedResponse
        case "empty": self = .empty
        case "invalid_json": self = .invalidJSON
        case "too_large": self = .responseTooLarge
        case "cancelled": self = .cancelled
        default:
            guard name.hasPrefix("http_"), let code = Int(name.dropFirst(5)), (400...999).contains(code) else { return nil }
            self = .httpStatus(code)
        }
    }
}

extension FailureCounts {
    /// Adds `count` failures of one class at once (reading a report back, not the hot path).
    mutating func add(_ failure: FailureClass, count: UInt64) {
        switch failure {
        case .connect: connect += count
        case .timeout: timeout += count
        case .connectionClosed: connectionClosed += count
        case .malformedResponse: malformedResponse += count
        case .cancelled: cancelled += count
        case .empty: empty += count
        case .invalidJSON: invalidJSON += count
        case .responseTooLarge: responseTooLarge += count
        case .httpStatus(let code): httpStatus[code - 400] += count
        }
    }
}
