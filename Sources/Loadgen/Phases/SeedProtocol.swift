/// Constants taken from the seed documents, in one place, each with its source.
public enum SeedProtocol {
    // MARK: Client-overhead validation (seed 000_88f1e0381b0fa9d6.txt, "Client Overhead Validation")

    /// Concurrency levels of the seed's echo-server table.
    public static let validationLevels = [100, 250, 500, 750, 1000, 1500, 2000]
    /// Requests per level in the seed (at loadgen's speed this lasts ~10 ms; see `validationDurationSeconds`).
    public static let validationRequestsPerLevel = 1000
    /// The seed's Python client peak: 1,006 requests/s at concurrency 100.
    public static let seedClientPeakRequestsPerSecond = 1006.0
    /// The seed's client p99 at concurrency 2,000: 24.52 ms.
    public static let seedClientP99AtTwoThousandMilliseconds = 24.52
    /// The seed's highest model throughput (Qwen3-VL): ~11,218 tok/s ...
    public static let seedTargetTokensPerSecond = 11_218.0
    /// ... at ~2,048 tokens per request, i.e. about 5.5 requests/s.
    public static let seedTargetTokensPerRequest = 2048.0

    // MARK: loadgen's own choices for validation (issue 4)

    /// Each level runs this long (after the warmup) so it measures steady state, not connection setup.
    public static let validationDurationSeconds = 3.0
    /// Discarded warmup per level.
    public static let validationWarmupSeconds = 1.0
    /// Never fewer requests than the seed per level.
    public static let validationMinimumRequests = 1000
    /// How long a started echo server may take to print its address.
    public static let echoServerStartSeconds = 10.0
    /// Headroom under this factor means the client may distort the measurement.
    public static let sufficientHeadroomFactor = 10.0

    /// The seeds' per-request timeout (300 s in unified_benchmark.py's `requests.post`).
    public static let requestTimeoutSeconds = 300.0
}
