/// A run's result under `vllm bench serve --save-result`'s field names, so the tools people
/// already keep around vLLM results (plots, dashboards, comparison scripts) read loadgen's.
///
/// The names and their meanings follow vLLM's `benchmarks/serve.py`: `completed` and `failed`
/// requests, `duration` in seconds, token totals, `request_throughput` (completed / duration),
/// `output_throughput` and `total_token_throughput` in tokens/s, `request_goodput` (null
/// without objectives), and for each metric of `--percentile-metrics` (ttft, tpot, itl, e2el)
/// `mean_`, `median_`, `std_` (population, as numpy's) and `p{P}_` `{metric}_ms` for each
/// percentile of `--metric-percentiles`. Differences, stated in the README: `duration` is
/// loadgen's measured window (vLLM's runs until the last request ends, failures included);
/// token totals are the server's `usage` (vLLM counts prompts with its tokenizer); TTFT is 0
/// for a run that did not stream, as vLLM's is when nothing streamed.
package enum VLLMResult {
    /// What the run was asked for, in vLLM's terms.
    package struct Settings: Sendable {
        /// vLLM's backend: "openai-chat" (chat), "openai" (completions), or "http" for a URL run.
        var backend: String
        package var label: String?
        package var modelID: String?
        /// `--num-prompts` (`-n`), or the requests started in a `--duration` run.
        package var numPrompts: Int
        /// Requests/s of an open loop; nil is vLLM's `inf` (closed loop: all at once, bounded by
        /// `maxConcurrency`).
        var requestRate: Double?
        /// The gamma shape; nil for constant gaps (vLLM's burstiness inf).
        var burstiness: Double?
        var maxConcurrency: Int
        /// vLLM's defaults are "ttft,tpot,itl"; loadgen adds e2el.
        package var percentileMetrics: [String] = ["ttft", "tpot", "itl", "e2el"]
        /// vLLM's default is 99.
        package var percentiles: [Double] = [99]
        /// Local time of the run, YYYYMMDD-HHMMSS.
        package var date: String

        package init(backend: String, modelID: String?, numPrompts: Int, requestRate: Double?, burstiness: Double?,
                    maxConcurrency: Int, date: String) {
            self.backend = backend
            self.modelID = modelID
            self.numPrompts = numPrompts
            self.requestRate = requestRate
            self.burstiness = burstiness
            self.maxConcurrency = maxConcurrency
            self.date = date
        }

        /// The metric names vLLM knows and loadgen measures.
        package static let knownMetrics = ["ttft", "tpot", "itl", "e2el"]
    }

    /// vLLM's members first, then every member of `RunReport.json` that vLLM does not name.
    package static func json(_ result: RunResult, settings: Settings) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("date", .string(settings.date)),
            ("endpoint_type", .string(settings.backend)),
            ("backend", .string(settings.backend)),
            ("label", settings.label.map { .string($0) } ?? .null),
            ("model_id", settings.modelID.map { .string($0) } ?? .null),
            ("tokenizer_id", .null),
            ("num_prompts", .int(Int64(settings.numPrompts))),
            ("request_rate", settings.requestRate.map { .number($0, decimals: 6) } ?? .string("inf")),
            ("burstiness", settings.burstiness.map { .number($0, decimals: 6) } ?? .string("inf")),
            ("max_concurrency", .int(Int64(settings.maxConcurrency))),
            ("duration", .number(result.durationSeconds, decimals: 6)),
            ("completed", .uint(result.succeeded)),
            ("failed", .uint(result.failed)),
            ("total_input_tokens", .uint(result.promptTokens)),
            ("total_output_tokens", .uint(result.completionTokens)),
            ("request_throughput", .number(result.requestsPerSecond, decimals: 6)),
            ("request_goodput", result.objectives.map { _ in .number(result.goodputRequestsPerSecond, decimals: 6) } ?? .null),
            ("output_throughput", .number(result.throughputOutput, decimals: 6)),
            ("total_token_throughput", .number(result.throughputTotal, decimals: 6)),
        ]
        for metric in settings.percentileMetrics {
            guard let histogram = RunReport.histogram(result, metric: metric) else { continue }
            func ms(_ nanoseconds: Double) -> JSONValue { .number(nanoseconds / 1e6, decimals: 6) }
            members.append(("mean_\(metric)_ms", ms(histogram.meanNanoseconds)))
            members.append(("median_\(metric)_ms", ms(Double(histogram.valueAtPercentile(50)))))
            members.append(("std_\(metric)_ms", ms(histogram.stdevNanoseconds)))
            for p in settings.percentiles {
                members.append(("\(RunReport.percentileName(p))_\(metric)_ms", ms(Double(histogram.valueAtPercentile(p)))))
            }
        }
        if case .object(let loadgen) = RunReport.json(result) {
            let taken = Set(members.map(\.0))
            members += loadgen.filter { !taken.contains($0.0) }
        }
        return .object(members)
    }

    /// vLLM's default file name: `{label}-{rate}qps-concurrency{M}-{model}-{date}.json`, the
    /// label defaulting to the backend, the model to its last path component, the rate written
    /// as Python prints a float (`inf`, `10.0`, `2.5`).
    package static func fileName(_ settings: Settings) -> String {
        let rate = settings.requestRate.map { $0 == $0.rounded() && abs($0) < 1e15 ? "\(Int64($0)).0" : "\($0)" } ?? "inf"
        let model = settings.modelID.flatMap { $0.split(separator: "/").last.map(String.init) } ?? settings.backend
        let safe = String(model.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        return "\(settings.label ?? settings.backend)-\(rate)qps-concurrency\(settings.maxConcurrency)-\(safe)-\(settings.date).json"
    }
}
