extension RunResult {
    /// One member of a run result as reports write it (`run --json`, in this order), with how it
    /// is read back and how it merges. `fields` is the one list of a run's metrics, as a type's
    /// coding keys are: `RunResult.merge` and `RunMerge` add the counts and merge the histograms
    /// it names, `RunReport.json` writes it, `RunReportDecoder` reads it back. A new metric is a
    /// stored property and one line in `fields`.
    struct Field: Sendable {
        /// The member's name in the JSON.
        let key: String
        let kind: FieldKind
        let presence: FieldPresence

        init(_ key: String, _ kind: FieldKind, _ presence: FieldPresence = .always) {
            self.key = key
            self.kind = kind
            self.presence = presence
        }
    }

    /// What a field holds, which says how it is written, read back and merged.
    enum FieldKind: Sendable {
        /// An integer count: written exactly, read back exactly, added whenever results merge.
        case count(WritableKeyPath<RunResult, UInt64> & Sendable)
        /// A count measured per process (CPU time): added only across processes (`RunMerge`),
        /// since the event loops of one process share it.
        case processCount(WritableKeyPath<RunResult, UInt64> & Sendable)
        /// A size of the process's setup (concurrency, threads): added across processes (`RunMerge`).
        case processSize(WritableKeyPath<RunResult, Int> & Sendable)
        /// A latency histogram in its lossless encoding (`LatencyHistogram.encoded()`), merged exactly.
        case histogram(WritableKeyPath<RunResult, LatencyHistogram> & Sendable)
        /// A stored number with its own merge rule in `RunResult.merge` (the duration spans the
        /// windows; the requested rate is the largest of one process's loops, the sum of processes').
        case number(WritableKeyPath<RunResult, Double> & Sendable, decimals: Int)
        /// A figure computed from the others (a rate, a share): written, not read back.
        case figure(decimals: Int, @Sendable (RunResult) -> Double)
        /// A count computed from the others (`failed`, `output_tokens`): written, not read back.
        case derivedCount(@Sendable (RunResult) -> UInt64)
        /// Statistics of a histogram in milliseconds (`RunReport.summary`): written, not read back.
        case summary(WritableKeyPath<RunResult, LatencyHistogram> & Sendable, SummaryLayout)
        /// A member with rules of its own, written and read by `RunReport` and `RunReportDecoder`.
        case special(SpecialField)
    }

    /// Which statistics a `summary` field lists.
    enum SummaryLayout: Sendable {
        /// `latency_ms`: min, mean, stdev, p50, p90, p95, p99, p999, max.
        case full
        /// The streaming and send-lag metrics: count, mean, p50, p90, p95, p99, min, max.
        case distribution
    }

    /// The members whose encoding or merging is their own.
    enum SpecialField: Sendable {
        /// `RunResult.WorkloadKind` (files from before it: inferred from what they carry).
        case workload
        /// `failures.total`, read back only to check the errors against it.
        case failed
        /// Failures by class (`FailureClass.name` -> count).
        case errors
        /// `RunResult.WindowEnd`.
        case windowEnd
        /// The wall-clock window (`started_at` reads both ends; null when nothing was measured).
        case startedAt
        /// See `startedAt`.
        case endedAt
        /// Whether a signal stopped the run ...
        case interrupted
        /// ... and which (`SIGINT`, `SIGTERM` or null).
        case interruptedBy
        /// The objectives, when the plan had any.
        case objectives
        /// Requests started per second; in open loop it is what the schedule window is read back from.
        case achievedRate
        /// One error body per status, when there were error responses, and OpenSSL's reason of
        /// the first `tls` failure (key `tls`).
        case errorExamples
        /// `TimestampSource` (files from before it were stamped by the user clock).
        case timestamps
        /// Each loop's `LoopLoad`, an array (processes merged: every process's loops).
        case loopLoads
        /// The `ClientLimits` the verdict was judged against.
        case clientLimits
        /// The `ClientVerdict`, from the figures and limits: written, not read back.
        case clientVerdict
        /// Multi-turn sessions: their counts and each turn's figures (`SessionReport`).
        case sessions
        /// How an OpenAI workload's prompts were made (`prompt_token_method` and the members
        /// `RunReport.promptMembers` writes after it); merged by `RunResult.merge` (first part's).
        case prompts
        /// `RunResult.workloadRecord` as the object `dataset` (written when there is one).
        case dataset
        /// `RunResult.rateProfile` (written when there is one).
        case rateProfile
    }

    /// When a field is written (and, for a group, whether the JSON has it).
    enum FieldPresence: Sendable {
        case always
        /// Open loop only (`requestedRate > 0`); the group is read back when `requested_rate` is there.
        case openLoop
        /// Streamed responses only (`streamedResponses > 0`); read back when `streamed_responses` is there.
        case streamed
        /// The client's own figures (`ClientVerdict`): always written; read back when `timestamps`
        /// is there (files from before them have none).
        case clientTiming
        /// Always written; read back when `connect_histogram` is there (files from before the
        /// connect time was measured have none).
        case connectTimes
        /// HTTPS only (a handshake completed or failed); read back when `tls_handshakes_full` is there.
        case tls
        /// Streamed responses only; read back when `token_chunks` is there (files from before
        /// per-token ITL and chunk counts have none).
        case tokenChunks
        /// Streamed responses only; read back when `merged_token_chunks` is there (files from
        /// before merged token events were counted have none).
        case mergedTokens
        /// OpenAI workloads only (`promptTokenMethod` set); read back when `prompt_token_method` is there.
        case prompts
        /// Multi-turn runs only (`sessions` set); read back when `sessions` is there.
        case sessions
        /// Kept and merged but not in the JSON.
        case notWritten
    }

    /// A run's members, in the order `run --json` writes them.
    static let fields: [Field] = [
        Field("workload", .special(.workload)),
        Field("requests", .count(\.requests)),
        Field("succeeded", .count(\.succeeded)),
        Field("failed", .special(.failed)),
        Field("errors", .special(.errors)),
        Field("success_rate", .figure(decimals: 6) { $0.successRate }),
        Field("duration_sec", .number(\.durationSeconds, decimals: 6)),
        Field("window_end", .special(.windowEnd)),
        // Wall clock (Unix seconds) of the measured window: the first measured send and its end.
        Field("started_at", .special(.startedAt)),
        Field("ended_at", .special(.endedAt)),
        Field("requests_per_sec", .figure(decimals: 3) { $0.requestsPerSecond }),
        Field("throughput_total", .figure(decimals: 3) { $0.throughputTotal }),
        Field("throughput_output", .figure(decimals: 3) { $0.throughputOutput }),
        Field("prompt_tokens", .count(\.promptTokens)),
        Field("completion_tokens", .count(\.completionTokens)),
        // vLLM's name for the completion tokens.
        Field("output_tokens", .derivedCount { $0.completionTokens }),
        Field("requested_prompt_tokens", .count(\.requestedPromptTokens)),
        Field("requested_output_tokens", .count(\.requestedOutputTokens)),
        Field("prompt_token_method", .special(.prompts), .prompts),
        // A dataset's, trace's or shared prefixes' source, sample, seed and preparation time.
        Field("dataset", .special(.dataset)),
        Field("sessions", .special(.sessions), .sessions),
        Field("latency_ms", .summary(\.latency, .full)),
        Field("latency_histogram", .histogram(\.latency)),
        Field("connections_opened", .count(\.connectionsOpened)),
        Field("connect_ms", .summary(\.tcpConnectTime, .distribution), .connectTimes),
        Field("connect_histogram", .histogram(\.tcpConnectTime), .connectTimes),
        Field("tls_handshakes_full", .count(\.tlsFullHandshakes), .tls),
        Field("tls_handshakes_resumed", .count(\.tlsResumedHandshakes), .tls),
        Field("tls_handshake_ms", .summary(\.tlsHandshakeTime, .distribution), .tls),
        Field("tls_handshake_histogram", .histogram(\.tlsHandshakeTime), .tls),
        Field("concurrency", .processSize(\.concurrency)),
        Field("threads", .processSize(\.threads)),
        Field("warmup_requests", .count(\.warmupRequests)),
        Field("bytes_sent", .count(\.bytesSent)),
        Field("bytes_received", .count(\.bytesReceived)),
        Field("client_cpu_us_per_request", .figure(decimals: 3) { $0.clientCPUMicrosecondsPerRequest }),
        Field("client_cpu_user_us", .processCount(\.clientCPUUserMicroseconds)),
        Field("client_cpu_system_us", .processCount(\.clientCPUSystemMicroseconds)),
        Field("interrupted", .special(.interrupted)),
        Field("interrupted_by", .special(.interruptedBy)),
        Field("goodput_rps", .figure(decimals: 3) { $0.goodputRequestsPerSecond }),
        Field("good_requests", .count(\.goodRequests)),
        Field("slo", .special(.objectives)),
        // Closed loop has no requested rate; its achieved rate is requests started per second.
        Field("achieved_rate", .special(.achievedRate)),
        Field("requested_rate", .number(\.requestedRate, decimals: 3), .openLoop),
        Field("rate_profile", .special(.rateProfile), .openLoop),
        Field("send_lag_ms", .summary(\.sendLag, .distribution), .openLoop),
        Field("send_lag_histogram", .histogram(\.sendLag), .openLoop),
        // The client's own figures and the verdict on them (see `ClientVerdict`).
        Field("timestamps", .special(.timestamps), .clientTiming),
        Field("reads_without_kernel_stamp", .count(\.readsWithoutKernelStamp), .clientTiming),
        Field("client_lag_ms", .summary(\.clientLag, .distribution), .clientTiming),
        Field("client_lag_histogram", .histogram(\.clientLag), .clientTiming),
        Field("client_send_lag_ms", .summary(\.clientSendLag, .distribution), .clientTiming),
        Field("client_send_lag_histogram", .histogram(\.clientSendLag), .clientTiming),
        Field("loop_load", .special(.loopLoads), .clientTiming),
        Field("client_limits", .special(.clientLimits), .clientTiming),
        Field("client_verdict", .special(.clientVerdict), .clientTiming),
        Field("error_examples", .special(.errorExamples)),
        Field("streamed_responses", .count(\.streamedResponses), .streamed),
        Field("ttft_ms", .summary(\.timeToFirstToken, .distribution), .streamed),
        Field("tpot_ms", .summary(\.timePerOutputToken, .distribution), .streamed),
        Field("itl_ms", .summary(\.interTokenLatency, .distribution), .streamed),
        Field("itl_per_token_ms", .summary(\.interTokenLatencyPerToken, .distribution), .tokenChunks),
        Field("e2e_ms", .summary(\.latency, .distribution), .streamed),
        // Token events and those carrying more than one token (known from usage in every chunk).
        Field("token_chunks", .count(\.tokenChunks), .tokenChunks),
        Field("multi_token_chunks", .count(\.multiTokenChunks), .tokenChunks),
        // Token events that shared a read with an earlier one of their response (`ClientVerdict`).
        Field("merged_token_chunks", .count(\.mergedTokenChunks), .mergedTokens),
        Field("merged_token_share", .figure(decimals: 4) { $0.mergedTokenShare }, .mergedTokens),
        // Lossless histograms, so `loadgen merge` can combine the streaming percentiles too.
        Field("ttft_histogram", .histogram(\.timeToFirstToken), .streamed),
        Field("tpot_histogram", .histogram(\.timePerOutputToken), .streamed),
        Field("itl_histogram", .histogram(\.interTokenLatency), .streamed),
        Field("itl_per_token_histogram", .histogram(\.interTokenLatencyPerToken), .tokenChunks),
        Field("responses_without_usage", .count(\.responsesWithoutUsage), .notWritten),
        // The warmup's tokens, for the server-metrics cross-check only.
        Field("warmup_prompt_tokens", .count(\.warmupPromptTokens), .notWritten),
        Field("warmup_completion_tokens", .count(\.warmupCompletionTokens), .notWritten),
    ]
}
