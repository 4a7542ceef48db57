import HTTPWire

/// `loadgen validate`: how to prove the client is not the bottleneck (seed 000's method).
public struct ValidationPlan: Sendable {
    /// Where the echo server is: start one from this path, or use a running one.
    public enum Server: Sendable, Equatable {
        /// Start the executable at `echoServerPath` with `arguments` before echo-server's own: a
        /// standalone echo-server takes none; loadgen itself takes `["echo-server"]`.
        case start(echoServerPath: String, arguments: [String] = [])
        /// Drive the server at `url`, already running.
        case running(url: String)

        /// The loadgen binary running now, as `loadgen echo-server`: the default, since it needs
        /// nothing built besides loadgen (`swift run` builds only the product it runs).
        public static var bundled: Server {
            .start(echoServerPath: ProcessResources.executablePath ?? "/proc/self/exe", arguments: ["echo-server"])
        }
    }

    /// The echo server to drive.
    public var server: Server
    /// Concurrency levels (default the seed's 100 to 2,000).
    public var levels = SeedProtocol.Validation.levels
    /// Exactly this many requests per level (the seed's method), or nil for duration mode.
    public var requestsPerLevel: Int?
    /// Seconds per level after the warmup (loadgen's 3 s: steady state, not connection setup).
    public var durationSeconds = SeedProtocol.Validation.durationSeconds
    /// Discarded seconds at the start of each level.
    public var warmupSeconds = SeedProtocol.Validation.warmupSeconds
    /// Or a warmup of this many requests per level (then `warmupSeconds` is ignored).
    public var warmupRequests: Int?
    /// A level runs on past its duration until this many requests (the seed's 1,000).
    public var minimumRequests = SeedProtocol.Validation.minimumRequests
    /// Client event-loop threads; nil = the client's CPU share.
    public var threads: Int?
    /// Split the CPUs between client and the started echo-server (half each).
    public var pinCPUs = true
    /// A running https server (`--url https://...`): how it is verified, as in `LoadPlan.tls`.
    public var tls = TLSClientConfiguration()
    /// Per-request timeout: 30 s, since the echo server answers in microseconds.
    public var requestTimeoutSeconds = 30.0
    /// The clock that stamps the response times (`LoadPlan.timestamps`; default the kernel's).
    public var timestamps: TimestampSource = .kernel
    /// The limits of the verdict on the client at every level (`LoadPlan.clientLimits`).
    public var clientLimits = ClientLimits()
    /// The target workload for the verdict, in requests per second.
    public var targetRequestsPerSecond = SeedProtocol.Validation.targetTokensPerSecond / SeedProtocol.Validation.targetTokensPerRequest
    /// How the target was given, for the verdict line.
    public var targetDescription = "\(Format.rate(SeedProtocol.Validation.targetTokensPerSecond)) tok/s at ~\(Format.rate(SeedProtocol.Validation.targetTokensPerRequest)) tokens/request, the seed's highest model throughput"
    /// The server's own metrics, scraped around every level (nil, the library's default: none;
    /// the CLI asks for the automatic endpoint unless `--no-metrics`). A started echo-server is
    /// then started with `--metrics`, so the automatic endpoint finds its counters.
    package var serverMetrics: ServerMetricsPlan?
    /// The OpenAI-shaped request every connection sends.
    public var body: [UInt8] = Array(#"{"model":"echo","messages":[{"role":"user","content":"Explain in detail: is the benchmark client the bottleneck?"}],"max_tokens":100}"#.utf8)

    /// The seed's validation against `server` (`.bundled` for loadgen's own echo server).
    public init(server: Server) { self.server = server }

    /// Checks the plan before anything starts.
    public func validate() throws(LoadgenError) {
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 }) else { throw .invalidPlan("levels must be positive integers") }
        if let requestsPerLevel, requestsPerLevel < 1 { throw .invalidPlan("--requests must be at least 1") }
        guard durationSeconds > 0 else { throw .invalidPlan("--duration must be positive") }
        guard targetRequestsPerSecond > 0, targetRequestsPerSecond.isFinite else { throw .invalidPlan("the target must be positive") }
    }
}
