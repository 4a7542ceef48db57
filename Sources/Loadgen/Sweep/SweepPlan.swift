import HTTPWire

/// A multi-run sweep (the seeds' and the paper's reproducibility protocol): every run walks the
/// concurrency levels in order, after a discarded warmup and, optionally, a server restart.
public struct SweepPlan: Sendable {
    public var target: HTTPTarget
    /// Request shape; lengths default to the protocol's 2,048 input / 512 output tokens.
    public var workload: OpenAIWorkload
    public var headers: [HTTPHeader] = []
    /// https: how the server is verified and how the client identifies itself (`--cacert`,
    /// `--insecure`, `--cert`/`--key`); ignored for http.
    public var tls = TLSClientConfiguration()
    public var levels = [10, 50, 100, 200, 500, 750, 1000]
    public var runs = 5
    /// Requests per level ("prompts", as `vllm bench serve --num-prompts`); nil with a duration.
    public var requestsPerLevel: Int? = 100
    /// Seconds per level instead of a request count.
    public var durationPerLevel: Double?
    /// Requests sent and discarded at the start of each run.
    public var warmupRequests = 10
    /// Or seconds of load discarded at the start of each run (then `warmupRequests` is ignored).
    public var warmupSeconds: Double?
    /// Seconds between runs.
    public var cooldownSeconds = 60.0
    /// Run through /bin/sh before every run; the sweep then waits until the server is ready.
    public var restartCommand: String?
    /// How long the server may take to answer GET /health (or /v1/models) with 200.
    public var readyTimeoutSeconds = 900.0
    public var requestTimeoutSeconds = 300.0
    public var threads: Int = ProcessResources.onlineCPUs
    /// The preset's name, for reports.
    public var presetName: String?

    public init(target: HTTPTarget, workload: OpenAIWorkload) {
        self.target = target
        var workload = workload
        if workload.inputTokens == .fixed(500) { workload.inputTokens = .fixed(2048) }
        if workload.outputTokens == .fixed(100) { workload.outputTokens = .fixed(512) }
        self.workload = workload
    }

    /// The paper's fine-grained saturation sweep: 500 to 1,000 by 50, 3 runs, 200 prompts per
    /// level, 2,048 input / 100 output tokens.
    public mutating func applyFineSaturationPreset() {
        levels = Array(stride(from: 500, through: 1000, by: 50))
        runs = 3
        requestsPerLevel = 200
        durationPerLevel = nil
        workload.inputTokens = .fixed(2048)
        workload.outputTokens = .fixed(100)
        presetName = "fine-saturation"
    }

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
