import Testing
@testable import Loadgen

/// Sampling datasets as vLLM does, exact counts, shared prefixes, and the templates they become.
@Suite("Prepared prompts")
struct PreparedPromptsTests {
    @Test("ShareGPT sampling: the first user turn, the answer's tokens, vLLM's filter, repeatable with the seed")
    func shareGPTSampling() throws {
        let workload = try WorkloadFixtures.workload()
        let source = PromptSource.shareGPT(path: WorkloadFixtures.path("sharegpt-small.json"))
        let prepared = try PreparedPrompts.prepare(source, for: workload, samples: 3)
        #expect(prepared.prompts.count == 3)
        #expect(prepared.record.entries == 5)
        #expect(prepared.record.samples == 3)
        #expect(prepared.record.fileHash == "5e473ef792f30e17", "bench/datasets/hash.py computes the same")
        var encoder = TokenEncoder(try TokenizerFixtures.tokenizer("gpt2"))
        for prompt in prepared.prompts {
            guard case .text(let text) = prompt.content else { Issue.record("a ShareGPT prompt is text"); continue }
            #expect(prompt.inputTokens == encoder.count(text), "gpt2 adds no special tokens")
            #expect(prompt.inputTokens >= 4 && prompt.outputTokens >= 4 && prompt.inputTokens + prompt.outputTokens <= 2048)
            #expect(!text.hasPrefix("This conversation opens with the assistant"))
        }
        let again = try PreparedPrompts.prepare(source, for: workload, samples: 3)
        #expect(again.prompts == prepared.prompts)
        var other = workload
        other.seed = 99
        let reseeded = try PreparedPrompts.prepare(source, for: other, samples: 4)
        #expect(Set(reseeded.prompts.map(\.inputTokens)) == Set(try PreparedPrompts.prepare(source, for: workload, samples: 4).prompts.map(\.inputTokens)),
                "the same four pass the filter whatever the order")
    }

    @Test("ShareGPT: 'Hi' is too short for vLLM's filter; asking for more prompts than pass repeats them")
    func shareGPTFilterAndOversampling() throws {
        let workload = try WorkloadFixtures.workload()
        let prepared = try PreparedPrompts.prepare(.shareGPT(path: WorkloadFixtures.path("sharegpt-small.json")), for: workload, samples: 10)
        #expect(prepared.record.filtered == 1)
        #expect(prepared.record.distinctSamples == 4)
        #expect(prepared.prompts.count == 10)
        #expect(!prepared.prompts.contains { $0.content == .text("Hi") })
    }

    @Test("--max-tokens overrides the dataset's output lengths (and then outputs are not filtered)")
    func outputOverride() throws {
        let workload = try WorkloadFixtures.workload()
        let prepared = try PreparedPrompts.prepare(.jsonl(path: WorkloadFixtures.path("prompts.jsonl")), for: workload, samples: 4,
                                                   outputTokens: .fixed(3))
        #expect(prepared.prompts.allSatisfy { $0.outputTokens == 3 })
        let own = try PreparedPrompts.prepare(.jsonl(path: WorkloadFixtures.path("prompts.jsonl")), for: workload, samples: 4)
        #expect(Set(own.prompts.map(\.outputTokens)) == [10, 1520, 32, 5])
    }

    @Test("JSONL messages are sent as chat messages up to the last user turn")
    func jsonlMessages() throws {
        let prepared = try PreparedPrompts.prepare(.jsonl(path: WorkloadFixtures.path("prompts.jsonl")), for: try WorkloadFixtures.workload(), samples: 4)
        let chat = try #require(prepared.prompts.first { if case .messages = $0.content { true } else { false } })
        #expect(chat.content == .messages([ChatMessage(role: "system", content: "You are brief."), ChatMessage(role: "user", content: "Name three rivers.")]))
        let templates = try WorkloadFixtures.workload().preparedTemplates(prepared, host: "h", headers: [], pathPrefix: "")
        let body = String(decoding: templates[prepared.prompts.firstIndex(of: chat)!].bytes, as: UTF8.self)
        #expect(body.contains(#""messages":[{"role":"system","content":"You are brief."},{"role":"user","content":"Name three rivers."}],"max_tokens":32"#))
    }

    @Test("a JSONL line without output_tokens and no --max-tokens is an error naming the line")
    func jsonlNeedsOutputTokens() throws {
        let path = WorkloadFixtures.scratch("{\"prompt\": \"a b c d e f\"}\n", name: "no-output.jsonl")
        defer { WorkloadFixtures.remove(path) }
        #expect(throws: LoadgenError.dataset(DatasetError(path: path, location: "line 1", problem: "no 'output_tokens', and no --max-tokens to use instead"))) {
            try PreparedPrompts.prepare(.jsonl(path: path), for: try WorkloadFixtures.workload(), samples: 1)
        }
    }

    @Test("nothing left after vLLM's filter is an error, not an empty run")
    func emptyAfterFiltering() throws {
        let path = WorkloadFixtures.scratch("[{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", \"value\": \"Yo\"}]}]",
                                            name: "short.json")
        defer { WorkloadFixtures.remove(path) }
        #expect {
            try PreparedPrompts.prepare(.shareGPT(path: path), for: try WorkloadFixtures.workload(), samples: 5)
        } throws: { error in
            guard case .dataset(let problem) = error as? LoadgenError else { return false }
            return problem.path == path && problem.problem.hasPrefix("no conversation passed vLLM's length filter")
        }
    }

    @Test("the same hash ids give byte-identical prefixes, of exactly their tokens, in every tokenizer family",
          arguments: ["gpt2", "llama3", "qwen2", "tinyllama", "llama2", "mistral", "metaspace"])
    func traceBlocksAreSharedExactly(tokenizer: String) throws {
        let workload = try WorkloadFixtures.workload(tokenizer: tokenizer)
        let prepared = try PreparedPrompts.prepare(.trace(path: WorkloadFixtures.path("trace-small.jsonl"), speed: 1, blockTokens: 64), for: workload)
        let texts = prepared.prompts.map { prompt -> String in
            if case .text(let text) = prompt.content { return text }
            return ""
        }
        var encoder = TokenEncoder(try TokenizerFixtures.tokenizer(tokenizer))
        let special = try TokenizerFixtures.tokenizer(tokenizer).specialTokensAddedPerSequence
        // Requests 0, 1 and 4 start with ids 46, 47: their first two blocks are the same bytes.
        let twoBlocks = try #require(Self.prefix(of: texts[0], tokens: 128, encoder: &encoder))
        #expect(texts[1].hasPrefix(twoBlocks))
        #expect(texts[4].hasPrefix(twoBlocks))
        // Request 2 shares only id 46; request 3 (id 51) shares nothing.
        let oneBlock = try #require(Self.prefix(of: texts[0], tokens: 64, encoder: &encoder))
        #expect(texts[2].hasPrefix(oneBlock))
        #expect(!texts[2].hasPrefix(twoBlocks))
        #expect(!texts[3].hasPrefix(oneBlock))
        for (prompt, text) in zip(prepared.prompts, texts) {
            #expect(encoder.count(text) + special == prompt.inputTokens, "a prompt of blocks has exactly its input_length")
        }
        #expect(prepared.sendTimes == [0, 0.005, 0.010, 0.010, 0.0275])
    }

    @Test("a tokenizer that puts its own \"▁\" before the text (Llama 2's Prepend) gets blocks whose first word is bare",
          arguments: [("llama2", true), ("mistral", false), ("metaspace", false), ("gpt2", false), ("llama3", false)])
    func firstWordBareOnlyWhereNeeded(tokenizer: String, bare: Bool) throws {
        var counter = PromptTokenCounter(tokenizer: try TokenizerFixtures.tokenizer(tokenizer), name: tokenizer)
        let blocks = try BlockText(counter: &counter, salt: 3)
        #expect(blocks.firstWordBare == bare)
        let first = blocks.text(id: 5, space: BlockText.traceSpace, tokens: 20, startsPrompt: true)
        let later = blocks.text(id: 5, space: BlockText.traceSpace, tokens: 20, startsPrompt: false)
        #expect(first == (bare ? String(later.dropFirst()) : later))
        #expect(try counter.count(first + later, addSpecialTokens: false) == 40)
    }

    /// The text of the first `tokens` words (blocks are words of one token each).
    private static func prefix(of text: String, tokens: Int, encoder: inout TokenEncoder) -> String? {
        var count = 0
        var end = text.startIndex
        for index in text.indices.dropFirst() where text[index] == " " {
            count += 1
            if count == tokens {
                end = index
                break
            }
        }
        guard count == tokens else { return nil }
        let prefix = String(text[..<end])
        return encoder.count(prefix) == tokens ? prefix : nil
    }

    @Test("a trace replayed at speed 4 sends at a quarter of its timestamps")
    func traceSpeed() throws {
        let prepared = try PreparedPrompts.prepare(.trace(path: WorkloadFixtures.path("trace-small.jsonl"), speed: 4, blockTokens: 16),
                                                   for: try WorkloadFixtures.workload())
        let expected = [0, 5, 10, 10, 27.5].map { $0 / 1000 / 4 }
        for (time, wanted) in zip(try #require(prepared.sendTimes), expected) { #expect(abs(time - wanted) < 1e-12) }
        #expect(prepared.record.traceSpeed == 4)
    }

    @Test("shared prefixes: K prefixes of exactly N tokens, in turn, each request with a suffix of its own",
          arguments: ["gpt2", "llama3", "tinyllama", "llama2", "mistral", "metaspace"])
    func sharedPrefixes(tokenizer: String) throws {
        var workload = try WorkloadFixtures.workload(tokenizer: tokenizer)
        workload.inputTokens = .fixed(24)
        workload.outputTokens = .fixed(8)
        let prepared = try PreparedPrompts.prepare(.sharedPrefix(prefixTokens: 100, prefixes: 3), for: workload, samples: 9)
        #expect(prepared.prompts.count == 9)
        var encoder = TokenEncoder(try TokenizerFixtures.tokenizer(tokenizer))
        let special = try TokenizerFixtures.tokenizer(tokenizer).specialTokensAddedPerSequence
        let texts = prepared.prompts.map { prompt -> String in
            if case .text(let text) = prompt.content { return text }
            return ""
        }
        let prefixes = try (0..<3).map { try #require(Self.prefix(of: texts[$0], tokens: 100, encoder: &encoder)) }
        #expect(Set(prefixes).count == 3)
        for (index, text) in texts.enumerated() {
            #expect(text.hasPrefix(prefixes[index % 3]))
            #expect(encoder.count(text) + special == 124)
            #expect(prepared.prompts[index].inputTokens == 124 && prepared.prompts[index].outputTokens == 8)
        }
        #expect(Set(texts).count == 9, "every suffix is its own")
    }

    @Test("templates send a dataset's text as it is, to chat or completions, with the file's output length")
    func templatesCarryTheText() throws {
        var workload = try WorkloadFixtures.workload(endpoint: .completions)
        workload.stream = true
        #expect(throws: LoadgenError.self, "chat messages cannot go to /v1/completions") {
            try PreparedPrompts.prepare(.jsonl(path: WorkloadFixtures.path("prompts.jsonl")), for: workload, samples: 4)
        }
        let prepared = try PreparedPrompts.prepare(.jsonl(path: WorkloadFixtures.path("prompts.jsonl")), for: try WorkloadFixtures.workload(), samples: 4)
        let plain = prepared.prompts.filter { if case .text = $0.content { true } else { false } }
        #expect(throws: LoadgenError.self) { try workload.preparedTemplates(prepared, host: "h", headers: [], pathPrefix: "") }
        let completions = PreparedPrompts(prompts: plain, record: prepared.record, facts: prepared.facts)
        let templates = try workload.preparedTemplates(completions, host: "h", headers: [], pathPrefix: "")
        #expect(templates.count == 3)
        let first = String(decoding: templates[0].bytes, as: UTF8.self)
        #expect(first.hasPrefix("POST /v1/completions HTTP/1.1\r\n"))
        guard case .text(let text) = plain[0].content else { return }
        #expect(first.contains(#","prompt":"# + JSONValue.string(text).serialized() + ",\"max_tokens\":\(plain[0].outputTokens),\"stream\":true"))
        #expect(templates.allSatisfy { $0.counterOffset == nil })
    }

    @Test("a dataset counted by the server's /tokenize: the server then counts exactly what the results expect")
    func serverCountedDataset() throws {
        let server = try ScriptedTokenizerServer()
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "toy")
        workload.exactPrompts = ExactPrompts(source: .server(ServerTokenizer(target: plan.target), required: true), seed: 0)
        workload.prepared = try PreparedPrompts.prepare(.shareGPT(path: WorkloadFixtures.path("sharegpt-small.json")), for: workload, samples: 4)
        #expect(workload.prepared?.facts.chatTemplateTokens == ScriptedTokenizerServer.templateTokens, "measured on the first prompt")
        plan.workload = workload
        plan.concurrency = 2
        plan.threads = 1
        plan.stop = .requests(4)
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 4, "errors: \(result.failures.byClass)")
        #expect(result.promptTokenMethod == .server)
        let expected = result.requestedPromptTokens - UInt64(4 * ScriptedTokenizerServer.specialTokens) + UInt64(4 * ScriptedTokenizerServer.templateTokens)
        #expect(result.promptTokens == expected, "requested \(result.requestedPromptTokens)")
        #expect(RunReport.PromptCheck(result).ratio == 1)
    }

    @Test("prompt texts are escaped in templates exactly as JSONValue writes them", arguments: [
        "plain", "quote \" and backslash \\", "lines\nand\r\ttabs", "controls \u{01}\u{1f}\u{7f}", "é 日本語 🚀", "", "\\\"\n",
    ])
    func escapingMatchesJSONValue(text: String) {
        var bytes: [UInt8] = []
        OpenAIWorkload.appendJSONString(text, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == JSONValue.string(text).serialized())
    }
}
