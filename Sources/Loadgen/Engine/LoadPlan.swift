import HTTPWire

/// When a load level stops.
public enum StopCondition: Sendable, Equatable {
    /// Exactly this many requests are started (and each ends in one outcome).
    case requests(Int)
    /// New requests start until this many seconds have passed (after any warmup).
    case duration(seconds: Double)
}

/// One load level: where, what, how many at once, and for how long.
///
/// ```swift
/// var plan = try LoadPlan(url: "http://127.0.0.1:8080/v1/chat/completions")
/// plan.method = "POST"
/// plan.body = Array(#"{"model":"m","messages":[],"max_tokens":16}"#.utf8)
/// plan.concurrency = 100
/// plan.stop = .duration(seconds: 5)
/// let result = try LoadRun.run(plan)
/// print(result.requestsPerSecond, result.latency.valueAtPercentile(99))
/// ```
public struct LoadPlan: Sendable {
    /// Where the requests go.
    public var target: HTTPTarget
    /// The method of a plain request (OpenAI workloads always POST).
    public var method: String = "GET"
    /// Extra request headers, in order (Host, Content-Length and Connection are generated).
    public var headers: [HTTPHeader] = []
    /// https: how the server's certificate is checked and which client certificate is shown
    /// (mTLS); ignored for http. The default trusts the system's CA store, as curl does.
    public var tls = TLSClientConfiguration()
    /// False: every request asks for `Connection: close` and gets a connection of its own (a
    /// new TCP connect, and over https a new TLS handshake, resumed when the server allows it),
    /// so connection setup is part of what is measured. wrk's equivalent is a `Connection:
    /// close` header; the default keeps each connection for the next request.
    public var keepAlive = true
    /// The body of a plain request (OpenAI workloads build their own).
    public var body: [UInt8] = []
    /// An OpenAI workload instead of `method`/`body`: its requests go to the endpoint's path under
    /// the target's path, and successes must be valid OpenAI answers (see `FailureClass.empty`).
    public var workload: OpenAIWorkload?
    /// Connections, each with one request in flight. Closed loop: every connection sends its next
    /// request as soon as its response is complete. Open loop: the cap on requests in flight.
    public var concurrency: Int = 1
    /// Open loop: requests start on this schedule instead of when a response completes (nil:
    /// closed loop). Latency then counts from each request's scheduled time.
    public var arrivals: OpenLoopArrivals?
    /// Targets for goodput (`RunResult.goodputRequestsPerSecond`); nil counts no good requests.
    public var objectives: ServiceLevelObjectives?
    /// Keep every successful request's latency (`RunResult.latencySamples`), for exact percentiles
    /// of small tests. With a request count the storage is reserved up front; with a duration it
    /// grows as it fills (an occasional allocation), so leave it off for long, fast runs.
    public var keepsLatencySamples = false
    /// Keep every measured request's times, tokens and outcome (`RunResult.requestRecords`), for
    /// a per-request export; reserved up front like `keepsLatencySamples`, with the same caveat.
    public var recordsRequests = false
    /// A response larger than this fails as `responseTooLarge` and its connection is closed.
    public var maxResponseBytes: Int = 64 * 1024 * 1024
    /// When the measured part ends: after exactly N started requests, or a duration.
    public var stop: StopCondition = .requests(1)
    /// With `.duration`: keep starting requests after the end until at least this many have started
    /// in the measured window (validation never measures fewer than the seed's 1,000).
    public var minimumRequests: Int = 0
    /// Seconds of load before measuring starts; requests started in it are excluded from results.
    public var warmupSeconds: Double = 0
    /// Or a warmup of this many requests, on the same connections, excluded from results (a
    /// `--duration` then counts from the first measured send). Not together with `warmupSeconds`.
    public var warmupRequests: Int = 0
    /// Event-loop threads; each owns a share of the connections. Never more than `concurrency`.
    public var threads: Int = ProcessResources.onlineCPUs
    /// A request with no complete response after this long fails as a timeout (the seeds' 300 s).
    public var requestTimeoutSeconds: Double = SeedProtocol.requestTimeoutSeconds
    /// A connect that has not completed after this long fails as a connect error.
    public var connectTimeoutSeconds: Double = 10
    /// With `.duration`, how long in-flight requests may finish after the end; the rest are cancelled.
    public var drainSeconds: Double = 10
    /// Pin the event-loop threads to CPUs [first, first + count), or nil to leave them to the kernel.
    public var cpuAffinity: CPURange?
    /// Which clock stamps the arrival of response bytes (see `TimestampSource`): by default the
    /// kernel's receive timestamps, so a late client does not show as a slow server.
    public var timestamps: TimestampSource = .kernel
    /// The limits of `RunResult.clientVerdict`.
    public var clientLimits = ClientLimits()
    /// Tests only: each loop sleeps this long after every `epoll_wait` that returned events, as
    /// a client starved of CPU would be late, so tests can show the kernel stamps are not.
    package var injectedBatchDelayNanoseconds: UInt64 = 0

    /// A plan of one plain GET to `target`; set the rest before running it.
    public init(target: HTTPTarget) { self.target = target }

    /// A plan for the `http://` or `https://` URL (refused with the reason when it is not one).
    public init(url: String) throws(LoadgenError) {
        self.init(target: try HTTPTarget(url: url))
    }

    /// Checks the values a caller may have set out of range.
    public func validate() throws(LoadgenError) {
        guard concurrency >= 1 else { throw .invalidPlan("concurrency must be at least 1") }
        guard threads >= 1 else { throw .invalidPlan("threads must be at least 1") }
        switch stop {
        case .requests(let count):
            guard count >= 1 else { throw .invalidPlan("the request count must be at least 1") }
        case .duration(let seconds):
            guard seconds > 0, seconds.isFinite else { throw .invalidPlan("the duration must be positive") }
        }
        guard warmupSeconds >= 0, warmupSeconds.isFinite else { throw .invalidPlan("the warmup must be zero or positive") }
        guard warmupRequests >= 0 else { throw .invalidPlan("the warmup request count must be zero or positive") }
        guard warmupRequests == 0 || warmupSeconds == 0 else { throw .invalidPlan("give a warmup in seconds or in requests, not both") }
        guard requestTimeoutSeconds > 0 else { throw .invalidPlan("the request timeout must be positive") }
        guard connectTimeoutSeconds > 0 else { throw .invalidPlan("the connect timeout must be positive") }
        guard minimumRequests >= 0 else { throw .invalidPlan("the minimum request count must be zero or positive") }
        guard drainSeconds >= 0 else { throw .invalidPlan("the drain time must be zero or positive") }
        guard maxResponseBytes >= 1 else { throw .invalidPlan("the response size limit must be at least 1 byte") }
        try arrivals?.validate()
        if let sessions = workload?.sessions { try sessions.validate(in: self) }
        try objectives?.validate()
        try clientLimits.validate()
    }

    /// The requests of the run, serialized once.
    func requestTemplates() throws(LoadgenError) -> [RequestTemplate] { try requests().templates }

    /// The requests of the run, serialized once, with how an OpenAI workload's prompts were made.
    func requests() throws(LoadgenError) -> (templates: [RequestTemplate], prompts: WorkloadRequests?) {
        if let workload {
            var count: Int?
            if case .requests(let requests) = stop { count = requests }
            // A base URL may carry a path (a proxy prefix) in front of /v1/..., and may end in /v1.
            // Without keep-alive the request says so (HTTPRequest then adds no Connection header).
            let headers = keepAlive ? headers : headers + [HTTPHeader("Connection", "close")]
            let built = try workload.requests(host: target.hostHeader, headers: headers, requestCount: count,
                                              pathPrefix: target.openAIBasePath)
            return (built.templates, built)
        }
        let request = HTTPRequest(method: method, target: target.path, host: target.hostHeader,
                                  headers: headers, body: body, keepAlive: keepAlive)
        do {
            return ([RequestTemplate(bytes: try request.serialized(), counterOffset: nil, inputTokens: 0, outputTokens: 0)], nil)
        } catch {
            throw .invalidRequest("a method, path or header contains a line break or NUL, or a header name is empty")
        }
    }
}

/// A contiguous range of CPU numbers.
public struct CPURange: Sendable, Equatable {
    /// The first CPU number.
    public var first: Int
    /// How many CPUs from `first` on.
    public var count: Int
    /// CPUs `first` to `first + count - 1`.
    public init(first: Int, count: Int) {
        self.first = first
        self.count = count
    }
}
