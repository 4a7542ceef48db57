import HTTPWire

/// The sequential latency benchmark of seed 004: N requests one after another at given lengths,
/// after some warmup requests whose results are discarded.
public struct LatencyBenchmark: Sendable {
    /// The server's base URL.
    public var target: HTTPTarget
    /// The request shape; its lengths default to the seed's 128 in, 128 out.
    public var workload: OpenAIWorkload
    /// Extra request headers.
    public var headers: [HTTPHeader] = []
    /// https: how the server is verified and how the client identifies itself (`--cacert`,
    /// `--insecure`, `--cert`/`--key`); ignored for http.
    public var tls = TLSClientConfiguration()
    /// Measured requests, one after another (default the seed's 10).
    public var requests = SeedProtocol.Latency.requests
    /// Requests sent first and discarded (default 1).
    public var warmupRequests = SeedProtocol.Latency.warmupRequests
    /// Or a warmup of this many seconds of sequential requests (then `warmupRequests` is ignored).
    public var warmupSeconds: Double?
    /// Per-request timeout (default the seeds' 300 s).
    public var requestTimeoutSeconds = SeedProtocol.requestTimeoutSeconds
    /// The clock that stamps the response times (`LoadPlan.timestamps`; default the kernel's).
    public var timestamps: TimestampSource = .kernel
    /// The limits of the verdict on the client at every level (`LoadPlan.clientLimits`).
    public var clientLimits = ClientLimits()
    /// The server's own metrics, scraped around the measured requests (nil, the library's
    /// default: none).
    package var serverMetrics: ServerMetricsPlan?

    /// The seed's sequential benchmark of `workload` against `target`.
    public init(target: HTTPTarget, workload: OpenAIWorkload) {
        self.target = target
        self.workload = workload
    }

    /// What the sequential run measured.
    public struct Result: Sendable {
        /// The measured requests.
        public var run: RunResult
        /// The discarded warmup requests, when they ran as a count.
        public var warmup: RunResult?
        /// Successful latencies in seconds, ascending.
        public var latenciesSeconds: [Double]
        /// SIGINT or SIGTERM, when one stopped it.
        public var interruptedBySignal: Int32?
        /// Wall-clock (Unix seconds) start.
        public var startedAtWallSeconds: Double
        /// The server's metrics over the measured requests, and every scrape (nil: not asked for).
        package var serverMetrics: WindowServerMetrics?
        package var serverMetricsRun: ServerMetricsRun?

        /// The seed's average: the mean of the exact latencies.
        public var averageMilliseconds: Double {
            latenciesSeconds.isEmpty ? 0 : latenciesSeconds.reduce(0, +) / Double(latenciesSeconds.count) * 1000
        }
        /// Linear interpolation over the exact latencies (see `Percentile`).
        public func percentileMilliseconds(_ p: Double) -> Double { Percentile.linear(latenciesSeconds, p) * 1000 }
        /// Fastest request.
        public var minimumMilliseconds: Double { (latenciesSeconds.first ?? 0) * 1000 }
        /// Slowest request.
        public var maximumMilliseconds: Double { (latenciesSeconds.last ?? 0) * 1000 }
    }

    /// Checks the counts and the workload before anything is sent.
    public func validate() throws(LoadgenError) {
        guard requests >= 1 else { throw .invalidPlan("the request count must be at least 1") }
        guard warmupRequests >= 0 else { throw .invalidPlan("the warmup request count must be zero or positive") }
        try workload.validate()
    }

    /// Runs the warmup, then the measured requests, at concurrency 1. A signal stops it, keeping
    /// the requests that completed.
    public func run(signals: SignalWatcher?) throws(LoadgenError) -> Result {
        try validate()
        let started = Clock.wallSeconds()
        var plan = LoadPlan(target: target)
        plan.workload = workload
        plan.headers = headers
        plan.tls = tls
        plan.concurrency = 1
        plan.threads = 1
        plan.requestTimeoutSeconds = requestTimeoutSeconds
        plan.keepsLatencySamples = true
        plan.timestamps = timestamps
        plan.clientLimits = clientLimits
        var warmup: RunResult?
        if let warmupSeconds, warmupSeconds > 0 {
            // Sequential requests for that long, discarded, on the connection the run keeps.
            plan.warmupSeconds = warmupSeconds
        } else if warmupRequests > 0 {
            var warmupPlan = plan
            // Its own prompts: with a fixed nonce the measured requests would repeat the warmup's.
            warmupPlan.workload = workload.derivingNonce(1)
            warmupPlan.stop = .requests(warmupRequests)
            let (result, signal) = try LoadRun.run(warmupPlan, signals: signals)
            warmup = result
            if let signal {
                return Result(run: RunResult(), warmup: warmup, latenciesSeconds: [], interruptedBySignal: signal, startedAtWallSeconds: started)
            }
        }
        plan.stop = .requests(requests)
        let metrics = serverMetrics.map { ServerMetricsSession($0, server: target, signals: signals) }
        let opening = metrics?.openWindow(settleFirst: warmup != nil)
        let (result, signal) = try LoadRun.run(plan, signals: signals)
        var measured = Result(run: result, warmup: warmup, latenciesSeconds: result.latencySamples.map { Double($0) / 1e9 }.sorted(),
                              interruptedBySignal: signal, startedAtWallSeconds: started)
        measured.serverMetrics = metrics?.closeWindow(opening, label: "measured", result: result)
        measured.serverMetricsRun = metrics?.finish()
        return measured
    }

    /// The saved form: settings, the seed's six figures in ms, and the streaming metrics.
    package static func json(_ benchmark: LatencyBenchmark, _ result: Result) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("config", .object([
                ("base_url", .string(benchmark.target.url)),
                ("model", .string(benchmark.workload.model)),
                ("requests", .int(Int64(benchmark.requests))),
                ("warmup_requests", .int(Int64(benchmark.warmupSeconds == nil ? benchmark.warmupRequests : 0))),
                ("warmup_sec", benchmark.warmupSeconds.map { .number($0) } ?? .null),
                ("input_tokens", .string(benchmark.workload.inputTokens.description)),
                ("output_tokens", .string(benchmark.workload.outputTokens.description)),
                ("stream", .bool(benchmark.workload.stream)),
            ])),
            ("environment", EnvironmentInfo.current().json),
            ("requests", .uint(result.run.requests)),
            ("succeeded", .uint(result.run.succeeded)),
            ("failed", .uint(result.run.failed)),
            ("errors", RunReport.errors(result.run.failures)),
            ("avg_ms", .number(result.averageMilliseconds, decimals: 3)),
            ("p50_ms", .number(result.percentileMilliseconds(50), decimals: 3)),
            ("p90_ms", .number(result.percentileMilliseconds(90), decimals: 3)),
            ("p99_ms", .number(result.percentileMilliseconds(99), decimals: 3)),
            ("min_ms", .number(result.minimumMilliseconds, decimals: 3)),
            ("max_ms", .number(result.maximumMilliseconds, decimals: 3)),
            ("latencies_ms", .array(result.latenciesSeconds.map { .number($0 * 1000, decimals: 3) })),
            ("prompt_tokens", .uint(result.run.promptTokens)),
            ("completion_tokens", .uint(result.run.completionTokens)),
            ("complete", .bool(result.interruptedBySignal == nil)),
            ("interrupted", .bool(result.interruptedBySignal != nil)),
            ("started_at", .number(result.startedAtWallSeconds, decimals: 3)),
        ]
        if result.run.streamedResponses > 0 {
            members.append(("ttft_ms", RunReport.distribution(result.run.timeToFirstToken)))
            members.append(("tpot_ms", RunReport.distribution(result.run.timePerOutputToken)))
        }
        members += RunReport.clientMembers(result.run)
        if let run = result.serverMetricsRun {
            // The one window's figures, and the scraping with its timeline, as in the other commands.
            members.append(("server_metrics", result.serverMetrics?.json ?? .null))
            members.append(("server_metrics_run", run.json))
        }
        return .object(members)
    }

    /// The seed's "Latency Performance" table.
    package static func table(_ benchmark: LatencyBenchmark, _ result: Result) -> String {
        func ms(_ value: Double) -> String { Format.milliseconds(value) + " ms" }
        let warmup = benchmark.warmupSeconds.map { "\(Format.fixed($0, decimals: 3, trimZeros: true)) s of" } ?? "\(benchmark.warmupRequests)"
        var rows: [[String]] = [
            result.interruptedBySignal == nil
                ? ["Number of requests", "\(benchmark.requests) (sequential, after \(warmup) warmup)"]
                : ["Number of requests", "INTERRUPTED after \(result.run.requests) of \(benchmark.requests) (sequential, after \(warmup) warmup)"],
            ["Successful", "\(result.run.succeeded) of \(result.run.requests)"],
            ["Input length", "\(benchmark.workload.inputTokens.description) tokens"],
            ["Output length", "\(benchmark.workload.outputTokens.description) tokens"],
            ["Average latency", ms(result.averageMilliseconds)],
            ["P50 latency", ms(result.percentileMilliseconds(50))],
            ["P90 latency", ms(result.percentileMilliseconds(90))],
            ["P99 latency", ms(result.percentileMilliseconds(99))],
            ["Min latency", ms(result.minimumMilliseconds)],
            ["Max latency", ms(result.maximumMilliseconds)],
        ]
        if result.run.streamedResponses > 0 {
            let ttft = LatencySummary(result.run.timeToFirstToken)
            let tpot = LatencySummary(result.run.timePerOutputToken)
            rows.append(["TTFT mean / p50 / p99", "\(ms(ttft.mean)) / \(ms(ttft.p50)) / \(ms(ttft.p99))"])
            rows.append(["TPOT mean / p50 / p99", "\(ms(tpot.mean)) / \(ms(tpot.p50)) / \(ms(tpot.p99))"])
        }
        if result.run.failed > 0 {
            rows.append(["Errors", RunReport.errorsText(result.run.failures, grouped: false)])
        }
        rows.append(["Client", result.run.clientVerdict.summary])
        return MarkdownTable.renderLeft(header: ["Metric", "Value"], rows: rows)
    }
}
