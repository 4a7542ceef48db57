/// The series of an LLM server's `/metrics` that loadgen reads, and their names in vLLM and SGLang.
///
/// This is the one place a metric's name is written. Sources: vLLM 0.32's
/// `vllm/v1/metrics/loggers.py` (`PrometheusStatLogger`; every series labelled `model_name` and
/// `engine`, one label set per data-parallel engine), older vLLM names where they differ
/// (`gpu_cache_usage_perc` and `gpu_prefix_cache_*` before the V1 renames,
/// `time_per_output_token_seconds` before `inter_token_latency_seconds`), and SGLang's
/// `python/sglang/srt/metrics/collector.py`. SGLang has no prefix-cache query counter, no
/// prefill or decode time histograms: those stay absent for it rather than being guessed.
///
/// Names are matched without the server's prefix, so `vllm:x` and a relabelled `vllm_x` are one
/// series. Anything not listed here is kept raw by the recording, never dropped.
enum ServerMetric: String, CaseIterable, Sendable {
    case requestsRunning = "requests_running"
    case requestsWaiting = "requests_waiting"
    case kvCacheUsage = "kv_cache_usage"
    case prefixCacheQueries = "prefix_cache_queries"
    case prefixCacheHits = "prefix_cache_hits"
    case preemptions
    case promptTokens = "prompt_tokens"
    case generationTokens = "generation_tokens"
    case requestsFinished = "requests_finished"
    case timeToFirstToken = "time_to_first_token"
    case queueTime = "queue_time"
    case prefillTime = "prefill_time"
    case decodeTime = "decode_time"
    case interTokenLatency = "inter_token_latency"
    case endToEndLatency = "e2e_latency"

    enum Kind: Sendable { case gauge, counter, histogram }

    /// How a replica's several label sets (one per engine, or per finish reason) combine.
    enum Combination: Sendable {
        /// Counts of requests or tokens: the replica's figure is the sum over its engines.
        case sum
        /// A fraction per engine (KV cache usage): the replica's figure is their mean.
        case mean
    }

    /// The servers whose names the catalogue knows, with the prefixes their names carry.
    enum Server: String, Sendable, CaseIterable {
        case vllm, sglang

        /// `vllm:` as the server writes it; `vllm_` as some proxies relabel colons away.
        var prefixes: [String] { ["\(rawValue):", "\(rawValue)_"] }
    }

    var kind: Kind {
        switch self {
        case .requestsRunning, .requestsWaiting, .kvCacheUsage: .gauge
        case .prefixCacheQueries, .prefixCacheHits, .preemptions, .promptTokens, .generationTokens, .requestsFinished: .counter
        case .timeToFirstToken, .queueTime, .prefillTime, .decodeTime, .interTokenLatency, .endToEndLatency: .histogram
        }
    }

    var combination: Combination { self == .kvCacheUsage ? .mean : .sum }

    /// What the figure is, for report headings.
    var title: String {
        switch self {
        case .requestsRunning: "running requests"
        case .requestsWaiting: "waiting requests"
        case .kvCacheUsage: "KV cache usage"
        case .prefixCacheQueries: "prefix cache queries (tokens)"
        case .prefixCacheHits: "prefix cache hits (tokens)"
        case .preemptions: "preemptions"
        case .promptTokens: "prompt tokens"
        case .generationTokens: "generation tokens"
        case .requestsFinished: "finished requests"
        case .timeToFirstToken: "server TTFT"
        case .queueTime: "queue time"
        case .prefillTime: "prefill time"
        case .decodeTime: "decode time"
        case .interTokenLatency: "inter-token latency"
        case .endToEndLatency: "server end-to-end latency"
        }
    }

    /// Family names without the prefix, newest first. Counters carry the `_total` their samples
    /// have; histograms the base name of their `_bucket`/`_sum`/`_count` samples.
    func names(on server: Server) -> [String] {
        switch (self, server) {
        case (.requestsRunning, .vllm): ["num_requests_running"]
        case (.requestsRunning, .sglang): ["num_running_reqs"]
        case (.requestsWaiting, .vllm): ["num_requests_waiting"]
        case (.requestsWaiting, .sglang): ["num_queue_reqs"]
        case (.kvCacheUsage, .vllm): ["kv_cache_usage_perc", "gpu_cache_usage_perc"]
        case (.kvCacheUsage, .sglang): ["token_usage"]
        case (.prefixCacheQueries, .vllm): ["prefix_cache_queries_total", "gpu_prefix_cache_queries_total"]
        case (.prefixCacheQueries, .sglang): []
        case (.prefixCacheHits, .vllm): ["prefix_cache_hits_total", "gpu_prefix_cache_hits_total"]
        case (.prefixCacheHits, .sglang): ["cached_tokens_total"]
        case (.preemptions, .vllm): ["num_preemptions_total"]
        case (.preemptions, .sglang): ["num_retracted_requests_total"]
        case (.promptTokens, _): ["prompt_tokens_total"]
        case (.generationTokens, _): ["generation_tokens_total"]
        case (.requestsFinished, .vllm): ["request_success_total"]
        case (.requestsFinished, .sglang): ["num_requests_total"]
        case (.timeToFirstToken, _): ["time_to_first_token_seconds"]
        case (.queueTime, .vllm): ["request_queue_time_seconds"]
        case (.queueTime, .sglang): ["queue_time_seconds"]
        case (.prefillTime, .vllm): ["request_prefill_time_seconds"]
        case (.decodeTime, .vllm): ["request_decode_time_seconds"]
        case (.prefillTime, .sglang), (.decodeTime, .sglang): []
        case (.interTokenLatency, .vllm): ["inter_token_latency_seconds", "time_per_output_token_seconds"]
        case (.interTokenLatency, .sglang): ["inter_token_latency_seconds"]
        case (.endToEndLatency, _): ["e2e_request_latency_seconds"]
        }
    }

    /// Which part of a family a sample is.
    enum Part: Sendable, Equatable {
        /// A gauge's or counter's value.
        case value
        /// A histogram's cumulative bucket (its `le` label), sum or count.
        case bucket, sum, count
    }

    /// The catalogued metric a sample name is a part of, e.g. `vllm:time_to_first_token_seconds_bucket`
    /// is the `.bucket` part of `.timeToFirstToken` on vLLM. Nil for names loadgen does not know.
    static func identify(sampleName: String) -> (metric: ServerMetric, part: Part, server: Server)? {
        for server in Server.allCases {
            for prefix in server.prefixes where sampleName.hasPrefix(prefix) {
                let bare = String(sampleName.dropFirst(prefix.count))
                if let metric = byBareName[server]?[bare], metric.kind != .histogram { return (metric, .value, server) }
                for (suffix, part) in [("_bucket", Part.bucket), ("_sum", .sum), ("_count", .count)] where bare.hasSuffix(suffix) {
                    if let metric = byBareName[server]?[String(bare.dropLast(suffix.count))], metric.kind == .histogram {
                        return (metric, part, server)
                    }
                }
            }
        }
        return nil
    }

    /// How preferred a family name is for this metric (0: the current name; higher: older
    /// aliases), or nil if it is not one of its names. A server exposing both the new and a
    /// deprecated name (vLLM did during renames) is read through the preferred one only, so
    /// nothing is counted twice.
    func preference(ofFamily familyName: String) -> Int? {
        for server in Server.allCases {
            for prefix in server.prefixes where familyName.hasPrefix(prefix) {
                if let rank = names(on: server).firstIndex(of: String(familyName.dropFirst(prefix.count))) { return rank }
            }
        }
        return nil
    }

    private static let byBareName: [Server: [String: ServerMetric]] = {
        var table: [Server: [String: ServerMetric]] = [:]
        for server in Server.allCases {
            for metric in allCases { for name in metric.names(on: server) { table[server, default: [:]][name] = metric } }
        }
        return table
    }()
}
