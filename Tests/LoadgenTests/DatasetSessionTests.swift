import Foundation
import Testing
@testable import Loadgen

/// Multi-turn sessions replaying a dataset's conversations (`DatasetSessions`): which turns a
/// conversation gives, their lengths, sampling, the error when none is left, and the requests a
/// session sends (against `SessionServer`, which checks every assistant message is its own answer).
@Suite("Dataset sessions", .serialized)
struct DatasetSessionTests {
    private let shareGPT = PromptSource.shareGPT(path: WorkloadFixtures.path("sharegpt-sessions.json"))
    private let jsonl = PromptSource.jsonl(path: WorkloadFixtures.path("sessions.jsonl"))

    private func tokens(_ text: String) throws -> Int {
        var encoder = TokenEncoder(try TokenizerFixtures.tokenizer("gpt2"))
        return encoder.count(text)
    }

    @Test("ShareGPT: each conversation's user turns in order, max_tokens from the answers, the system prompt kept, broken ones left out")
    func shareGPTTurns() throws {
        let replay = try DatasetSessions.prepare(shareGPT, for: try WorkloadFixtures.workload(), turns: 8, requests: 100)
        let record = replay.prompts.record
        #expect(record.entries == 5)
        #expect(record.distinctSamples == 3, "s1, s2 and s5; s3 has one turn, s4 none")
        #expect(record.filtered == 2)
        #expect(record.turns == 8)
        #expect(record.samples == replay.conversations.count)
        #expect(record.sampledTurns == replay.conversations.reduce(0) { $0 + $1.turns.count })
        #expect(try #require(record.sampledTurns) >= 100, "conversations are drawn until their turns cover -n")
        let byFirst = Dictionary(replay.conversations.map { ($0.turns[0].user, $0) }) { first, _ in first }
        #expect(byFirst.count == 3)

        let geography = try #require(byFirst["Which river runs through Paris, and where does it reach the sea?"])
        #expect(geography.opening == [ChatMessage(role: "system", content: "You are a patient \"geography\" tutor.")])
        #expect(geography.turns.map(\.user) == ["Which river runs through Paris, and where does it reach the sea?",
                                                "How long is it, roughly?\nGive the figure in kilometres.",
                                                "And which other capital cities stand on a river of that length?"])
        #expect(geography.turns.map(\.maxTokens) == [
            try tokens("The Seine runs through Paris and reaches the English Channel at Le Havre."),
            try tokens("About 777 kilometres from its source on the Langres plateau to the sea."),
            try tokens("Few do: the Thames in London is shorter, at 346 kilometres, and the Tiber in Rome is 406 kilometres long, so none match it exactly."),
        ])
        #expect(geography.turns.map(\.userTokens) == (try geography.turns.map { try tokens($0.user) }), "gpt2 adds no special tokens")

        // "Ok" is 1 token, below vLLM's 4: the story ends after its second turn.
        let story = try #require(byFirst["Tell me a short story about a lighthouse keeper and a storm."])
        #expect(story.turns.count == 2)
        #expect(story.opening.isEmpty)
        // The assistant's opening answers nothing: dropped, never sent.
        let colours = try #require(byFirst["What are the three primary colours of light, as a list?"])
        #expect(colours.opening.isEmpty)
        #expect(colours.turns.count == 2)
    }

    @Test("--turns N caps every conversation at N turns; --max-tokens replaces the answers' lengths")
    func capAndOverride() throws {
        let capped = try DatasetSessions.prepare(shareGPT, for: try WorkloadFixtures.workload(), turns: 2, requests: 6, outputTokens: .fixed(9))
        #expect(capped.conversations.allSatisfy { $0.turns.count == 2 })
        #expect(capped.conversations.allSatisfy { $0.turns.allSatisfy { $0.maxTokens == 9 } })
        let again = try DatasetSessions.prepare(shareGPT, for: try WorkloadFixtures.workload(), turns: 2, requests: 6, outputTokens: .fixed(9))
        #expect(again.conversations == capped.conversations, "the same seed samples the same conversations")
    }

    @Test("JSONL messages: system opening, answered turns, a last question with the line's output_tokens; one-turn lines left out")
    func jsonlTurns() throws {
        let replay = try DatasetSessions.prepare(jsonl, for: try WorkloadFixtures.workload(), turns: 8, requests: 50)
        #expect(replay.prompts.record.entries == 4)
        #expect(replay.prompts.record.distinctSamples == 2)
        #expect(replay.prompts.record.filtered == 2, "the plain prompt, and the line whose second question has no length")
        let byFirst = Dictionary(replay.conversations.map { ($0.turns[0].user, $0) }) { first, _ in first }
        let brief = try #require(byFirst["What does a load generator measure?"])
        #expect(brief.opening == [ChatMessage(role: "system", content: "You answer in one sentence.")])
        #expect(brief.turns.map(\.user) == ["What does a load generator measure?", "Why does the think time matter?", "Sum it up in five words."])
        #expect(brief.turns.map(\.maxTokens) == [
            try tokens("It measures how fast and how reliably a server answers requests under load."),
            try tokens("It sets how long a user waits between turns, so the server sees realistic gaps."),
            7,
        ])
        let primes = try #require(byFirst["Name a prime number larger than ten, please."])
        #expect(primes.turns.map(\.maxTokens) == [try tokens("Eleven is the first prime number after ten."), try tokens("Thirteen comes next.")])
    }

    @Test("a file with no multi-turn conversation left is one error naming the file")
    func noneLeft() throws {
        let path = WorkloadFixtures.scratch("""
            [{"conversations": [{"from": "human", "value": "Only one exchange in this conversation."}, {"from": "gpt", "value": "So it is no session."}]},
             {"conversations": [{"from": "human", "value": "A first turn long enough to pass."}, {"from": "gpt", "value": "An answer long enough."},
                                {"from": "human", "value": "Ok"}, {"from": "gpt", "value": "The second turn is too short for the filter."}]}]
            """, name: "single-turns.json")
        defer { WorkloadFixtures.remove(path) }
        #expect {
            try DatasetSessions.prepare(.shareGPT(path: path), for: try WorkloadFixtures.workload(), turns: 4, requests: 10)
        } throws: { error in
            guard case .dataset(let problem) = error as? LoadgenError else { return false }
            return problem.path == path && problem.problem.hasPrefix("no multi-turn conversation") && problem.problem.hasSuffix("among the 2 read")
                && !problem.description.contains("\n")
        }
    }

    @Test("a 3-turn dataset session sends each turn with the earlier user turns and the server's own answers, max_tokens per turn")
    func replayAgainstServer() throws {
        let server = try SessionServer(stream: true)
        defer { server.stop() }
        var workload = try WorkloadFixtures.workload()
        workload.stream = true
        let replay = try DatasetSessions.prepare(shareGPT, for: workload, turns: 3, requests: 7)
        workload.prepared = replay.prompts
        workload.sessions = MultiTurnSessions(scripted: replay.conversations, turns: 3)
        var plan = LoadPlan(target: try HTTPTarget(url: server.url))
        plan.workload = workload
        plan.concurrency = 1
        plan.threads = 1
        plan.stop = .requests(7)
        plan.requestTimeoutSeconds = 20
        let result = try LoadRun.run(plan)
        #expect(server.allProblems.isEmpty, "\(server.allProblems.prefix(3))")
        #expect(result.requests == 7)
        #expect(result.succeeded == 7, "\(result.failures.byClass)")
        #expect(result.countsAddUp)
        let sessions = try #require(result.sessions)
        #expect(sessions.started == 3 && sessions.completed == 3 && sessions.addUp, "\(sessions)")

        // The geography conversation: its system prompt heads every turn; turn 2 is user 1, the
        // server's answer 1, user 2; turn 3 all of that, answer 2 and user 3.
        let geography = try #require(replay.conversations.first { !$0.opening.isEmpty })
        let sent = server.allRequests.filter { $0.messages.first?["role"] == "system" }.sorted { $0.messages.count < $1.messages.count }
        #expect(sent.map(\.messages.count) == [2, 4, 6])
        guard sent.count == 3 else { return }
        let users = geography.turns.map(\.user)
        #expect(sent[1].messages.map { $0["role"]! } == ["system", "user", "assistant", "user"])
        #expect(sent[1].messages[1]["content"] == users[0] && sent[1].messages[3]["content"] == users[1])
        #expect(sent[2].messages.map { $0["content"]! } == [geography.opening[0].content, users[0], sent[1].messages[2]["content"]!, users[1],
                                                            sent[2].messages[4]["content"]!, users[2]])
        #expect(sent[2].messages[2]["content"]!.hasPrefix("answer "), "the server's answer, not the file's")
        #expect(sent.map(\.maxTokens) == geography.turns.map(\.maxTokens))
        #expect(!server.allRequests.contains { request in request.messages.contains { $0["content"]?.hasPrefix("The Seine") == true } })

        // Per turn: 3 sessions start, all have a second turn, only geography a third.
        #expect(result.turns.map(\.requests) == [3, 3, 1])
        #expect(result.turns.map(\.succeeded) == [3, 3, 1])
        let asked = replay.conversations.map { $0.turns.compactMap(\.maxTokens) }
        #expect(result.turns[2].requestedOutputTokens == UInt64(geography.turns[2].maxTokens!))
        #expect(result.requestedOutputTokens == UInt64(asked.flatMap { $0 }.reduce(0, +)))
        #expect(result.turns[1].requestedUserTokens == UInt64(replay.conversations.map { $0.turns[1].userTokens }.reduce(0, +)))
        #expect(result.turns.map(\.promptTokens) == [40, 100, 60], "10 per message: the system prompt is one of geography's")
        #expect(replay.prompts.record.samples == 3 && replay.prompts.record.sampledTurns == 7)
    }
}

@Suite("loadgen run --turns --dataset", .serialized)
struct DatasetSessionCommandTests {
    @Test("a ShareGPT replay against echo-server: per-turn max_tokens are answered, the record names the file, turns and samples")
    func replayJSON() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", server.url, "--model", "echo-model", "--tokenizer", "estimate", "--turns", "3", "--think-time", "10ms",
            "--dataset", "sharegpt:" + WorkloadFixtures.path("sharegpt-sessions.json"), "-c", "1", "-t", "1", "-n", "7", "--stream", "--json",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        #expect(json["requests"] as? Int == 7)
        #expect(json["succeeded"] as? Int == 7)
        let dataset = try #require(json["dataset"] as? [String: Any])
        #expect(dataset["source"] as? String == "sharegpt")
        #expect(dataset["turns"] as? Int == 3)
        #expect(dataset["samples"] as? Int == 3 && dataset["distinct_samples"] as? Int == 3 && dataset["sampled_turns"] as? Int == 7, "\(dataset)")
        #expect(dataset["filtered"] as? Int == 2)
        #expect((dataset["file_hash"] as? String)?.count == 16)
        let sessions = try #require(json["sessions"] as? [String: Any])
        #expect(sessions["started"] as? Int == 3 && sessions["completed"] as? Int == 3, "\(sessions)")
        let turns = try #require(sessions["turns"] as? [[String: Any]])
        #expect(turns.map { $0["requests"] as? Int } == [3, 3, 1])
        // echo-server answers max_tokens tokens: the server's output per turn is what each turn asked.
        for turn in turns {
            #expect(turn["completion_tokens"] as? Int == turn["requested_output_tokens"] as? Int, "\(turn)")
            #expect((turn["requested_user_tokens"] as? Int ?? 0) > 0)
        }
        let prompts = turns.compactMap { $0["mean_prompt_tokens"] as? Double }
        #expect(prompts.count == 3 && prompts[0] < prompts[1] && prompts[1] < prompts[2], "the history grows: \(prompts)")
    }

    @Test("--turns with a trace, shared prefixes, or a file without multi-turn conversations exits 2 with one line", arguments: [
        ["--trace", WorkloadFixtures.path("trace-small.jsonl")],
        ["--shared-prefix-tokens", "100", "--prefixes", "2", "-n", "4"],
        ["--dataset", "jsonl:" + WorkloadFixtures.path("prompts.jsonl"), "-n", "4"],
    ])
    func refused(arguments: [String]) throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "echo-model", "--tokenizer", "estimate",
                                                                "--turns", "2", "--quiet"] + arguments)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        if arguments[0] == "--dataset" { #expect(run.stderr.contains("prompts.jsonl: no multi-turn conversation"), "\(run.stderr)") }
    }
}
