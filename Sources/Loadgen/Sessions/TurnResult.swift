/// What the requests of one turn number measured, across every session of a multi-turn run
/// (`RunResult.turns[k]` is turn k + 1). Turn k's prompt carries the whole history before it, so
/// its prompt tokens grow with k, and a prefix cache shows as its TTFT falling behind that growth.
public struct TurnResult: Sendable, Equatable {
    /// Measured requests of this turn started, and those that succeeded.
    public var requests: UInt64 = 0
    /// Requests of this turn that succeeded.
    public var succeeded: UInt64 = 0
    /// Successful requests: send start to the last response byte.
    public var latency = LatencyHistogram()
    /// Streamed successful requests: send start to the first token event (as `RunResult`'s).
    public var timeToFirstToken = LatencyHistogram()
    /// The `usage` counts of the successful requests (the server's own counts), and how many
    /// of them carried usage.
    public var promptTokens: UInt64 = 0
    /// Completion tokens the server reported for this turn.
    public var completionTokens: UInt64 = 0
    /// Successful requests of this turn whose answer carried `usage`.
    public var responsesWithUsage: UInt64 = 0
    /// What the successful requests asked for: the tokens of the turn's own user text (by the
    /// run's tokenizer; the history before it is the earlier turns and the server's answers,
    /// which only the server counts, in `promptTokens`), and their `max_tokens`.
    public var requestedUserTokens: UInt64 = 0
    /// The `max_tokens` the successful requests of this turn asked for.
    public var requestedOutputTokens: UInt64 = 0

    /// A turn with nothing measured.
    public init() {}

    /// The server's prompt tokens per successful request that reported them.
    public var meanPromptTokens: Double { responsesWithUsage > 0 ? Double(promptTokens) / Double(responsesWithUsage) : 0 }
    /// The tokens of the turn's user text per successful request.
    public var meanRequestedUserTokens: Double { succeeded > 0 ? Double(requestedUserTokens) / Double(succeeded) : 0 }
    /// The `max_tokens` asked for per successful request.
    public var meanRequestedOutputTokens: Double { succeeded > 0 ? Double(requestedOutputTokens) / Double(succeeded) : 0 }
    /// The server's completion tokens per successful request that reported them.
    public var meanCompletionTokens: Double { responsesWithUsage > 0 ? Double(completionTokens) / Double(responsesWithUsage) : 0 }

    mutating func merge(_ other: TurnResult) {
        requests += other.requests
        succeeded += other.succeeded
        latency.merge(other.latency)
        timeToFirstToken.merge(other.timeToFirstToken)
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        responsesWithUsage += other.responsesWithUsage
        requestedUserTokens += other.requestedUserTokens
        requestedOutputTokens += other.requestedOutputTokens
    }
}

extension [TurnResult] {
    /// Adds `other`'s turns to these, turn by turn (the longer list sets the count).
    mutating func merge(_ other: [TurnResult]) {
        for (turn, result) in other.enumerated() {
            if turn < count { self[turn].merge(result) } else { append(result) }
        }
    }
}
