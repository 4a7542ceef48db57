import HTTPWire

/// Everything `loadgen bench` needs: the server, the request options, the mode and the levels.
/// Defaults are the seed's `unified_benchmark.py`, with the paper's saturation levels
/// (`SeedProtocol.Bench`).
public struct BenchConfig: Sendable {
    /// The server's base URL (requests go to /v1/chat/completions or /v1/completions under it).
    public var target: HTTPTarget
    /// The request shape shared by every test: model, endpoint, prompt style, streaming, sampling
    /// options, images. Each test sets its own lengths and image count on a copy.
    public var workload: OpenAIWorkload
    /// Extra request headers (the API key among them).
    public var headers: [HTTPHeader] = []
    /// https: how the server is verified and how the client identifies itself (`--cacert`,
    /// `--insecure`, `--cert`/`--key`); ignored for http.
    public var tls = TLSClientConfiguration()
    /// Request counts are multiplied by this (rounded, at least 1): 0.5 quick, 1, 3 thorough.
    public var multiplier = SeedProtocol.Bench.defaultMultiplier
    /// Adds the vision stress tests.
    public var vision = false
    /// Leaves the SATURATION phase out.
    public var skipSaturation = false
    /// Seconds between phases (the paper: 3-5 s).
    public var cooldownSeconds = SeedProtocol.Bench.cooldownSeconds
    /// SCALING concurrencies, in order (default the seed's 5 to 100).
    public var scalingLevels = SeedProtocol.Bench.scalingLevels
    /// SATURATION concurrencies, in order (default 150 to 1,000).
    public var saturationLevels = SeedProtocol.Bench.saturationLevels
    /// Per-request timeout (default the seeds' 300 s).
    public var requestTimeoutSeconds = SeedProtocol.requestTimeoutSeconds
    /// Client event-loop threads (default: online CPUs).
    public var threads: Int = ProcessResources.onlineCPUs
    /// The clock that stamps the response times (`LoadPlan.timestamps`; default the kernel's).
    public var timestamps: TimestampSource = .kernel
    /// The limits of the verdict on the client at every level (`LoadPlan.clientLimits`).
    public var clientLimits = ClientLimits()
    /// The server's own metrics, scraped around every test (nil, the library's default: none).
    package var serverMetrics: ServerMetricsPlan?

    /// The seed's benchmark of `workload` against `target`, at 1x.
    public init(target: HTTPTarget, workload: OpenAIWorkload) {
        self.target = target
        self.workload = workload
    }

    /// The mode's name for reports.
    public var modeName: String {
        let factor = "\(Format.fixed(multiplier, decimals: 2, trimZeros: true))x"
        switch multiplier {
        case SeedProtocol.Bench.quickMultiplier: return "quick (\(factor))"
        case SeedProtocol.Bench.defaultMultiplier: return "default (\(factor))"
        case SeedProtocol.Bench.thoroughMultiplier: return "thorough (\(factor))"
        default: return factor
        }
    }

    /// Checks the configuration before anything is sent.
    public func validate() throws(LoadgenError) {
        guard multiplier > 0, multiplier.isFinite else { throw .invalidPlan("the request multiplier must be positive") }
        guard cooldownSeconds >= 0, cooldownSeconds.isFinite else { throw .invalidPlan("the cooldown must be zero or positive") }
        guard !scalingLevels.isEmpty, scalingLevels.allSatisfy({ $0 >= 1 }) else { throw .invalidPlan("scaling levels must be positive") }
        guard !saturationLevels.isEmpty, saturationLevels.allSatisfy({ $0 >= 1 }) else { throw .invalidPlan("saturation levels must be positive") }
        guard !vision || workload.endpoint == .chat else { throw .invalidPlan("vision tests need chat requests: --vision cannot be used with --completions") }
        try workload.validate()
    }

    /// `count` times the multiplier, rounded, at least 1 (the seed truncated with int(); rounding
    /// keeps --quick's 0.5 x 15 at 8 rather than 7).
    public func scaled(_ count: Int) -> Int { max(1, Int((Double(count) * multiplier).rounded())) }

    /// The tests of a phase, before any early stop (SCALING may end before its last level): the
    /// seed's tests (`SeedProtocol.Bench`) with their request counts scaled (WARMUP's one is not).
    public func tests(of phase: BenchPhase) -> [BenchTest] {
        let seed = SeedProtocol.Bench.self
        switch phase {
        case .warmup:
            return [seed.warmup]
        case .baseline:
            return [scaledCount(seed.baseline)]
        case .scaling:
            return scalingLevels.map {
                BenchTest(phase: .scaling, name: "scale_\($0)", concurrency: $0, requests: scaled(seed.scalingRequestsPerConcurrency * $0),
                          inputTokens: seed.scalingInputTokens, outputTokens: seed.scalingOutputTokens)
            }
        case .stress:
            return (seed.stress + (vision ? seed.visionStress : [])).map(scaledCount)
        case .saturation:
            if skipSaturation { return [] }
            return saturationLevels.map {
                BenchTest(phase: .saturation, name: "extreme_\($0)", concurrency: $0, requests: scaled(seed.saturationRequestsPerConcurrency * $0),
                          inputTokens: seed.saturationInputTokens, outputTokens: seed.saturationOutputTokens)
            }
        }
    }

    private func scaledCount(_ test: BenchTest) -> BenchTest {
        var test = test
        test.requests = scaled(test.requests)
        return test
    }
}
