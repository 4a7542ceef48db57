/// Multi-turn chat sessions: each connection runs one conversation at a time, sending turn k with
/// the whole history — every earlier user turn and the assistant's real answer to it, as the
/// server sent it — after a think time. Concurrency counts sessions.
///
/// A session's user turns come from `conversations` (the dataset loaders fill it: one list of user
/// texts per conversation, sessions cycling through them), or else are synthetic: `turns` user
/// texts of the workload's `inputTokens` each (exact with a tokenizer), each led by a unique
/// header, so a prefix cache can reuse a session's own history and nothing of another session's.
///
/// The requests cannot be serialized once before the run, since each carries answers that only
/// arrive during it; instead each connection owns one buffer, sized before the run for its longest
/// possible history, in which the session's request grows in place: the answer's text is copied
/// there as it streams past, still JSON-escaped, and the next user turn and the request's end are
/// written after it (`SessionTable`). An answer longer than its share of the buffer
/// (`answerBytesPerToken` escaped bytes per `max_tokens`) fails the turn as `answerTooLong`.
public struct MultiTurnSessions: Sendable, Equatable {
    /// Turns per synthetic session (ignored when `conversations` is given: each has its own).
    public var turns: Int
    /// Seconds between a turn's complete response and the next turn's send.
    public var thinkTimeSeconds: Double
    /// The user turns of each conversation, in order; nil: synthetic turns.
    public var conversations: [[String]]?
    /// Room kept per output token of each answer in the request buffer, in escaped bytes. A
    /// token is about 4 bytes of English; 16 leaves room for escapes and long tokens.
    public var answerBytesPerToken: Int = 16

    /// The most turns one session may have (each has its own statistics per loop, 60 KiB).
    public static let maximumTurns = 256

    public init(turns: Int, thinkTimeSeconds: Double = 0, conversations: [[String]]? = nil) {
        self.turns = turns
        self.thinkTimeSeconds = thinkTimeSeconds
        self.conversations = conversations
    }

    /// The turns of the longest session.
    var longestSession: Int { conversations.map { $0.map(\.count).max() ?? 0 } ?? turns }

    func validate() throws(LoadgenError) {
        guard thinkTimeSeconds >= 0, thinkTimeSeconds.isFinite, thinkTimeSeconds <= 86_400 else {
            throw .invalidPlan("the think time must be between 0 and 86400 seconds")
        }
        guard answerBytesPerToken >= 1 else { throw .invalidPlan("the answer bytes per token must be at least 1") }
        if let conversations {
            guard !conversations.isEmpty else { throw .invalidPlan("multi-turn sessions need at least one conversation") }
            if let index = conversations.firstIndex(where: { $0.isEmpty }) {
                throw .invalidPlan("conversation \(index) has no user turn")
            }
            if let index = conversations.firstIndex(where: { $0.count > Self.maximumTurns }) {
                throw .invalidPlan("conversation \(index) has \(conversations[index].count) user turns; at most \(Self.maximumTurns)")
            }
        } else {
            guard turns >= 1, turns <= Self.maximumTurns else {
                throw .invalidPlan("the turns per session must be from 1 to \(Self.maximumTurns)")
            }
        }
    }
}

extension MultiTurnSessions {
    /// What a plan with sessions must be: closed loop (a session's next turn waits for its
    /// answer, so there is no schedule to keep), chat, one text message of fixed lengths.
    func validate(in plan: LoadPlan) throws(LoadgenError) {
        try validate()
        guard let workload = plan.workload else { return }
        guard plan.arrivals == nil else {
            throw .invalidPlan("multi-turn sessions run closed loop: each turn waits for the answer before it (no --rate)")
        }
        guard workload.endpoint == .chat else { throw .invalidPlan("multi-turn sessions need chat requests (not --completions)") }
        guard workload.imagesPerRequest == 0 else { throw .invalidPlan("multi-turn sessions send text only (no --images)") }
        guard workload.inputTokens.isFixed, workload.outputTokens.isFixed else {
            throw .invalidPlan("multi-turn sessions need fixed lengths: --input-tokens N and --max-tokens N, not ranges")
        }
    }
}
