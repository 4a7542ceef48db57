import Testing
@testable import Loadgen

/// Recordings built from text at chosen times (seconds on a made-up engine clock), to check what
/// a window's summary makes of them.
struct RecordingBuilder {
    var recording: ReplicaMetricsRecording

    init(url: String = "http://replica/metrics") { recording = ReplicaMetricsRecording(url: url) }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(seconds * 1e9) }

    /// A scrape sent at `seconds` and answered 10 ms later.
    mutating func scrape(at seconds: Double, _ text: String) {
        recording.record(try! PrometheusTextParser.parse(text), startedNanoseconds: Self.nanoseconds(seconds),
                         endedNanoseconds: Self.nanoseconds(seconds + 0.01))
    }

    mutating func fail(at seconds: Double, _ failure: ScrapeFailure) {
        recording.recordFailure(failure, startedNanoseconds: Self.nanoseconds(seconds), endedNanoseconds: Self.nanoseconds(seconds + 0.01))
    }

    /// vLLM-shaped text for one engine.
    static func vllm(running: Double = 0, waiting: Double = 0, kv: Double = 0, prompt: Double = 0, generation: Double = 0,
                     queue: [Double] = [0, 0, 0], prefill: [Double] = [0, 0, 0], queueSum: Double = 0, prefillSum: Double = 0,
                     engine: String = "0", extra: String = "") -> String {
        let labels = #"engine="\#(engine)",model_name="m""#
        func histogram(_ name: String, _ counts: [Double], _ sum: Double) -> String {
            """
            # TYPE vllm:\(name) histogram
            vllm:\(name)_bucket{\(labels),le="0.1"} \(counts[0])
            vllm:\(name)_bucket{\(labels),le="0.5"} \(counts[1])
            vllm:\(name)_bucket{\(labels),le="+Inf"} \(counts[2])
            vllm:\(name)_count{\(labels)} \(counts[2])
            vllm:\(name)_sum{\(labels)} \(sum)

            """
        }
        return """
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{\(labels)} \(running)
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{\(labels)} \(waiting)
        # TYPE vllm:kv_cache_usage_perc gauge
        vllm:kv_cache_usage_perc{\(labels)} \(kv)
        # TYPE vllm:prompt_tokens_total counter
        vllm:prompt_tokens_total{\(labels)} \(prompt)
        # TYPE vllm:generation_tokens_total counter
        vllm:generation_tokens_total{\(labels)} \(generation)

        """ + histogram("request_queue_time_seconds", queue, queueSum) + histogram("request_prefill_time_seconds", prefill, prefillSum) + extra
    }
}

@Suite("Window aggregation")
struct WindowAggregationTests {
    private func window(_ start: Double, _ end: Double, _ label: String = "level") -> MetricsWindow {
        MetricsWindow(label: label, startNanoseconds: RecordingBuilder.nanoseconds(start), endNanoseconds: RecordingBuilder.nanoseconds(end))
    }

    @Test("counters are differenced between the last scrape before the window and the first after it")
    func counterBracketing() {
        var builder = RecordingBuilder()
        for (second, generation) in [(0.0, 0.0), (1, 100), (2, 300), (3, 500), (4, 600), (5, 900)] {
            builder.scrape(at: second, RecordingBuilder.vllm(generation: generation))
        }
        let summary = ReplicaWindowSummary(builder.recording, window: window(1.5, 3.5))
        // Baseline: the scrape at 1 s (100); final: the one at 4 s (600).
        #expect(summary.counter(.generationTokens)?.delta == 500)
        #expect(summary.alignment.isAligned)
        #expect(abs(summary.alignment.baselineLagSeconds! - 0.49) < 1e-6)
        #expect(abs(summary.alignment.finalLagSeconds! - 0.5) < 1e-6)
        #expect(summary.alignment.scrapesInWindow == 2)
    }

    @Test("a scrape that ended after the window started is no baseline, one that started before it ended no final")
    func conservativeBracketing() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(generation: 0))
        builder.scrape(at: 0.995, RecordingBuilder.vllm(generation: 10))  // answered at 1.005 s
        builder.scrape(at: 1.995, RecordingBuilder.vllm(generation: 20))  // sent before the end at 2 s
        builder.scrape(at: 3, RecordingBuilder.vllm(generation: 30))
        let summary = ReplicaWindowSummary(builder.recording, window: window(1, 2))
        #expect(summary.counter(.generationTokens)?.delta == 30)
    }

    @Test("a counter that goes down was reset, and counts from zero after it")
    func counterReset() {
        var builder = RecordingBuilder()
        for (second, generation) in [(0.0, 100.0), (1, 150), (2, 20), (3, 50)] {
            builder.scrape(at: second, RecordingBuilder.vllm(generation: generation))
        }
        let counter = ReplicaWindowSummary(builder.recording, window: window(0.5, 2.5)).counter(.generationTokens)
        #expect(counter?.delta == 100)  // 50, then 20 from zero, then 30
        #expect(counter?.resets == 1)
    }

    @Test("gauges are averaged and maximised over the scrapes inside the window only")
    func gauges() {
        var builder = RecordingBuilder()
        for (second, waiting) in [(0.0, 100.0), (1, 2), (2, 6), (3, 4), (4, 100)] {
            builder.scrape(at: second, RecordingBuilder.vllm(running: 8, waiting: waiting, kv: waiting / 10))
        }
        let summary = ReplicaWindowSummary(builder.recording, window: window(0.5, 3.5))
        #expect(summary.gauge(.requestsWaiting) == .init(metric: .requestsWaiting, samples: 3, mean: 4, maximum: 6))
        #expect(summary.gauge(.requestsRunning)?.mean == 8)
        #expect(abs(summary.gauge(.kvCacheUsage)!.maximum - 0.6) < 1e-12)
    }

    @Test("a replica's engines are summed for counts and averaged for KV cache usage")
    func engines() {
        var builder = RecordingBuilder()
        for second in [0.0, 1, 2] {
            let engine0 = RecordingBuilder.vllm(running: 3, kv: 0.2, generation: second * 10, engine: "0")
            let engine1 = RecordingBuilder.vllm(running: 5, kv: 0.6, generation: second * 30, engine: "1")
            // Two engines' series in one answer, as vLLM writes them under one TYPE line each.
            builder.scrape(at: second, Self.interleave(engine0, engine1))
        }
        let summary = ReplicaWindowSummary(builder.recording, window: window(0.5, 1.5))
        #expect(summary.gauge(.requestsRunning)?.mean == 8)
        #expect(abs(summary.gauge(.kvCacheUsage)!.mean - 0.4) < 1e-12)
        #expect(summary.counter(.generationTokens)?.delta == 80)  // 0 to 2 s: 20 + 60
    }

    /// Two engines' texts as one answer: each family's TYPE line once, then both engines' samples.
    static func interleave(_ first: String, _ second: String) -> String {
        var order: [String] = []
        var samples: [String: [String]] = [:]
        var current = ""
        for line in (first + "\n" + second).split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE") {
                current = line
                if samples[line] == nil { order.append(line) }
                samples[line, default: []] += []
            } else {
                samples[current, default: []].append(line)
            }
        }
        return order.flatMap { [$0] + samples[$0]! }.joined(separator: "\n") + "\n"
    }

    @Test("server histograms give the window's percentiles from bucket deltas, and the mean from sum and count")
    func histograms() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(queue: [10, 10, 10], queueSum: 0.5))
        builder.scrape(at: 2, RecordingBuilder.vllm(queue: [10, 30, 40], queueSum: 10.5))
        let histogram = ReplicaWindowSummary(builder.recording, window: window(0.5, 1.5)).histogram(.queueTime)
        #expect(histogram?.buckets.cumulativeCounts == [0, 20, 30])
        #expect(histogram?.buckets.count == 30)
        #expect(abs(histogram!.mean! - 10.0 / 30) < 1e-12)
        // Rank 15 of 30 in (0.1, 0.5] holding 20: 0.1 + 0.4 * 15/20.
        #expect(abs(histogram!.quantile(0.5)! - 0.4) < 1e-12)
        // Rank 29.7 in +Inf: the highest finite bound.
        #expect(histogram!.quantile(0.99) == 0.5)
    }

    @Test("a histogram whose count goes down restarted: its new observations count from zero")
    func histogramReset() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(queue: [50, 80, 100], queueSum: 40))
        builder.scrape(at: 1, RecordingBuilder.vllm(queue: [1, 3, 4], queueSum: 1))
        builder.scrape(at: 2, RecordingBuilder.vllm(queue: [2, 5, 6], queueSum: 2))
        let histogram = ReplicaWindowSummary(builder.recording, window: window(0.5, 1.5)).histogram(.queueTime)
        #expect(histogram?.buckets.cumulativeCounts == [2, 5, 6])
        #expect(histogram?.buckets.sum == 2)
        #expect(histogram?.resets == 1)
    }

    @Test("without a good scrape after the window, no delta is claimed and the reason is given")
    func notAlignable() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(running: 1, generation: 0))
        builder.scrape(at: 1, RecordingBuilder.vllm(running: 3, generation: 10))
        builder.fail(at: 2, .timedOut(seconds: 2))
        builder.fail(at: 3, .status(503))
        builder.fail(at: 4, .timedOut(seconds: 2))
        let summary = ReplicaWindowSummary(builder.recording, window: window(0.5, 2.5))
        #expect(!summary.alignment.isAligned)
        #expect(summary.counters.isEmpty && summary.histograms.isEmpty)
        #expect(summary.gauge(.requestsRunning)?.mean == 3)
        #expect(summary.alignment.failures == [
            .init(kind: "timeout", count: 2, example: "no complete answer in 2 s"),
            .init(kind: "HTTP 503", count: 1, example: "answered HTTP 503"),
        ])
        #expect(summary.alignment.problem == "no good scrape after it ended (2 timeout, 1 HTTP 503)")
    }

    @Test("failed scrapes between the bracketing scrapes are counted but do not stop the deltas")
    func failuresInside() {
        var builder = RecordingBuilder()
        builder.scrape(at: 0, RecordingBuilder.vllm(generation: 0))
        builder.fail(at: 1, .closed)
        builder.fail(at: 2, .unparsable(PrometheusParseError(line: 1, reason: .invalidMetricName, excerpt: "<html>")))
        builder.scrape(at: 3, RecordingBuilder.vllm(generation: 70))
        builder.fail(at: 9, .closed)  // far outside: not this window's
        let summary = ReplicaWindowSummary(builder.recording, window: window(0.5, 2.5))
        #expect(summary.counter(.generationTokens)?.delta == 70)
        #expect(summary.alignment.failedScrapes == 2)
        #expect(summary.alignment.failureSummary == "1 closed, 1 not Prometheus text")
        #expect(summary.alignment.scrapesInWindow == 0)
        #expect(summary.gauges.isEmpty)
    }

    @Test("series outside the catalogue are summarised raw: counters by delta, gauges by mean and maximum")
    func otherSeries() {
        var builder = RecordingBuilder()
        for (second, requests) in [(0.0, 5.0), (1, 9), (2, 12)] {
            builder.scrape(at: second, RecordingBuilder.vllm(extra: """
            # TYPE http_requests_total counter
            http_requests_total{handler="/v1/chat/completions"} \(requests)
            # TYPE process_open_fds gauge
            process_open_fds \(requests * 2)

            """))
        }
        let others = ReplicaWindowSummary(builder.recording, window: window(0.5, 1.5)).otherSeries
        #expect(others.first { $0.series.name == "http_requests_total" }?.delta == 7)
        let fds = others.first { $0.series.name == "process_open_fds" }
        #expect(fds?.mean == 18 && fds?.maximum == 18 && fds?.delta == nil)
    }

    @Test("across replicas: totals add, imbalance is the max over the mean of running requests")
    func replicas() {
        var first = RecordingBuilder(url: "http://a/metrics"), second = RecordingBuilder(url: "http://b/metrics")
        for time in [0.0, 1, 2] {
            first.scrape(at: time, RecordingBuilder.vllm(running: 6, generation: time * 100))
            second.scrape(at: time, RecordingBuilder.vllm(running: 2, generation: time * 10))
        }
        let recording = ServerMetricsRecording(replicas: [first.recording, second.recording], intervalSeconds: 1)
        let summary = ServerMetricsSummary(recording, window: window(0.5, 1.5))
        #expect(summary.total(.generationTokens) == 220)  // 0 to 2 s: 200 + 20
        #expect(summary.runningImbalance == 1.5)
        #expect(summary.total(.preemptions) == nil)  // not exposed by these replicas
    }

    @Test("one unaligned replica makes the totals unknown rather than short")
    func oneReplicaUnaligned() {
        var first = RecordingBuilder(url: "http://a/metrics"), second = RecordingBuilder(url: "http://b/metrics")
        for time in [0.0, 1, 2] { first.scrape(at: time, RecordingBuilder.vllm(generation: time * 100)) }
        second.scrape(at: 0, RecordingBuilder.vllm(generation: 0))
        second.fail(at: 2, .connect(errno: 111))
        let summary = ServerMetricsSummary(ServerMetricsRecording(replicas: [first.recording, second.recording], intervalSeconds: 1),
                                           window: window(0.5, 1.5))
        #expect(!summary.isAligned)
        #expect(summary.total(.generationTokens) == nil)
        #expect(summary.replicas[0].counter(.generationTokens)?.delta == 200)
    }

    @Test("a window from a run result spans its first measured send to its last completion")
    func windowFromResult() {
        var result = RunResult()
        #expect(MetricsWindow(result: result) == nil)
        result.firstSendNanoseconds = 5_000_000_000
        result.lastCompletionNanoseconds = 7_500_000_000
        let window = MetricsWindow(label: "c=4", result: result)
        #expect(window == MetricsWindow(label: "c=4", startNanoseconds: 5_000_000_000, endNanoseconds: 7_500_000_000))
        #expect(window?.durationSeconds == 2.5)
    }
}
