import HTTPWire

/// Everything `loadgen bench` needs: the server, the request options, the mode and the levels.
/// Defaults are the seed's `unified_benchmark.py`, with the paper's saturation levels.
public struct BenchConfig: Sendable {
    /// The server's base URL (requests go to /v1/chat/completions or /v1/completions under it).
    public var target: HTTPTarget
    /// The request shape shared by every test: model, endpoint, prompt style, streaming, sampling
    /// options, images. Each test sets its own lengths and image count on a copy.
    public var workload: OpenAIWorkload
    public var headers: [HTTPHeader] = []
    /// https: how the server is verified and how the client identifies itself (`--cacert`,
    /// `--insecure`, `--cert`/`--key`); ignored for http.
    public var tls = TLSClientConfiguration()
    /// Request counts are multiplied by this (rounded, at least 1): 0.5 quick, 1, 3 thorough.
    public var multiplier = 1.0
    /// Adds the vision stress tests.
    public var vision = false
    public var skipSaturation = false
    /// Seconds between phases (the paper: 3-5 s).
    public var cooldownSeconds = 3.0
    public var scalingLevels = [5, 10, 25, 50, 75, 100]
    public var saturationLevels = [150, 200, 300, 500, 750, 1000]
    public var requestTimeoutSeconds = 300.0
    public var threads: Int = ProcessResources.onlineCPUs

    public init(target: HTTPTarget, workload: OpenAIWorkload) {
        self.target = target
        self.workload = workload
    }

    /// The mode's name for reports.
    public var modeName: String {
        switch multiplier {
        case 0.5: "quick (0.5x)"
        case 1: "default (1x)"
        case 3: "thorough (3x)"
        default: "\(Format.fixed(multiplier, decimals: 2, trimZeros: true))x"
        }
    }

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

    /// The tests of a phase, before any early stop (SCALING may end before its last level).
    public func tests(of phase: BenchPhase) -> [BenchTest] {
        switch phase {
        case .warmup:
            return [BenchTest(phase: .warmup, name: "single", concurrency: 1, requests: 1, inputTokens: 100, outputTokens: 50)]
        case .baseline:
            return [BenchTest(phase: .baseline, name: "baseline", concurrency: 1, requests: scaled(10), inputTokens: 500, outputTokens: 100)]
        case .scaling:
            return scalingLevels.map {
                BenchTest(phase: .scaling, name: "scale_\($0)", concurrency: $0, requests: scaled(2 * $0), inputTokens: 500, outputTokens: 200)
            }
        case .stress:
            var tests = [
                BenchTest(phase: .stress, name: "long_output", concurrency: 50, requests: scaled(30), inputTokens: 200, outputTokens: 500),
                BenchTest(phase: .stress, name: "long_context", concurrency: 25, requests: scaled(15), inputTokens: 4000, outputTokens: 200),
                // The paper also ran 8,000-token contexts (section 5.3.2); the seed's script did not.
                BenchTest(phase: .stress, name: "long_context_8k", concurrency: 25, requests: scaled(15), inputTokens: 8000, outputTokens: 200),
            ]
            if vision {
                tests += [
                    BenchTest(phase: .stress, name: "multi_image", concurrency: 10, requests: scaled(30), inputTokens: 500, outputTokens: 100, images: 3...5),
                    BenchTest(phase: .stress, name: "vision_high_concurrency", concurrency: 100, requests: scaled(200), inputTokens: 500, outputTokens: 100, images: 1...1),
                    BenchTest(phase: .stress, name: "vision_sustained", concurrency: 50, requests: scaled(450), inputTokens: 500, outputTokens: 100, images: 1...1),
                ]
            }
            return tests
        case .saturation:
            if skipSaturation { return [] }
            return saturationLevels.map {
                BenchTest(phase: .saturation, name: "extreme_\($0)", concurrency: $0, requests: scaled($0), inputTokens: 500, outputTokens: 100)
            }
        }
    }
}
