import HTTPWire

/// A multi-run sweep (the seeds' and the paper's reproducibility protocol): every run walks the
/// concurrency levels in order, after a discarded warmup and, optionally, a server restart.
public struct SweepPlan: Sendable {
    /// The server's base URL.
    public var target: HTTPTarget
    /// Request shape; lengths default to the protocol's 2,048 input / 512 output tokens.
    public var workload: OpenAIWorkload
    /// Extra request headers.
    public var headers: [HTTPHeader] = []
    /// https: how the server is verified and how the client identifies itself (`--cacert`,
    /// `--insecure`, `--cert`/`--key`); ignored for http.
    public var tls = TLSClientConfiguration()
    /// Concurrency levels, walked in order by every run (default the seeds' 10 to 1,000).
    public var levels = SeedProtocol.Sweep.levels
    /// Independent runs (default 5).
    public var runs = SeedProtocol.Sweep.runs
    /// Requests per level ("prompts", as `vllm bench serve --num-prompts`); nil with a duration.
    public var requestsPerLevel: Int? = SeedProtocol.Sweep.requestsPerLevel
    /// Seconds per level instead of a request count.
    public var durationPerLevel: Double?
    /// Requests sent and discarded at the start of each run.
    public var warmupRequests = SeedProtocol.Sweep.warmupRequests
    /// Or seconds of load discarded at the start of each run (then `warmupRequests` is ignored).
    public var warmupSeconds: Double?
    /// Seconds between runs.
    public var cooldownSeconds = SeedProtocol.Sweep.cooldownSeconds
    /// Run through /bin/sh before every run; the sweep then waits until the server is ready.
    public var restartCommand: String?
    /// How long the server may take to answer GET /health (or /v1/models) with 200.
    public var readyTimeoutSeconds = 900.0
    /// Per-request timeout (default the seeds' 300 s).
    public var requestTimeoutSeconds = SeedProtocol.requestTimeoutSeconds
    /// Client event-loop threads (default: online CPUs).
    public var threads: Int = ProcessResources.onlineCPUs
    /// The clock that stamps the response times (`LoadPlan.timestamps`; default the kernel's).
    public var timestamps: TimestampSource = .kernel
    /// The limits of the verdict on the client at every level (`LoadPlan.clientLimits`).
    public var clientLimits = ClientLimits()
    /// The preset's name, for reports.
    public var presetName: String?
    /// The server's own metrics, scraped around every level (nil, the library's default: none).
    /// Scraping starts at the first level, after the first restart, and goes on through the
    /// restarts (their failed scrapes and counter resets are recorded as such).
    package var serverMetrics: ServerMetricsPlan?

    /// The seeds' multi-run protocol for `workload` against `target`; a workload left at the
    /// default lengths gets the protocol's 2,048 in / 512 out.
    public init(target: HTTPTarget, workload: OpenAIWorkload) {
        self.target = target
        var workload = workload
        // A workload left at run's default lengths gets the protocol's.
        if workload.inputTokens == .fixed(SeedProtocol.defaultInputTokens) { workload.inputTokens = .fixed(SeedProtocol.Sweep.inputTokens) }
        if workload.outputTokens == .fixed(SeedProtocol.defaultOutputTokens) { workload.outputTokens = .fixed(SeedProtocol.Sweep.outputTokens) }
        self.workload = workload
    }

    /// The paper's fine-grained saturation sweep: 500 to 1,000 by 50, 3 runs, 200 prompts per
    /// level, 2,048 input / 100 output tokens.
    public mutating func applyFineSaturationPreset() {
        levels = SeedProtocol.Sweep.fineSaturationLevels
        runs = SeedProtocol.Sweep.fineSaturationRuns
        requestsPerLevel = SeedProtocol.Sweep.fineSaturationRequestsPerLevel
        durationPerLevel = nil
        workload.inputTokens = .fixed(SeedProtocol.Sweep.fineSaturationInputTokens)
        workload.outputTokens = .fixed(SeedProtocol.Sweep.fineSaturationOutputTokens)
        presetName = "fine-saturation"
    }

    /// Checks the plan before anything is sent.
    public func validate() throws(LoadgenError) {
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 }) else { throw .invalidPlan("levels must be positive concurrencies") }
        guard runs >= 1 else { throw .invalidPlan("the number of runs must be at least 1") }
        if let requestsPerLevel { guard requestsPerLevel >= 1 else { throw .invalidPlan("requests per level must be at least 1") } }
        if let durationPerLevel { guard durationPerLevel > 0 else { throw .invalidPlan("the duration per level must be positive") } }
        guard (requestsPerLevel == nil) != (durationPerLevel == nil) else { throw .invalidPlan("give requests or a duration per level, not both") }
        guard warmupRequests >= 0, cooldownSeconds >= 0, readyTimeoutSeconds > 0 else { throw .invalidPlan("warmup, cooldown and ready timeout must not be negative") }
        try workload.validate()
    }
}
