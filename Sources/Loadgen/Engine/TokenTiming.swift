/// The token events of one streamed response (see `StreamChunkScanner` for which chunks are
/// token events) and the times the streaming metrics are made of, as vLLM's benchmark_serving
/// defines them: TTFT = first token event - send start; ITL = each gap between token events;
/// TPOT = (E2E - TTFT) / (output tokens - 1), with E2E ending at the last token event as vLLM's
/// does (not at the usage chunk or `[DONE]` after it).
///
/// A chunk may carry several tokens (speculative decoding, `--stream-interval`). When the chunks
/// carry the usage so far (vLLM's `continuous_usage_stats`), each chunk's tokens are the rise in
/// its `completion_tokens`, and the per-token ITL spreads the gap before a chunk evenly over its
/// tokens; without usage a chunk is one token. The first chunk's extra tokens arrived with it, at
/// gap 0, so a request's per-token gaps number output tokens - 1 and average to its TPOT.
///
/// Each token event is timed by its read's `ReadStamp`: with kernel timestamps, the kernel's
/// receive time of the read's last segment, shared by every event of the read; with user
/// timestamps, the clock when the scan reaches it, so events of one read get nearly the same
/// time, as `vllm bench serve` times the chunks of one read.
struct TokenTiming {
    private(set) var tokenEvents = 0
    private var firstTokenNanoseconds: UInt64 = 0
    private var lastTokenNanoseconds: UInt64 = 0
    /// Tokens so far: the last cumulative `completion_tokens`, or one per chunk without usage.
    private var tokens = 0
    /// When the last chunk that added tokens arrived: per-token gaps are measured from it.
    private var lastTokensNanoseconds: UInt64 = 0

    mutating func reset() {
        tokenEvents = 0
        tokens = 0
    }

    /// A token event at `now` whose chunk carried `completionTokens` so far (-1: no usage).
    @inline(__always)
    mutating func tokenChunk(at now: UInt64, completionTokens: Int) -> TokenChunkGaps {
        let first = tokenEvents == 0
        let added = completionTokens < 0 ? 1 : max(completionTokens - tokens, 0)
        let gaps = TokenChunkGaps(isFirst: first, sincePreviousChunk: first ? 0 : now &- lastTokenNanoseconds,
                                  tokens: added, sinceLastTokens: first ? 0 : now &- lastTokensNanoseconds)
        if first { firstTokenNanoseconds = now }
        lastTokenNanoseconds = now
        if added > 0 || first { lastTokensNanoseconds = now }
        tokens += added
        tokenEvents += 1
        return gaps
    }

    /// The first and the last token event's time (only after a token event).
    var firstTokenAt: UInt64 { firstTokenNanoseconds }
    var lastTokenAt: UInt64 { lastTokenNanoseconds }

    /// Time to first token of a request sent at `start` (only after a token event).
    func timeToFirstToken(sentAt start: UInt64) -> UInt64 { firstTokenNanoseconds &- start }

    /// Time per output token of a response with `outputTokens` (from the usage chunk when the
    /// server sent one), from the first to the last token event; nil for a single token, which
    /// has no gap.
    func timePerOutputToken(outputTokens: Int) -> UInt64? {
        guard outputTokens > 1 else { return nil }
        return (lastTokenNanoseconds &- firstTokenNanoseconds) / UInt64(outputTokens - 1)
    }
}

/// What one token event adds to the inter-token latencies.
struct TokenChunkGaps {
    /// The response's first token event: no gap before it (its time is the TTFT).
    var isFirst: Bool
    /// Since the previous token event: one per-chunk ITL value (not for the first).
    var sincePreviousChunk: UInt64
    /// Tokens the chunk added (0 when its usage did not rise).
    var tokens: Int
    /// Since the last chunk that added tokens: spread over `tokens` per-token ITL values.
    var sinceLastTokens: UInt64
}
