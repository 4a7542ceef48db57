/// One test of the benchmark: a closed-loop level with a fixed request count.
public struct BenchTest: Sendable, Equatable {
    /// The phase it belongs to.
    public var phase: BenchPhase
    /// The seed's names: single, baseline, scale_N, long_output, long_context, extreme_N, ...
    public var name: String
    /// Requests in flight.
    public var concurrency: Int
    /// Requests it sends (the multiplier applied).
    public var requests: Int
    /// Prompt length of each request.
    public var inputTokens: Int
    /// `max_tokens` of each request.
    public var outputTokens: Int
    /// Images per request: none for text tests; a range cycles through its counts.
    public var images: ClosedRange<Int>?

    /// A test; `images` nil for text.
    public init(phase: BenchPhase, name: String, concurrency: Int, requests: Int, inputTokens: Int,
                outputTokens: Int, images: ClosedRange<Int>? = nil) {
        self.phase = phase
        self.name = name
        self.concurrency = concurrency
        self.requests = requests
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.images = images
    }

    /// "vision" or "text", as the seed's `test_type`.
    public var type: String { images == nil ? "text" : "vision" }
}
