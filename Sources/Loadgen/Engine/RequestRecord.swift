/// One measured request as it ended, for `LoadPlan.recordsRequests` (`loadgen run
/// --requests-out FILE`): when it was sent, when its first and last token events came, when it
/// ended, its tokens and its outcome. Plain numbers, so booking one into storage reserved before
/// the run allocates nothing.
///
/// The times are CLOCK_MONOTONIC nanoseconds, the clock Python's `time.perf_counter()` reads on
/// Linux: `vllm bench serve --save-detailed` saves its requests' `start_times` on it, so the two
/// clients' requests can be laid on one time axis when they drive one server together
/// (`bench/vs-vllm-concurrent.sh`).
public struct RequestRecord: Sendable, Equatable {
    /// The send start (the scheduled time in open loop), as latency and TTFT count from it.
    public var startNanoseconds: UInt64
    /// When it ended: the last byte of its response, or the failure (a timeout's, a reset's).
    public var endNanoseconds: UInt64
    /// The first and the last token event of a streamed answer; 0 when it had none.
    public var firstTokenNanoseconds: UInt64
    public var lastTokenNanoseconds: UInt64
    /// Token events (chunks that carried a choice, the role-only chunk excluded; see
    /// `StreamChunkScanner`): `tokenEvents - 1` per-chunk ITL gaps span first to last token.
    public var tokenEvents: Int
    /// The server's `usage` (the token events when it sent none); 0 for a failure.
    public var promptTokens: UInt64
    public var outputTokens: UInt64
    /// nil: it succeeded; else the one class it failed in.
    public var failure: FailureClass?

    public init(startNanoseconds: UInt64, endNanoseconds: UInt64, firstTokenNanoseconds: UInt64 = 0,
                lastTokenNanoseconds: UInt64 = 0, tokenEvents: Int = 0, promptTokens: UInt64 = 0,
                outputTokens: UInt64 = 0, failure: FailureClass? = nil) {
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = endNanoseconds
        self.firstTokenNanoseconds = firstTokenNanoseconds
        self.lastTokenNanoseconds = lastTokenNanoseconds
        self.tokenEvents = tokenEvents
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.failure = failure
    }
}
