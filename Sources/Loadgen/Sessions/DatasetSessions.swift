/// Multi-turn sessions that replay a dataset's conversations (`--dataset sharegpt:PATH` or
/// `jsonl:PATH` with `--turns N`): each session is one conversation, its user turns sent in order,
/// each with the whole history, in which the assistant's messages are the server's real answers
/// to the earlier turns, never the file's. The file's answers give only each turn's `max_tokens`:
/// the tokens of the answer that follows the user turn (the run's tokenizer; exact with one),
/// unless `--max-tokens` is given.
///
/// What a conversation's turns are:
/// - system (or developer) messages before its first user message open every turn's history,
///   as they are; assistant messages before it are dropped (there is nothing they answer);
/// - then each user message followed by an assistant message is one turn; the turns end where
///   that alternation breaks (two user messages in a row, a tool or system message), or after
///   N turns (`--turns N` caps them: a longer conversation is cut, a shorter one ends its
///   session early, after its own last turn);
/// - a last user message with no answer is a turn only if its length is known otherwise (the
///   JSONL line's `output_tokens`, or `--max-tokens`);
/// - ShareGPT files: vLLM's length filter applies to every turn on its own (its user text 4 to
///   1,024 tokens, its answer at least 4 unless `--max-tokens` is given, the two at most 2,048);
///   the first turn that fails ends the conversation there, since the turns after it build on
///   it. vLLM's filter is for a single first turn; the growing history is not limited, so pick
///   N for the model's context. JSONL files are not filtered (as vLLM's custom dataset).
/// - A conversation left with fewer than two turns is not a multi-turn session and is left out
///   (counted as filtered); none left is an error naming the file.
///
/// vLLM's ShareGPT benchmark sends only the first turn of each conversation (vllm PR 54783: prefix
/// reuse across turns is then 0%); here every turn is kept, so the prefix cache sees real reuse.
///
/// Sampling follows the single-turn dataset path: the conversations in an order shuffled with
/// the seed, kept until enough are kept. A request count (`-n`) counts requests, that is turns,
/// as for synthetic sessions: conversations are kept until their turns cover it; without one,
/// `PreparedPrompts.defaultSamples` conversations. Too few pass, and kept ones are drawn again.
public struct DatasetSessions: Sendable {
    /// The sessions' conversations, in the order sessions start them.
    public let conversations: [SessionConversation]
    /// Each conversation's first user turn (the request template the sessions are cut from), the
    /// tokenizer facts and the workload record (`turns` set) for the results.
    public let prompts: PreparedPrompts

    /// Reads, filters, samples and tokenizes `source` (a ShareGPT or JSONL file) for sessions of
    /// at most `turns` turns; `requests`: the run's request count (turns), if it has one;
    /// `outputTokens`: a `--max-tokens` for every turn instead of the answers' lengths.
    public static func prepare(_ source: PromptSource, for workload: OpenAIWorkload, turns: Int, requests: Int? = nil,
                               outputTokens override: TokenCount? = nil) throws(LoadgenError) -> DatasetSessions {
        let started = Clock.monotonicNanoseconds()
        let startCPU = ProcessResources.cpuMicroseconds()
        let isShareGPT: Bool
        let path: String
        switch source {
        case .shareGPT(let file):
            isShareGPT = true
            path = file
        case .jsonl(let file):
            isShareGPT = false
            path = file
        case .trace, .sharedPrefix:
            throw .invalidPlan("multi-turn sessions replay conversations: a ShareGPT or JSONL dataset, not \(source.name)")
        }
        guard workload.endpoint == .chat else { throw .invalidPlan("multi-turn sessions need chat requests (not --completions)") }
        let read: (conversations: [Conversation], hash: String)
        do throws(DatasetError) {
            let file = try DatasetBytes(path: path)
            read = (isShareGPT ? try ShareGPTFile.read(file, allTurns: true) : try JSONLinesFile.read(file), file.hash)
        } catch {
            throw .dataset(error)
        }
        var counter = try PromptTokenCounter(workload.exactPrompts, model: workload.model)
        var record = WorkloadRecord(source: source.name)
        record.path = path
        record.fileHash = read.hash
        record.entries = read.conversations.count
        record.seed = workload.seed
        record.turns = turns
        // The same shuffle as the single-turn path, so the same seed starts from the same entries.
        var generator = SeededGenerator(seed: workload.seed ^ 0x5348_4152_4547_5054)
        var order = Array(read.conversations.indices)
        order.shuffle(using: &generator)
        let wantedTurns = requests
        let wantedConversations = requests == nil ? PreparedPrompts.defaultSamples : nil
        var kept: [SessionConversation] = []
        var keptTurns = 0
        for index in order {
            if let wantedTurns, keptTurns >= wantedTurns { break }
            if let wantedConversations, kept.count >= wantedConversations { break }
            let conversation = try session(read.conversations[index], turns: turns, filtered: isShareGPT, counter: &counter,
                                           override: override, generator: &generator)
            guard let conversation else {
                record.filtered += 1
                continue
            }
            kept.append(conversation)
            keptTurns += conversation.turns.count
        }
        guard !kept.isEmpty else {
            let filter = isShareGPT ? " after vLLM's length filter on each turn (user text \(PreparedPrompts.ShareGPTFilter.minimumTokens) to "
                + "\(PreparedPrompts.ShareGPTFilter.maximumPromptTokens) tokens, answer at least \(PreparedPrompts.ShareGPTFilter.minimumTokens), "
                + "together at most \(PreparedPrompts.ShareGPTFilter.maximumTotalTokens))" : ""
            throw .dataset(DatasetError(path: path, problem: "no multi-turn conversation (at least two user turns, each answered)\(filter) "
                + "among the \(read.conversations.count) read"))
        }
        record.distinctSamples = kept.count
        let distinct = kept.count
        while wantedTurns.map({ keptTurns < $0 }) ?? (kept.count < wantedConversations!) {
            let again = kept[Int(generator.next() % UInt64(distinct))]
            kept.append(again)
            keptTurns += again.turns.count
        }
        record.samples = kept.count
        record.sampledTurns = keptTurns
        try counter.measureChatTemplate(on: kept[0].turns[0].user)
        let firstTurns = kept.map { conversation in
            PreparedPrompt(content: .text(conversation.turns[0].user), inputTokens: conversation.turns[0].userTokens,
                           outputTokens: conversation.turns[0].maxTokens ?? 1)
        }
        record.preparationSeconds = Double(Clock.monotonicNanoseconds() - started) / 1e9
        let endCPU = ProcessResources.cpuMicroseconds()
        record.preparationCPUSeconds = Double(endCPU.user + endCPU.system - startCPU.user - startCPU.system) / 1e6
        return DatasetSessions(conversations: kept, prompts: PreparedPrompts(prompts: firstTurns, record: record, facts: counter.facts))
    }

    /// The session of `conversation` (at most `turns` turns), or nil when it has fewer than two.
    private static func session(_ conversation: Conversation, turns: Int, filtered: Bool, counter: inout PromptTokenCounter,
                                override: TokenCount?, generator: inout SeededGenerator) throws(LoadgenError) -> SessionConversation? {
        let messages = conversation.messages
        guard let firstUser = messages.firstIndex(where: { $0.role == "user" }) else { return nil }
        let opening = messages[..<firstUser].filter { $0.role == "system" || $0.role == "developer" }
        var session = SessionConversation(opening: opening, turns: [])
        var at = firstUser
        while at < messages.count, session.turns.count < turns, messages[at].role == "user" {
            let user = messages[at].content
            let answer: String? = at + 1 < messages.count && messages[at + 1].role == "assistant" ? messages[at + 1].content : nil
            // A user message followed by anything but an answer ends the turns; the last one
            // without an answer is a turn when its length is known otherwise.
            if answer == nil, at + 1 < messages.count { break }
            let userTokens = try counter.count(user, addSpecialTokens: session.turns.isEmpty)
            let maxTokens: Int
            if let override {
                maxTokens = override.draw(&generator)
            } else if let answer {
                maxTokens = try counter.count(answer, addSpecialTokens: false)
            } else if let given = conversation.outputTokens {
                maxTokens = given
            } else {
                break
            }
            if filtered {
                // vLLM's filter counts a prompt with the tokens added to every sequence.
                let promptTokens = session.turns.isEmpty ? userTokens : userTokens + counter.specialTokens
                guard PreparedPrompts.ShareGPTFilter.accepts(promptTokens: promptTokens, outputTokens: maxTokens,
                                                            checksOutput: override == nil) else { break }
            }
            // A length of 0 (an empty answer) would be refused by the server: at least 1.
            session.turns.append(SessionTurn(user: user, userTokens: userTokens, maxTokens: max(maxTokens, 1)))
            at += answer == nil ? 1 : 2
        }
        return session.turns.count >= 2 ? session : nil
    }
}
