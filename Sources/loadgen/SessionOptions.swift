import Loadgen

/// The multi-turn session flags of `run` (an OpenAI chat workload): `--turns N` sessions of N
/// turns, each sent with the whole history after `--think-time`.
struct SessionOptions {
    var turns: Int?
    var thinkTimeSeconds: Double?

    static let help = """
          --turns N               multi-turn sessions of N user turns: each turn is sent with the
                                  whole history, the assistant's real earlier answers included;
                                  -c counts sessions, -n requests (turns); per-turn TTFT and
                                  prompt tokens are reported (chat, closed loop)
          --think-time TIME       with --turns: wait this long after each answer (default 0)
          --turns N --dataset sharegpt:PATH|jsonl:PATH  each session replays one conversation of
                                  the file: its user turns in order, at most N (a longer one is
                                  cut; a shorter one ends its session after its last turn), a
                                  system prompt before them kept; the history carries the
                                  server's real answers, never the file's; each turn's max_tokens
                                  is the token count of the file's answer to it (unless
                                  --max-tokens). A conversation is cut where user/assistant
                                  alternation breaks, ShareGPT's at the first turn failing vLLM's
                                  length filter (applied per turn); one with fewer than 2 turns is
                                  left out. -n still counts requests (turns): conversations are
                                  sampled with --seed until their turns cover it (default 1000
                                  conversations with --duration)
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--turns": turns = try cursor.int(for: argument, in: 1...MultiTurnSessions.maximumTurns)
        case "--think-time": thinkTimeSeconds = try cursor.seconds(for: argument, allowingZero: true, atMost: 86_400)
        default: return false
        }
        return true
    }

    /// The sessions asked for, or nil; an error when a flag cannot apply.
    func sessions(openAI: Bool, rate: Bool) throws(UsageError) -> MultiTurnSessions? {
        guard let turns else {
            if thinkTimeSeconds != nil { throw UsageError("--think-time is the pause between the turns of a session: give --turns N too") }
            return nil
        }
        guard openAI else { throw UsageError("--turns needs an OpenAI chat workload: give --base-url instead of a URL") }
        guard !rate else { throw UsageError("--turns runs closed loop (each turn waits for the answer before it): drop --rate") }
        return MultiTurnSessions(turns: turns, thinkTimeSeconds: thinkTimeSeconds ?? 0)
    }
}
