/// The figures loadgen takes from the seed documents (`../shared/seeds`, whose README.md says what
/// each is), in one place: levels, request counts, token lengths, thresholds, timeouts. Every
/// constant names the seed and the section it comes from; the plans' defaults, the status rules,
/// the commands' defaults and their help texts read it here. loadgen's own choices made around the
/// seeds are marked as such, with the reason.
///
/// The seeds: 000 the client-overhead validation report (and its multi-run protocol), 001 the
/// benchmark methodology with `unified_benchmark.py`, 003 the technical report (the paper), 004 a
/// small machine's benchmark report.
package enum SeedProtocol {
    // MARK: Every seed client

    /// The per-request timeout: `requests.post(..., timeout=300)` in seed 001's `make_request`; the
    /// paper's "300-second timeout" (seed 003, section 5.1, "Concurrency Model").
    package static let requestTimeoutSeconds = 300.0

    /// The fixed prompt's text, repeated `input_tokens / promptTokensPerRepeat` times (seed 001,
    /// `run_test`: `"Explain in detail: " * (input_tokens // 4)`).
    package static let fixedPromptText = "Explain in detail: "
    /// See `fixedPromptText`.
    package static let promptTokensPerRepeat = 4
    /// Unique prompts are this many characters per requested token: the paper's "~4
    /// characters-per-token heuristic" (seed 003, section 5.1, "Prompt Construction").
    package static let charactersPerToken = 4

    /// The images of the unified benchmark's vision tests (seed 001, `TEST_IMAGES`).
    package static let testImageURLs = [
        "https://images.unsplash.com/photo-1514888286974-6c03e2ca1dba?w=1280",
        "https://images.unsplash.com/photo-1506905925346-21bda4d32df4?w=1280",
        "https://images.unsplash.com/photo-1504674900247-0877df9cc836?w=1280",
    ]

    /// A level is saturated when its total tok/s is under this multiple of the previous level's:
    /// the benchmark's SATURATED status (seed 001: "Throughput < 1.05x previous level"; seed 003,
    /// section 5.1 and Table 7) and the sweep's saturation point on mean throughputs (seed 003,
    /// section 6.3: the plateau "within 5% of the previous level").
    package static let saturatedFactor = 1.05

    /// Request lengths when none are given (`loadgen run`, `OpenAIWorkload`): the unified
    /// benchmark's BASELINE and SATURATION requests, 500 tokens in, 100 out (seed 001, `main()`).
    package static let defaultInputTokens = 500
    /// See `defaultInputTokens`.
    package static let defaultOutputTokens = 100

    // MARK: Client-overhead validation (seed 000, "Client Overhead Validation")

    /// `loadgen validate`.
    package enum Validation {
        /// Concurrency levels of the seed's echo-server table ("Detailed Results").
        package static let levels = [100, 250, 500, 750, 1000, 1500, 2000]
        /// Requests per level ("concurrency 100, 1,000 requests per level"; at loadgen's speed this
        /// lasts ~10 ms a level, so it is `--requests 1000`, not the default: see `durationSeconds`).
        package static let requestsPerLevel = 1000
        /// The seed's Python client peak: 1,006 requests/s at concurrency 100.
        package static let seedClientPeakRequestsPerSecond = 1006.0
        /// The seed's client p99 at concurrency 2,000: 24.52 ms ("Detailed Results").
        package static let seedClientP99AtTwoThousandMilliseconds = 24.52
        /// The seed's highest model throughput (Qwen3-VL): ~11,218 tok/s ...
        package static let targetTokensPerSecond = 11_218.0
        /// ... at ~2,048 tokens per request, i.e. about 5.5 requests/s.
        package static let targetTokensPerRequest = 2048.0

        // loadgen's own choices (issue 4): a level must measure steady state, not connection setup.

        /// Each level runs this long after the warmup.
        package static let durationSeconds = 3.0
        /// Discarded warmup per level.
        package static let warmupSeconds = 1.0
        /// Never fewer requests than the seed per level.
        package static let minimumRequests = requestsPerLevel
        /// How long a started echo server may take to print its address.
        package static let echoServerStartSeconds = 10.0
        /// Headroom under this factor means the client may distort the measurement.
        package static let sufficientHeadroomFactor = 10.0
    }

    // MARK: The unified progressive benchmark (seed 001, unified_benchmark.py; seed 003, 5.1, 5.3)

    /// `loadgen bench`: its tests, levels, lengths, multipliers and status thresholds.
    package enum Bench {
        /// `--quick`, the default and `--thorough` multiply request counts by these (seed 001, the
        /// "Mode | Multiplier" table and `main()`'s `multiplier`).
        package static let quickMultiplier = 0.5
        /// See `quickMultiplier`.
        package static let defaultMultiplier = 1.0
        /// See `quickMultiplier`.
        package static let thoroughMultiplier = 3.0

        /// FAILING under this success rate (seed 001, the status table: "Success rate < 95%";
        /// seed 003, Table 7).
        package static let minimumSuccessRate = 0.95
        /// DEGRADED when p99 exceeds this multiple of the BASELINE p99 (seed 001: "p99 > 2x
        /// baseline p99"; seed 003, section 5.1).
        package static let degradedFactor = 2.0
        /// Seconds between phases: the paper's "inter-phase cooldowns of 3-5 seconds" (seed 003,
        /// section 5.1, "Warmup Protocol"); the seed's script had none.
        package static let cooldownSeconds = 3.0

        /// WARMUP: one request, 100 tokens in, 50 out, never scaled (seed 001 `main()`; seed 003,
        /// section 5.1, "Warmup Protocol").
        package static let warmup = BenchTest(phase: .warmup, name: "single", concurrency: 1, requests: 1, inputTokens: 100, outputTokens: 50)
        /// BASELINE: 10 sequential requests (times the multiplier), 500 in, 100 out (seed 001 `main()`).
        package static let baseline = BenchTest(phase: .baseline, name: "baseline", concurrency: 1, requests: 10, inputTokens: 500, outputTokens: 100)

        /// SCALING levels (seed 001 `main()`; the paper swept up to 200, seed 003 section 5.3.2).
        package static let scalingLevels = [5, 10, 25, 50, 75, 100]
        /// SCALING sends this many requests per unit of concurrency (seed 001: `int(conc*2*multiplier)`).
        package static let scalingRequestsPerConcurrency = 2
        /// SCALING lengths: 500 in, 200 out (seed 001 `main()`; seed 003, section 5.3.2).
        package static let scalingInputTokens = 500
        /// See `scalingInputTokens`.
        package static let scalingOutputTokens = 200

        /// STRESS, text: long output (50 concurrent, 30 requests, 200 in / 500 out), long context
        /// (25 concurrent, 15 requests, 4,000 in / 200 out) (seed 001 `main()`), and the paper's
        /// 8,000-token context (seed 003, section 5.3.2: "4,000-token and 8,000-token input
        /// contexts"), which the seed's script did not run.
        package static let stress = [
            BenchTest(phase: .stress, name: "long_output", concurrency: 50, requests: 30, inputTokens: 200, outputTokens: 500),
            BenchTest(phase: .stress, name: "long_context", concurrency: 25, requests: 15, inputTokens: 4000, outputTokens: 200),
            BenchTest(phase: .stress, name: "long_context_8k", concurrency: 25, requests: 15, inputTokens: 8000, outputTokens: 200),
        ]
        /// STRESS, vision (`--vision`): 3-5 images per request, 100 concurrent, and 50 concurrent
        /// over 450 requests (seed 003, section 5.3.2, "Vision workloads"; the seed's script had
        /// only TEST_IMAGES). Lengths and the other counts are loadgen's, the BASELINE's 500/100.
        package static let visionStress = [
            BenchTest(phase: .stress, name: "multi_image", concurrency: 10, requests: 30, inputTokens: 500, outputTokens: 100, images: 3...5),
            BenchTest(phase: .stress, name: "vision_high_concurrency", concurrency: 100, requests: 200, inputTokens: 500, outputTokens: 100, images: 1...1),
            BenchTest(phase: .stress, name: "vision_sustained", concurrency: 50, requests: 450, inputTokens: 500, outputTokens: 100, images: 1...1),
        ]

        /// SATURATION levels: the seed's 150, 200, 300, 500 (seed 001 `main()`) and the paper's 750
        /// and 1,000 (seed 003, section 5.3.2, "Saturation").
        package static let saturationLevels = [150, 200, 300, 500, 750, 1000]
        /// SATURATION sends this many requests per unit of concurrency (seed 001: `int(conc*multiplier)`).
        package static let saturationRequestsPerConcurrency = 1
        /// SATURATION lengths: 500 in, 100 out (seed 001 `main()`).
        package static let saturationInputTokens = 500
        /// See `saturationInputTokens`.
        package static let saturationOutputTokens = 100
    }

    // MARK: The multi-run protocol (seed 000, "Benchmark Protocol"; seed 003, sections 6.3, 6.4)

    /// `loadgen sweep`.
    package enum Sweep {
        /// "Multi-Run Statistical Testing (n=5)": levels 10 to 1,000.
        package static let levels = [10, 50, 100, 200, 500, 750, 1000]
        /// Independent runs per level.
        package static let runs = 5
        /// Seconds between runs ("Cooldown between runs: 60 seconds").
        package static let cooldownSeconds = 60.0
        /// Requests discarded at the start of each run ("Warmup requests: 10 (discarded)").
        package static let warmupRequests = 10
        /// Prompts per concurrency level.
        package static let requestsPerLevel = 100
        /// Confidence of the intervals across runs: "95% confidence intervals computed using the
        /// t-distribution at 95% with df = n - 1" ("Statistical Analysis"; seed 003, section 6.4).
        package static let confidence = 0.95
        /// Lengths: 2,048 in, 512 out (also seed 003, section 6.4).
        package static let inputTokens = 2048
        /// See `inputTokens`.
        package static let outputTokens = 512

        /// "Fine-Grained Saturation Sweep (n=3)" (seed 003, section 6.3): levels 500 to 1,000 by 50, ...
        package static let fineSaturationLevels = Array(stride(from: 500, through: 1000, by: 50))
        /// ... 3 runs, ...
        package static let fineSaturationRuns = 3
        /// ... 200 prompts per level, ...
        package static let fineSaturationRequestsPerLevel = 200
        /// ... 2,048 in, 100 out.
        package static let fineSaturationInputTokens = 2048
        /// See `fineSaturationInputTokens`.
        package static let fineSaturationOutputTokens = 100
    }

    // MARK: Sequential latency (seed 004, "Latency Benchmark")

    /// `loadgen latency`.
    package enum Latency {
        /// "Number of requests: 10 (sequential)".
        package static let requests = 10
        /// Lengths: 128 in, 128 out.
        package static let inputTokens = 128
        /// See `inputTokens`.
        package static let outputTokens = 128
        /// Discarded requests before the measured ones: loadgen's choice (the report's first run
        /// names none; its retests used 5), enough to open the connection and warm the server.
        package static let warmupRequests = 1
    }
}
