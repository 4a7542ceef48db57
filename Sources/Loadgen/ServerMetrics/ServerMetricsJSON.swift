/// The JSON object of one window's server figures, for result files: `"server_metrics"` beside a
/// level's client figures. Latencies in milliseconds like the client's (`ttft_ms`), counts as
/// numbers, anything unavailable as null, so a reader can tell "0" from "not known".
extension ServerMetricsSummary {
    /// `crossCheck` adds the comparison with the client; `includeOtherSeries` the raw series
    /// outside the catalogue (hundreds for vLLM: Python, HTTP and process metrics).
    func json(crossCheck: ServerClientCrossCheck? = nil, includeOtherSeries: Bool = true) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("window", .object([
                ("label", .string(window.label)),
                ("started_at", windowStartUnixSeconds.map { .number($0, decimals: 6) } ?? .null),
                ("duration_sec", .number(window.durationSeconds, decimals: 6)),
            ])),
            ("interval_sec", .number(intervalSeconds, decimals: 3)),
            ("aligned", .bool(isAligned)),
        ]
        var totals: [(String, JSONValue)] = []
        for metric in ServerMetric.allCases where metric.kind == .counter {
            totals.append((metric.rawValue, total(metric).map { .number($0, decimals: 3) } ?? .null))
        }
        members.append(("totals", .object(totals)))
        members.append(("running_imbalance", runningImbalance.map { .number($0, decimals: 4) } ?? .null))
        members.append(("replicas", .array(replicas.map { $0.json(includeOtherSeries: includeOtherSeries) })))
        if let crossCheck { members.append(("cross_check", crossCheck.json)) }
        return .object(members)
    }
}

extension ReplicaWindowSummary {
    func json(includeOtherSeries: Bool) -> JSONValue {
        let failures = JSONValue.object(alignment.failures.map { ($0.kind, .int(Int64($0.count))) })
        var members: [(String, JSONValue)] = [
            ("url", .string(url)),
            ("alignment", .object([
                ("aligned", .bool(alignment.isAligned)),
                ("baseline_lag_sec", alignment.baselineLagSeconds.map { .number($0, decimals: 6) } ?? .null),
                ("final_lag_sec", alignment.finalLagSeconds.map { .number($0, decimals: 6) } ?? .null),
                ("scrapes_in_window", .int(Int64(alignment.scrapesInWindow))),
                ("failed_scrapes", failures),
                ("first_failure", alignment.failures.first.map { .string($0.example) } ?? .null),
                ("problem", alignment.problem.map { .string($0) } ?? .null),
            ])),
        ]
        members.append(("gauges", .object(gauges.map { gauge in
            (gauge.metric.rawValue, .object([("samples", .int(Int64(gauge.samples))), ("mean", .number(gauge.mean, decimals: 4)),
                                             ("max", .number(gauge.maximum, decimals: 4))]))
        })))
        members.append(("counters", .object(counters.map { counter in
            (counter.metric.rawValue, .object([("delta", .number(counter.delta, decimals: 3)), ("resets", .int(Int64(counter.resets)))]))
        })))
        members.append(("prefix_cache_hit_rate", prefixCacheHitRate.map { .number($0, decimals: 6) } ?? .null))
        members.append(("histograms", .object(histograms.map { histogram in
            var fields: [(String, JSONValue)] = [("count", .number(histogram.buckets.count, decimals: 3)),
                                                 ("mean", histogram.mean.map { .number($0 * 1000, decimals: 4) } ?? .null)]
            for q in ServerMetricsPolicy.reportedQuantiles {
                fields.append(("p\(Format.fixed(q * 100, decimals: 1, trimZeros: true))",
                               histogram.quantile(q).map { .number($0 * 1000, decimals: 4) } ?? .null))
            }
            fields.append(("resets", .int(Int64(histogram.resets))))
            return (histogram.metric.rawValue + "_ms", .object(fields))
        })))
        members.append(("absent", .array(absentMetrics.map { .string($0.rawValue) })))
        if includeOtherSeries {
            members.append(("other_series", .array(otherSeries.map { other in
                var fields: [(String, JSONValue)] = [("series", .string(other.series.description)), ("type", .string(other.type.rawValue))]
                if let delta = other.delta { fields.append(("delta", .number(delta, decimals: 6))) }
                if let mean = other.mean { fields.append(("mean", .number(mean, decimals: 6))) }
                if let maximum = other.maximum { fields.append(("max", .number(maximum, decimals: 6))) }
                return .object(fields)
            })))
        }
        return .object(members)
    }
}

extension ServerClientCrossCheck {
    var json: JSONValue {
        .object([
            ("generation_tokens", Self.json(generationTokens)),
            ("prompt_tokens", Self.json(promptTokens)),
            ("ttft", Self.json(timeToFirstToken)),
            ("needs_attention", .bool(needsAttention)),
        ])
    }

    private static func json(_ comparison: TokenComparison) -> JSONValue {
        let server: JSONValue = comparison.server.map { .number($0, decimals: 3) } ?? .null
        let difference: JSONValue = comparison.differenceFraction.map { .number($0, decimals: 6) } ?? .null
        return .object([
            ("server", server),
            ("client", .uint(comparison.client)),
            ("difference_fraction", difference),
            ("verdict", .string(comparison.verdict.rawValue)),
            ("statement", .string(comparison.statement)),
        ])
    }

    private static func json(_ comparison: TimeToFirstTokenComparison) -> JSONValue {
        func milliseconds(_ seconds: Double?) -> JSONValue { seconds.map { .number($0 * 1000, decimals: 4) } ?? .null }
        return .object([
            ("server_queue_mean_ms", milliseconds(comparison.serverQueueMeanSeconds)),
            ("server_prefill_mean_ms", milliseconds(comparison.serverPrefillMeanSeconds)),
            ("client_mean_ms", milliseconds(comparison.clientMeanSeconds)),
            ("difference_ms", milliseconds(comparison.differenceSeconds)),
            ("statement", .string(comparison.statement)),
        ])
    }
}
