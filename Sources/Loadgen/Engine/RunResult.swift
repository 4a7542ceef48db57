import HTTPWire

/// What one load level measured. Plain data: reporters render it, `merge` combines it.
public struct RunResult: Sendable {
    /// Requests started in the measured window. Always `succeeded + failed`.
    public var requests: UInt64 = 0
    /// Requests that ended in success (a complete 2xx answer that passed the workload's check).
    public var succeeded: UInt64 = 0
    /// Requests that failed, by class (`FailureClass`).
    public var failures = FailureCounts()
    /// The measured window in seconds: from the first measured send to the last response (a
    /// success or a failure the server caused), or to the end of sending when that is later
    /// (`WindowEnd`). Rates divide by it. (Not the longest single latency, which the seeds'
    /// client reported as the duration.)
    public var durationSeconds: Double = 0
    /// What ended the measured window.
    public var windowEnd: WindowEnd = .nothingMeasured
    /// What was sent: plain HTTP, or an OpenAI workload, streamed or not (`merge` refuses to mix them).
    public var workloadKind: WorkloadKind = .http
    /// Set when SIGINT or SIGTERM stopped the run: the result covers the requests until then and
    /// is not a complete measurement (reports mark it, verdicts and statuses leave it out).
    public var interruptedBySignal: Int32?
    /// Latency of successful requests, send start to last response byte.
    public var latency = LatencyHistogram()
    /// Streaming responses only (text/event-stream), as `vllm bench serve` defines them:
    /// time to the first event carrying text, the gaps between such events, and per request
    /// (E2E - TTFT) / (output tokens - 1).
    public var timeToFirstToken = LatencyHistogram()
    /// The gaps between consecutive token events of each streamed response (ITL).
    public var interTokenLatency = LatencyHistogram()
    /// Per streamed response of two or more output tokens: (E2E - TTFT) / (output tokens - 1) (TPOT).
    public var timePerOutputToken = LatencyHistogram()
    /// The inter-token latency per token: a chunk carrying k tokens (known from the usage in
    /// every chunk, vLLM's `continuous_usage_stats`) adds k values of its gap / k, so chunks of
    /// several tokens (speculative decoding, `--stream-interval`) do not pass for slow tokens.
    /// Without usage per chunk every chunk counts as one token and this equals the per-chunk ITL.
    public var interTokenLatencyPerToken = LatencyHistogram()
    /// Token events of measured streamed responses, and those that carried more than one token.
    public var tokenChunks: UInt64 = 0
    /// Token events that carried more than one token (known from usage in every chunk).
    public var multiTokenChunks: UInt64 = 0
    /// Token events that arrived merged: returned by the same read as an earlier token event of
    /// their response. They share that read's stamp (with kernel stamps, the receive time of its
    /// last segment), so each adds an inter-token gap of about 0 and moves the first's later.
    /// The client read late (the events queued in its socket), or the server sent them together.
    public var mergedTokenChunks: UInt64 = 0
    /// With `LoadPlan.keepsLatencySamples`: every successful request's latency in nanoseconds, in
    /// completion order per thread (sort before taking percentiles; see `Percentile`).
    public var latencySamples: [UInt64] = []
    /// With `LoadPlan.recordsRequests`: every measured request as it ended, success or failure
    /// (one per started request once the run is over), in end order per thread.
    public var requestRecords: [RequestRecord] = []
    /// Open loop: how late each measured request started against its scheduled time (the
    /// client's own delay, plus waiting for a free connection under the concurrency cap).
    public var sendLag = LatencyHistogram()
    /// Per read that carried a kernel receive timestamp: the loop's clock when it got the bytes
    /// minus the kernel's receive time of the last segment it consumed. Time the response waited
    /// for the client, never the server's (see `TimestampSource`).
    public var clientLag = LatencyHistogram()
    /// The client's own send lag: closed loop, the think time (from a response's completion to the
    /// next send on its connection); open loop, `sendLag` less any wait for a free connection.
    public var clientSendLag = LatencyHistogram()
    /// Per event-loop thread, in loop order (several processes' results merged: each one's loops).
    public var loopLoads: [LoopLoad] = []
    /// The clock that stamped the response times (`LoadPlan.timestamps`).
    public var timestamps: TimestampSource = .kernel
    /// With kernel timestamps: reads that came without one, stamped by the user clock instead.
    public var readsWithoutKernelStamp: UInt64 = 0
    /// The plan's limits for `clientVerdict`.
    public var clientLimits = ClientLimits()
    /// Open loop: the rate asked for (requests/s), 0 in closed loop.
    public var requestedRate: Double = 0
    /// Successful requests that met every objective of `LoadPlan.objectives`.
    public var goodRequests: UInt64 = 0
    /// The first 200 bytes of one error response body per status (>= 400), for the error summary.
    public var errorExamples: [HTTPErrorExample] = []
    /// Successful streamed responses that carried at least one text event.
    public var streamedResponses: UInt64 = 0
    /// Sums of the `usage` token counts found in successful responses.
    public var promptTokens: UInt64 = 0
    /// Completion tokens the server reported in `usage`.
    public var completionTokens: UInt64 = 0
    /// OpenAI workloads: the prompt and output tokens the successful requests asked for
    /// (`promptTokens` and `completionTokens` are what the server reported).
    public var requestedPromptTokens: UInt64 = 0
    /// Output tokens asked for (`max_tokens`) by the successful requests.
    public var requestedOutputTokens: UInt64 = 0
    /// Successful responses that carried no `usage` object.
    public var responsesWithoutUsage: UInt64 = 0
    /// OpenAI workloads: how the prompt lengths were counted (`OpenAIWorkload.exactPrompts`), with
    /// what (a tokenizer's path, the server's `/tokenize`, the bytes / 4 estimate), and the run's
    /// nonce as written at the start of every prompt (nil with the seeds' fixed prompt).
    public var promptTokenMethod: PromptTokenMethod?
    /// With what: a tokenizer's path, the server's `/tokenize` URL, or the estimate.
    public var promptTokenSource: String?
    /// The run's nonce, as written at the start of every prompt.
    public var promptNonce: String?
    /// Tokens the tokenizer adds to every sequence (a BOS), taken off each prompt's text as vLLM
    /// does; and the tokens the server adds around each text: a chat request's template with its
    /// generation prompt (measured with `/tokenize`; nil when unknown, as with `--tokenizer`), a
    /// completion's special tokens. The server's count per request is then requested - special +
    /// template.
    public var promptSpecialTokens = 0
    /// What the prompts were made from when not generated (a dataset, a trace, shared prefixes):
    /// the file and its hash, the sample, the seed, the trace speed, the preparation time.
    public var workloadRecord: WorkloadRecord?
    /// Open loop with a moving rate: the profile (`RateProfile.description`), else nil.
    public var rateProfile: String?
    /// Tokens the server adds around each prompt's text (a chat template, special tokens); nil when unknown.
    public var promptTemplateTokens: Int?
    /// TCP connections established (keep-alive: equals concurrency unless the server closes them).
    public var connectionsOpened: UInt64 = 0
    /// Connection setup, per connection of the run (warmup included, like `connectionsOpened`):
    /// the TCP connect (connect(2) to writable), and for HTTPS the TLS handshake after it, timed
    /// apart so a slow handshake is not mistaken for a slow network. Neither is part of a
    /// request's latency.
    public var tcpConnectTime = LatencyHistogram()
    /// HTTPS: each completed handshake's time, from connected to the session ready.
    public var tlsHandshakeTime = LatencyHistogram()
    /// HTTPS: completed handshakes that resumed a session (no certificate exchange), and the full ones.
    public var tlsResumedHandshakes: UInt64 = 0
    /// HTTPS: completed handshakes that exchanged certificates.
    public var tlsFullHandshakes: UInt64 = 0
    /// HTTPS: OpenSSL's reason for the first `tls` failure (e.g. "error:0A000086:SSL
    /// routines::certificate verify failed: self-signed certificate"), for the error summary.
    public var tlsFailureExample: String?
    /// Multi-turn sessions (`OpenAIWorkload.sessions`): each turn number's own figures (index 0
    /// is the first turn), and what the sessions did; empty and nil otherwise.
    public var turns: [TurnResult] = []
    /// What the sessions did (started, completed, stopped, cut short); nil without sessions.
    public var sessions: SessionCounts?
    /// Requests started during the warmup, excluded from everything above.
    public var warmupRequests: UInt64 = 0
    /// The `usage` tokens of the warmup's answers (HTTP < 400), kept apart: a server's token
    /// counters over a level include the warmup requests still running when its measured
    /// window opened, so the server-metrics cross-check adds these (`MetricsWindow.countsWarmup`).
    package var warmupPromptTokens: UInt64 = 0
    package var warmupCompletionTokens: UInt64 = 0
    /// Bytes written to the sockets in the measured window (over https: plaintext bytes).
    public var bytesSent: UInt64 = 0
    /// Bytes read from the sockets in the measured window (over https: plaintext bytes).
    public var bytesReceived: UInt64 = 0
    /// The first malformed-response error seen, and the first connect errno, for error messages.
    public var firstMalformed: WireError?
    /// The errno of the first failed connect, for the error message.
    public var firstConnectErrno: Int32?
    /// CPU time this process spent during the run, in microseconds.
    public var clientCPUUserMicroseconds: UInt64 = 0
    /// System CPU time of this process during the run, in microseconds.
    public var clientCPUSystemMicroseconds: UInt64 = 0
    /// The plan's objectives (nil: none, and `goodRequests` stays 0).
    public var objectives: ServiceLevelObjectives?
    /// The plan's concurrency and threads, for reports.
    public var concurrency: Int = 0
    /// Event-loop threads the run used.
    public var threads: Int = 0
    /// Wall-clock time (Unix seconds) of the first measured send and of the window's end, so
    /// results from several processes or machines can be merged over the union of their windows.
    /// nil when nothing was measured (or the result was built without `LoadRun`).
    public var startedAtWallSeconds: Double?
    /// Unix time of the measured window's end; nil when nothing was measured.
    public var endedAtWallSeconds: Double?
    /// Monotonic clock readings bounding the measured window, for merging loops.
    package var firstSendNanoseconds: UInt64 = .max
    package var lastCompletionNanoseconds: UInt64 = 0
    /// Open loop: the span the measured schedule covered (the duration, or up to the last send).
    package var scheduleWindowNanoseconds: UInt64 = 0

    /// An empty result: no requests, empty histograms.
    public init() {}

    /// Requests that failed, every class together: `requests - succeeded`.
    public var failed: UInt64 { failures.total }

    /// Combines two results measured at the same time (e.g. two event loops): the counts and
    /// histograms of `fields` add and merge, and the duration spans both windows. What each
    /// process measured for itself (CPU time, concurrency) is left to `mergeProcessFigures`.
    package mutating func merge(_ other: RunResult) {
        for field in Self.fields {
            switch field.kind {
            case .count(let count): self[keyPath: count] += other[keyPath: count]
            case .histogram(let histogram): self[keyPath: histogram].merge(other[keyPath: histogram])
            case .processCount, .processSize, .number, .figure, .derivedCount, .summary, .special: continue
            }
        }
        failures.merge(other.failures)
        turns.merge(other.turns)
        if let counts = other.sessions {
            if sessions == nil { sessions = SessionCounts() }
            sessions?.add(counts)
        }
        // Each loop's (or process's) load stays its own.
        loopLoads += other.loopLoads
        latencySamples += other.latencySamples
        requestRecords += other.requestRecords
        requestedRate = max(requestedRate, other.requestedRate)
        for example in other.errorExamples where !errorExamples.contains(where: { $0.status == example.status }) {
            errorExamples.append(example)
        }
        errorExamples.sort { $0.status < $1.status }
        scheduleWindowNanoseconds = max(scheduleWindowNanoseconds, other.scheduleWindowNanoseconds)
        if promptTokenMethod == nil {
            // Parts of one measurement were prompted alike; the first part's facts stand for all.
            promptTokenMethod = other.promptTokenMethod
            promptTokenSource = other.promptTokenSource
            promptNonce = other.promptNonce
            promptSpecialTokens = other.promptSpecialTokens
            promptTemplateTokens = other.promptTemplateTokens
        }
        if workloadRecord == nil { workloadRecord = other.workloadRecord }
        if rateProfile == nil { rateProfile = other.rateProfile }
        if firstMalformed == nil { firstMalformed = other.firstMalformed }
        if firstConnectErrno == nil { firstConnectErrno = other.firstConnectErrno }
        if tlsFailureExample == nil { tlsFailureExample = other.tlsFailureExample }
        startedAtWallSeconds = [startedAtWallSeconds, other.startedAtWallSeconds].compactMap { $0 }.min()
        endedAtWallSeconds = [endedAtWallSeconds, other.endedAtWallSeconds].compactMap { $0 }.max()
        firstSendNanoseconds = min(firstSendNanoseconds, other.firstSendNanoseconds)
        if other.lastCompletionNanoseconds > lastCompletionNanoseconds || windowEnd == .nothingMeasured { windowEnd = other.windowEnd }
        if interruptedBySignal == nil { interruptedBySignal = other.interruptedBySignal }
        lastCompletionNanoseconds = max(lastCompletionNanoseconds, other.lastCompletionNanoseconds)
        if lastCompletionNanoseconds > firstSendNanoseconds, firstSendNanoseconds != .max {
            durationSeconds = Double(lastCompletionNanoseconds - firstSendNanoseconds) / 1e9
        }
    }

    /// Adds what `other`'s process measured for itself (its CPU time, concurrency and threads:
    /// the `processCount` and `processSize` fields), for results of separate processes (`RunMerge`).
    mutating func mergeProcessFigures(_ other: RunResult) {
        for field in Self.fields {
            switch field.kind {
            case .processCount(let count): self[keyPath: count] += other[keyPath: count]
            case .processSize(let size): self[keyPath: size] += other[keyPath: size]
            case .count, .histogram, .number, .figure, .derivedCount, .summary, .special: continue
            }
        }
    }

    /// Successful requests per second of wall-clock duration.
    public var requestsPerSecond: Double { durationSeconds > 0 ? Double(succeeded) / durationSeconds : 0 }
    /// Prompt plus completion tokens per second.
    public var throughputTotal: Double {
        durationSeconds > 0 ? (Double(promptTokens) + Double(completionTokens)) / durationSeconds : 0
    }
    /// Successful requests meeting every objective, per second of wall-clock duration.
    public var goodputRequestsPerSecond: Double { durationSeconds > 0 ? Double(goodRequests) / durationSeconds : 0 }
    /// Requests started per second: open loop, over the schedule's window (compare
    /// `requestedRate`); closed loop, over the duration.
    public var achievedRate: Double {
        if scheduleWindowNanoseconds > 0 { return Double(requests) / (Double(scheduleWindowNanoseconds) / 1e9) }
        return requestedRate == 0 && durationSeconds > 0 ? Double(requests) / durationSeconds : 0
    }
    /// Completion tokens per second.
    public var throughputOutput: Double { durationSeconds > 0 ? Double(completionTokens) / durationSeconds : 0 }
    /// Fraction of started requests that succeeded, 0...1.
    public var successRate: Double { requests > 0 ? Double(succeeded) / Double(requests) : 0 }
    /// Client CPU microseconds (user + system) per request started, warmup included: the CPU time
    /// covers the whole run, warmup too.
    public var clientCPUMicrosecondsPerRequest: Double {
        let started = requests + warmupRequests
        return started > 0 ? Double(clientCPUUserMicroseconds + clientCPUSystemMicroseconds) / Double(started) : 0
    }
    /// True when every started request is accounted for by exactly one outcome.
    public var countsAddUp: Bool { requests == succeeded + failed }

    /// Requests the server answered or closed on (successes and the failures it caused); the
    /// rest timed out, could not connect (TCP or TLS), or were cancelled.
    public var responses: UInt64 {
        succeeded + failures.responses
    }

    /// Why nothing could be measured when no connection could be set up: every request failed
    /// to connect or in its TLS handshake. "TLS handshake failed: ..." (OpenSSL's reason) or the
    /// connect error in words; nil when anything succeeded or failed otherwise.
    public var connectionSetupFailure: String? {
        guard succeeded == 0, requests > 0, failures[.connect] + failures[.tls] == failed else { return nil }
        if failures[.tls] > 0 { return "TLS handshake failed: " + (tlsFailureExample ?? "no reason given") }
        return firstConnectErrno.map { SystemError.message(for: $0) } ?? "connect failed"
    }

    /// What the requests were: plain HTTP, OpenAI answers, or OpenAI streams (the JSON's `workload`).
    public enum WorkloadKind: String, Sendable, Equatable, CustomStringConvertible {
        case http
        case openAI = "openai"
        case openAIStreamed = "openai_stream"

        /// The kind as its JSON name.
        public var description: String {
            switch self {
            case .http: "plain HTTP"
            case .openAI: "non-streamed OpenAI"
            case .openAIStreamed: "streamed OpenAI"
            }
        }
    }

    /// What ended the measured window, which the rates divide by.
    public enum WindowEnd: String, Sendable, Equatable {
        /// The last response (success, HTTP error, close...) came last.
        case lastResponse = "last_response"
        /// The --duration ran out while requests were still waiting, and none answered after:
        /// the window runs to the end of sending, so a server silent at the end is not hidden.
        case endOfSending = "end_of_sending"
        /// SIGINT or SIGTERM stopped sending while requests were waiting.
        case interrupted
        /// No request got a response and sending never ran out (e.g. every one timed out).
        case nothingMeasured = "none"
    }
}
