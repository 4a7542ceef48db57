/// The token events of one streamed response (events that carry text, see
/// `OpenAIResponseCheck.nextTextEvent`) and the times the streaming metrics are made of, as
/// vLLM's benchmark_serving defines them: TTFT = first token event - send start; ITL = each gap
/// between token events; TPOT = (E2E - TTFT) / (output tokens - 1).
///
/// Each token event is timed by its read's `ReadStamp`: with kernel timestamps, the kernel's
/// receive time of the read's last segment, shared by every event of the read; with user
/// timestamps, the clock when the scan reaches it, so events of one read get nearly the same
/// time, as `vllm bench serve` times the chunks of one read.
struct TokenTiming {
    private(set) var tokenEvents = 0
    private var firstTokenNanoseconds: UInt64 = 0
    private var lastTokenNanoseconds: UInt64 = 0

    mutating func reset() { tokenEvents = 0 }

    /// A token event at `now`. Returns the inter-token gap since the previous one, nil for the first.
    @inline(__always)
    mutating func tokenEvent(at now: UInt64) -> UInt64? {
        let gap: UInt64? = tokenEvents == 0 ? nil : now &- lastTokenNanoseconds
        if tokenEvents == 0 { firstTokenNanoseconds = now }
        lastTokenNanoseconds = now
        tokenEvents += 1
        return gap
    }

    /// Time to first token of a request sent at `start` (only after a token event).
    func timeToFirstToken(sentAt start: UInt64) -> UInt64 { firstTokenNanoseconds &- start }

    /// Time per output token of a response complete at `now` with `outputTokens` (from the usage
    /// chunk when the server sent one); nil for a single token, which has no gap.
    func timePerOutputToken(completedAt now: UInt64, outputTokens: Int) -> UInt64? {
        guard outputTokens > 1 else { return nil }
        return (now &- firstTokenNanoseconds) / UInt64(outputTokens - 1)
    }
}
