/// Multi-turn chat sessions: each connection runs one conversation at a time, sending turn k with
/// the whole history — every earlier user turn and the assistant's real answer to it, as the
/// server sent it — after a think time. Concurrency counts sessions.
///
/// A session's user turns come from `scripted` conversations (`DatasetSessions` fills it from a
/// ShareGPT or JSONL file: per conversation its opening system messages and, per turn, the user
/// text and the `max_tokens` of the file's answer; sessions cycle through them), or else are synthetic: `turns` user
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
    /// The conversations sessions replay (a dataset's, `DatasetSessions`), each with its own
    /// turns, lengths and opening messages; nil: synthetic turns.
    public var scripted: [SessionConversation]?
    /// The user turns of each conversation, in order (`scripted` without lengths or openings);
    /// nil: synthetic turns.
    public var conversations: [[String]]? {
        get { scripted?.map { $0.turns.map(\.user) } }
        set { scripted = newValue?.map { SessionConversation(turns: $0.map { SessionTurn(user: $0) }) } }
    }
    /// Room kept per output token of each answer in the request buffer, in escaped bytes. A
    /// token is about 4 bytes of English; 16 leaves room for escapes and long tokens.
    public var answerBytesPerToken: Int = 16

    /// The most turns one session may have (each has its own statistics per loop, 60 KiB).
    public static let maximumTurns = 256

    /// Sessions of `turns` turns each, `thinkTimeSeconds` between a turn's answer and the next turn,
    /// user turns from `conversations` (nil: synthetic).
    public init(turns: Int, thinkTimeSeconds: Double = 0, conversations: [[String]]? = nil) {
        self.turns = turns
        self.thinkTimeSeconds = thinkTimeSeconds
        self.conversations = conversations
    }

    /// Sessions that replay `scripted`, each conversation its own number of turns.
    public init(scripted: [SessionConversation], turns: Int, thinkTimeSeconds: Double = 0) {
        self.turns = turns
        self.thinkTimeSeconds = thinkTimeSeconds
        self.scripted = scripted
    }

    /// The turns of the longest session.
    var longestSession: Int { scripted.map { $0.map(\.turns.count).max() ?? 0 } ?? turns }

    func validate() throws(LoadgenError) {
        guard thinkTimeSeconds >= 0, thinkTimeSeconds.isFinite, thinkTimeSeconds <= 86_400 else {
            throw .invalidPlan("the think time must be between 0 and 86400 seconds")
        }
        guard answerBytesPerToken >= 1 else { throw .invalidPlan("the answer bytes per token must be at least 1") }
        if let scripted {
            guard !scripted.isEmpty else { throw .invalidPlan("multi-turn sessions need at least one conversation") }
            if let index = scripted.firstIndex(where: { $0.turns.isEmpty }) {
                throw .invalidPlan("conversation \(index) has no user turn")
            }
            if let index = scripted.firstIndex(where: { $0.turns.count > Self.maximumTurns }) {
                throw .invalidPlan("conversation \(index) has \(scripted[index].turns.count) user turns; at most \(Self.maximumTurns)")
            }
            if scripted.contains(where: { $0.turns.contains { ($0.maxTokens ?? 1) < 1 } }) {
                throw .invalidPlan("a session turn's max_tokens must be at least 1")
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

/// One conversation a session replays: the messages that open it (a system prompt: sent at the
/// head of every turn's history), then its user turns in order.
public struct SessionConversation: Sendable, Equatable {
    /// Messages before the first user turn (system or developer), sent as they are.
    public var opening: [ChatMessage]
    /// The user turns, in order.
    public var turns: [SessionTurn]

    /// A conversation of `turns` after `opening`.
    public init(opening: [ChatMessage] = [], turns: [SessionTurn]) {
        self.opening = opening
        self.turns = turns
    }
}

/// One user turn of a replayed conversation. The assistant's answer to it is never taken from
/// the file: the session sends the server's own answer with the next turn.
public struct SessionTurn: Sendable, Equatable {
    /// The user's text.
    public var user: String
    /// Its tokens by the run's tokenizer (the first turn's with the tokens added to every
    /// sequence, as every prompt count here), for the per-turn report; 0: not counted.
    public var userTokens: Int
    /// The turn's `max_tokens` (a dataset: its answer's token count); nil: the workload's.
    public var maxTokens: Int?

    /// A user turn saying `user`.
    public init(user: String, userTokens: Int = 0, maxTokens: Int? = nil) {
        self.user = user
        self.userTokens = userTokens
        self.maxTokens = maxTokens
    }
}
