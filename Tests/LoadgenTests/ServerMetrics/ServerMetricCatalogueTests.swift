import Testing
@testable import Loadgen

@Suite("Server metric catalogue")
struct ServerMetricCatalogueTests {
    private func recording(_ fixture: String) throws -> ReplicaMetricsRecording {
        var recording = ReplicaMetricsRecording(url: fixture)
        recording.record(try PrometheusTextParser.parse(try MetricsFixtures.bytes(fixture)), startedNanoseconds: 1, endedNanoseconds: 2)
        return recording
    }

    @Test("every catalogued metric is found in the modelled vLLM 0.32 text, labelled model_name and engine")
    func modelledVLLM() throws {
        let recording = try recording("vllm-0.32-modelled.prom")
        for metric in ServerMetric.allCases {
            let ids = recording.seriesIDs(of: metric)
            #expect(!ids.isEmpty, "\(metric) not found")
            for id in ids {
                #expect(recording.series[id].key.label("model_name") == "tinyllama")
                #expect(recording.series[id].key.label("engine") == "0")
            }
        }
        let scrape = try #require(recording.scrapes.first)
        func gauge(_ metric: ServerMetric) -> Double? { recording.gaugeValue(metric, ids: recording.seriesIDs(of: metric), in: scrape) }
        #expect(gauge(.requestsRunning) == 4)
        #expect(gauge(.requestsWaiting) == 0)
        #expect(gauge(.kvCacheUsage) == 0.04120313143799478)
        // Five finish reasons, one of them counted: the label sets of a counter are all kept.
        #expect(recording.seriesIDs(of: .requestsFinished).count == 5)
        // A histogram's series: 22 finite buckets + +Inf, sum and count.
        #expect(recording.seriesIDs(of: .queueTime).count == 24)
    }

    @Test("names outside the catalogue are recorded raw with their type, not dropped")
    func unknownNamesKept() throws {
        let recording = try recording("vllm-0.32-modelled.prom")
        let parsed = try PrometheusTextParser.parse(try MetricsFixtures.bytes("vllm-0.32-modelled.prom"))
        #expect(recording.series.count == parsed.samples.count)
        let unknown = recording.series.filter { $0.metric == nil }.map(\.key.name)
        #expect(unknown.contains("vllm:prompt_tokens_cached_total"))
        #expect(unknown.contains("vllm:iteration_tokens_total_bucket"))
        #expect(unknown.contains("http_requests_total"))
        #expect(unknown.contains("python_gc_objects_collected_total"))
        #expect(recording.series.first { $0.key.name == "vllm:iteration_tokens_total_count" }?.type == .histogram)
        #expect(recording.series.first { $0.key.name == "http_request_size_bytes_sum" }?.type == .summary)
    }

    @Test("SGLang's names map to the same metrics; the ones it lacks stay absent")
    func sglang() throws {
        let recording = try recording("sglang-modelled.prom")
        let summary = ReplicaWindowSummary(recording, window: MetricsWindow(startNanoseconds: 0, endNanoseconds: 3))
        #expect(Set(summary.absentMetrics) == [.prefixCacheQueries, .prefillTime, .decodeTime, .interTokenLatency, .endToEndLatency])
        #expect(summary.gauge(.requestsRunning)?.mean == 7)
        #expect(summary.gauge(.requestsWaiting)?.mean == 2)
        #expect(summary.gauge(.kvCacheUsage)?.mean == 0.28)
        #expect(recording.seriesIDs(of: .generationTokens).count == 1)
        #expect(recording.seriesIDs(of: .timeToFirstToken).count == 7)
        #expect(recording.seriesIDs(of: .preemptions).count == 1)
    }

    @Test("a name is recognised with vLLM's colon prefix or a relabelled underscore, and only whole")
    func identification() {
        #expect(ServerMetric.identify(sampleName: "vllm:num_requests_running")?.metric == .requestsRunning)
        #expect(ServerMetric.identify(sampleName: "vllm_num_requests_running")?.metric == .requestsRunning)
        #expect(ServerMetric.identify(sampleName: "vllm:gpu_cache_usage_perc")?.metric == .kvCacheUsage)
        #expect(ServerMetric.identify(sampleName: "sglang:num_queue_reqs")?.metric == .requestsWaiting)
        let bucket = ServerMetric.identify(sampleName: "vllm:time_to_first_token_seconds_bucket")
        #expect(bucket?.metric == .timeToFirstToken && bucket?.part == .bucket && bucket?.server == .vllm)
        #expect(ServerMetric.identify(sampleName: "vllm:request_queue_time_seconds_sum")?.part == .sum)
        #expect(ServerMetric.identify(sampleName: "vllm:prompt_tokens_cached_total") == nil)
        #expect(ServerMetric.identify(sampleName: "vllm:prompt_tokens_created") == nil)
        #expect(ServerMetric.identify(sampleName: "vllm:num_requests_running_bucket") == nil)
        #expect(ServerMetric.identify(sampleName: "num_requests_running") == nil)
        #expect(ServerMetric.identify(sampleName: "sglang:request_prefill_time_seconds_count") == nil)
    }

    @Test("when a server exposes a metric under its new and its deprecated name, only the new one is read")
    func aliasesNotCountedTwice() throws {
        let text = """
        vllm:gpu_cache_usage_perc{engine="0"} 0.5
        vllm:kv_cache_usage_perc{engine="0"} 0.25
        vllm:gpu_prefix_cache_hits_total{engine="0"} 100
        vllm:prefix_cache_hits_total{engine="0"} 100
        """
        var recording = ReplicaMetricsRecording(url: "x")
        recording.record(try PrometheusTextParser.parse(text), startedNanoseconds: 0, endedNanoseconds: 1)
        #expect(recording.seriesIDs(of: .kvCacheUsage).map { recording.series[$0].key.name } == ["vllm:kv_cache_usage_perc"])
        #expect(recording.seriesIDs(of: .prefixCacheHits).map { recording.series[$0].key.name } == ["vllm:prefix_cache_hits_total"])
        let summary = ReplicaWindowSummary(recording, window: MetricsWindow(startNanoseconds: 0, endNanoseconds: 1))
        #expect(summary.otherSeries.map(\.series.name).contains("vllm:gpu_cache_usage_perc"))
    }

    @Test("the captured vLLM 0.32 /metrics has every series loadgen relies on",
          .enabled(if: MetricsFixtures.exists(MetricsFixtures.realpeerName),
                   "run bench/capture-vllm-metrics.sh against the realpeer vLLM to create the fixture"))
    func capturedVLLM() throws {
        let exposition = try PrometheusTextParser.parse(try MetricsFixtures.bytes(MetricsFixtures.realpeerName))
        var recording = ReplicaMetricsRecording(url: "realpeer")
        recording.record(exposition, startedNanoseconds: 1, endedNanoseconds: 2)
        let scrape = try #require(recording.scrapes.first)
        #expect(scrape.failure == nil)
        for metric in ServerMetric.allCases {
            let ids = recording.seriesIDs(of: metric)
            #expect(!ids.isEmpty, "the real vLLM does not expose \(metric)")
            for id in ids {
                let key = recording.series[id].key
                #expect(key.label("model_name") != nil && key.label("engine") != nil, "\(key) lacks model_name/engine")
            }
        }
        for metric in ServerMetric.allCases where metric.kind == .gauge {
            let value = recording.gaugeValue(metric, ids: recording.seriesIDs(of: metric), in: scrape)
            #expect(value.map { $0 >= 0 } == true, "\(metric) has no value")
        }
        // Each histogram: buckets ascending to +Inf, cumulative, the +Inf bucket equal to _count.
        for metric in ServerMetric.allCases where metric.kind == .histogram {
            let ids = recording.seriesIDs(of: metric)
            let buckets = ids.filter { recording.series[$0].part == .bucket }.sorted { recording.series[$0].upperBound! < recording.series[$1].upperBound! }
            #expect(buckets.count >= 2)
            #expect(buckets.last.map { recording.series[$0].upperBound } == .infinity)
            let counts = buckets.compactMap { scrape.value(ofSeries: $0) }
            #expect(counts == counts.sorted(), "\(metric) buckets are not cumulative")
            let count = ids.first { recording.series[$0].part == .count }.flatMap { scrape.value(ofSeries: $0) }
            #expect(count == counts.last, "\(metric): _count \(String(describing: count)) against +Inf bucket \(String(describing: counts.last))")
        }
        // Counters the cross-check uses: present, finite, never negative.
        for metric in [ServerMetric.promptTokens, .generationTokens, .requestsFinished] {
            let values = recording.seriesIDs(of: metric).compactMap { scrape.value(ofSeries: $0) }
            #expect(!values.isEmpty && values.allSatisfy { $0.isFinite && $0 >= 0 })
        }
    }
}
