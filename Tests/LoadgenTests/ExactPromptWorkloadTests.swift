import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// Prompts of exactly N tokens through the workload path (issue 14, section 2): templates built
/// with a tokenizer or the server's /tokenize, the request number patched in, the run's nonce.
@Suite("Exact prompts in workloads", .serialized)
struct ExactPromptWorkloadTests {
    /// The prompt text of a serialized request (its one message's content, or its prompt).
    private func promptText(_ bytes: [UInt8]) throws -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        let body = try #require(text.components(separatedBy: "\r\n\r\n").dropFirst().first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        if let prompt = json["prompt"] as? String { return prompt }
        let messages = try #require(json["messages"] as? [[String: Any]])
        return try #require(messages.first?["content"] as? String)
    }

    /// The template's bytes with request `number` patched in, as `RequestNumber` sends them.
    private func patched(_ template: RequestTemplate, number: Int) throws -> [UInt8] {
        let offset = try #require(template.counterOffset)
        var request = RequestNumber()
        request.set(number)
        var bytes = template.bytes
        let sent = withUnsafeBytes(of: request) { Array($0.prefix(PromptHeader.numberSymbols)) }
        bytes.replaceSubrange(offset..<(offset + PromptHeader.numberSymbols), with: sent)
        return bytes
    }

    @Test("with a tokenizer every template's text has exactly the requested tokens less the special ones, whatever number is patched in",
          arguments: ["tinyllama", "gpt2", "llama3", "qwen2", "llama2", "mistral"])
    func exactThroughTemplates(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .uniform(20...400)
        workload.exactPrompts = ExactPrompts(source: .tokenizer(tokenizer, name: fixture), seed: 3)
        workload.nonce = 123_456
        let built = try workload.requests(host: "h", headers: [], requestCount: 12)
        #expect(built.facts.method == .tokenizer)
        #expect(built.nonce == PromptHeader.nonceText(123_456))
        let special = tokenizer.specialTokensAddedPerSequence
        #expect(built.facts.specialTokens == special)
        var encoder = TokenEncoder(tokenizer, cacheEntries: 1024)
        for template in built.templates {
            for number in [0, 1, 9, 10, 25, 26, 12_345, 987_654_321, Int(PromptHeader.numberValues) - 1] {
                let text = try promptText(try patched(template, number: number))
                #expect(text.hasPrefix(PromptHeader.text(nonce: 123_456, number: UInt64(number))), "\(text.prefix(20))")
                #expect(encoder.count(text) == template.inputTokens - special,
                        "\(fixture): request \(number) asked \(template.inputTokens), text has \(encoder.count(text)) tokens")
            }
        }
    }

    @Test("on the wire every request of an exact-prompt run has its own header and exactly N tokens")
    func exactOnTheWire() throws {
        let answer = #"{"choices":[{"text":"x"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n" + answer, close: false))
        defer { server.stop() }
        let tokenizer = try TokenizerFixtures.tokenizer("tinyllama")
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "m")
        workload.endpoint = .completions
        workload.inputTokens = .fixed(64)
        workload.exactPrompts = ExactPrompts(source: .tokenizer(tokenizer, name: "tinyllama"), seed: 1)
        plan.workload = workload
        plan.concurrency = 3
        plan.threads = 2
        plan.stop = .requests(24)
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 24, "errors: \(result.failures.byClass)")
        let prompts = try server.received.map { try promptText(Array($0.utf8)) }
        #expect(prompts.count == 24)
        #expect(Set(prompts).count == 24, "every request differs")
        var encoder = TokenEncoder(tokenizer, cacheEntries: 1024)
        #expect(prompts.allSatisfy { encoder.count($0) == 64 }, "\(prompts.map { encoder.count($0) })")
        #expect(result.promptTokenMethod == .tokenizer)
        #expect(result.promptTokenSource == "tokenizer tinyllama")
        #expect(result.promptTemplateTokens == 0, "a completion gets no template; this tokenizer adds no BOS")
    }

    @Test("without a tokenizer the server's /tokenize and /detokenize build exact prompts, the chat template measured on top",
          arguments: [OpenAIWorkload.Endpoint.chat, .completions])
    func calibratedByTheServer(endpoint: OpenAIWorkload.Endpoint) throws {
        let server = try ScriptedTokenizerServer()
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "toy")
        workload.endpoint = endpoint
        workload.inputTokens = .uniform(60...90)
        workload.exactPrompts = ExactPrompts(source: .server(ServerTokenizer(target: plan.target), required: true), seed: 9)
        plan.workload = workload
        plan.concurrency = 2
        plan.threads = 1
        plan.stop = .requests(10)
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 10, "errors: \(result.failures.byClass)")
        #expect(result.promptTokenMethod == .server)
        #expect(result.promptSpecialTokens == ScriptedTokenizerServer.specialTokens, "measured: add_special_tokens adds one")
        let added = endpoint == .chat ? ScriptedTokenizerServer.templateTokens : ScriptedTokenizerServer.specialTokens
        #expect(result.promptTemplateTokens == added, "the chat template as /tokenize counts it, or the BOS")
        // The server counted requested - special + added for every request: exact.
        let expected = result.requestedPromptTokens - UInt64(10 * ScriptedTokenizerServer.specialTokens) + UInt64(10 * added)
        #expect(result.promptTokens == expected)
        let check = RunReport.PromptCheck(result)
        #expect(check.agrees && check.ratio == 1)
        let texts = try server.received.filter { $0.hasPrefix("POST /v1/") }.map { try promptText(Array($0.utf8)) }
        #expect(texts.count == 10 && Set(texts).count == 10)
        // Each text has its request's length less the BOS, as the server's tokenizer counts it.
        #expect(texts.allSatisfy { (59...89).contains(ScriptedTokenizerServer.count($0)) }, "\(texts.map(ScriptedTokenizerServer.count))")
    }

    @Test("a server that does not answer /tokenize means the estimate, or an error when the server's tokenizer was asked for")
    func serverWithoutTokenizer() throws {
        let server = try ScriptedTokenizerServer(answersTokenize: false)
        defer { server.stop() }
        let target = try HTTPTarget(url: server.url)
        let optional = ExactPrompts(source: .server(ServerTokenizer(target: target), required: false), seed: 0)
        let facts = try optional.resolve(model: "toy")
        #expect(facts.method == .estimate)
        #expect(facts.source.contains("404"), "\(facts.source)")
        let required = ExactPrompts(source: .server(ServerTokenizer(target: target), required: true), seed: 0)
        #expect(throws: LoadgenError.self) { try required.resolve(model: "toy") }
    }

    @Test("a prompt too short for the header is refused with the reason, not sent inexact")
    func tooShortForTheHeader() throws {
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .fixed(10)
        workload.exactPrompts = ExactPrompts(source: .tokenizer(try TokenizerFixtures.tokenizer("gpt2"), name: "gpt2"), seed: 0)
        #expect {
            try workload.requests(host: "h", headers: [], requestCount: 1)
        } throws: { error in
            (error as? LoadgenError)?.description.contains("at least \(ExactPrompts.minimumTokens)") == true
        }
    }

    @Test("a later run with the same lengths reuses the texts built before it (sweep levels, bench tests)")
    func textsAreKept() throws {
        let server = try ScriptedTokenizerServer()
        defer { server.stop() }
        let prompts = ExactPrompts(source: .server(ServerTokenizer(target: try HTTPTarget(url: server.url)), required: true), seed: 0)
        let first = try prompts.text(inputTokens: 50, model: "toy", endpoint: .completions)
        let calls = server.received.count
        let second = try prompts.text(inputTokens: 50, model: "toy", endpoint: .completions)
        #expect(first == second)
        #expect(server.received.count == calls, "no new /tokenize call")
    }

    @Test("how prompts were counted, the nonce, per-token ITL and chunk counts survive --json and a merge")
    func resultFieldsRoundTrip() throws {
        var result = RunResult()
        result.requests = 2
        result.succeeded = 2
        result.latency.record(nanoseconds: 5_000_000)
        result.latency.record(nanoseconds: 6_000_000)
        result.workloadKind = .openAIStreamed
        result.streamedResponses = 2
        result.requestedPromptTokens = 200
        result.promptTokens = 220
        result.promptTokenMethod = .server
        result.promptTokenSource = "POST /tokenize"
        result.promptNonce = "3a7k2b"
        result.promptSpecialTokens = 1
        result.promptTemplateTokens = 11
        result.interTokenLatencyPerToken.record(nanoseconds: 1_000_000)
        result.tokenChunks = 9
        result.multiTokenChunks = 3
        let json = try JSONParser.parse(RunReport.json(result).serialized())
        #expect(json["prompt_token_ratio"]?.doubleValue == 1, "220 counted against 100 - 1 + 11 expected, per request")
        let decoded = try RunReportDecoder.result(from: json)
        #expect(decoded.promptTokenMethod == .server && decoded.promptNonce == "3a7k2b" && decoded.promptTokenSource == "POST /tokenize")
        #expect(decoded.promptSpecialTokens == 1 && decoded.promptTemplateTokens == 11)
        #expect(decoded.interTokenLatencyPerToken == result.interTokenLatencyPerToken)
        #expect(decoded.tokenChunks == 9 && decoded.multiTokenChunks == 3)
        var other = decoded
        other.startedAtWallSeconds = 1
        other.endedAtWallSeconds = 2
        let merged = try RunMerge([decoded, other]).result
        #expect(merged.promptTokenMethod == .server && merged.tokenChunks == 18 && merged.interTokenLatencyPerToken.count == 2)
    }

    // MARK: The nonce

    @Test("without a nonce every run draws its own; a set nonce (--seed) repeats the prompts exactly")
    func nonceDiffersUnlessFixed() throws {
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .fixed(40)
        let nonces = try (0..<5).map { _ in try workload.requests(host: "h", headers: [], requestCount: 1).nonce }
        #expect(Set(nonces).count == 5, "random nonces: \(nonces)")
        workload.nonce = OpenAIWorkload.nonce(seed: 7)
        let first = try workload.requests(host: "h", headers: [], requestCount: 1)
        let again = try workload.requests(host: "h", headers: [], requestCount: 1)
        #expect(first.nonce == again.nonce && first.templates == again.templates)
        #expect(OpenAIWorkload.nonce(seed: 7) != OpenAIWorkload.nonce(seed: 8))
        #expect(first.templates[0].bytes != (try workload.derivingNonce(1).requests(host: "h", headers: [], requestCount: 1)).templates[0].bytes)
    }

    @Test("runs of a series get their own nonce from a fixed one, the same each time; a random one stays random")
    func derivedNonces() {
        var workload = OpenAIWorkload(model: "m")
        #expect(workload.derivingNonce(3).nonce == nil)
        workload.nonce = 42
        let derived = (0..<50).map { workload.derivingNonce($0).nonce! }
        #expect(Set(derived).count == 50)
        #expect(derived == (0..<50).map { workload.derivingNonce($0).nonce! })
        #expect(derived.allSatisfy { $0 < PromptHeader.nonceValues })
    }

    @Test("sweep levels and runs each get a nonce of their own under --seed")
    func sweepLevelsDiffer() throws {
        var base = OpenAIWorkload(model: "m")
        base.nonce = 5
        let plan = SweepPlan(target: try HTTPTarget(url: "http://127.0.0.1:1"), workload: base)
        let nonces = [1000, 1001, 1002, 2001].map { SweepRunner.levelPlan(plan, concurrency: 1, salt: $0).workload!.nonce! }
        #expect(Set(nonces).count == 4)
    }

    @Test("loadgen run prints and stores a random nonce, and --seed fixes it", .timeLimit(.minutes(2)))
    func nonceFromTheCommandLine() throws {
        let server = try ScriptedTokenizerServer(answersTokenize: false)
        defer { server.stop() }
        func nonce(_ extra: [String]) throws -> String? {
            let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "toy", "-n", "2", "-c", "1",
                                                                    "--input-tokens", "30", "--max-tokens", "1", "--json"] + extra)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            return try run.json()["prompt_nonce"] as? String
        }
        let seeded = try [nonce(["--seed", "3"]), nonce(["--seed", "3"])]
        #expect(seeded[0] != nil && seeded[0] == seeded[1])
        #expect(seeded[0] == OpenAIWorkload.nonceText(OpenAIWorkload.nonce(seed: 3)))
        let random = try [nonce([]), nonce([])]
        #expect(random[0] != nil && random[0] != random[1])
        let text = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "toy", "-n", "2", "-c", "1",
                                                                 "--input-tokens", "30", "--max-tokens", "1", "--seed", "3"])
        #expect(text.stdout.contains("nonce \(seeded[0]!)"), "\(text.stdout)")
    }

    // MARK: vLLM or not

    @Test("streams ask a vLLM server (its models owned_by vllm) for continuous usage, and no other server")
    func continuousUsageForVLLM() throws {
        for owner in ["vllm", "sglang"] {
            let server = try ScriptedTokenizerServer(owner: owner)
            defer { server.stop() }
            let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-n", "1", "-c", "1",
                                                                    "--input-tokens", "30", "--max-tokens", "1", "--stream", "--quiet"])
            let chat = try #require(server.received.first { $0.hasPrefix("POST /v1/chat/completions") }, "stderr: \(run.stderr)")
            #expect(chat.contains(#""continuous_usage_stats":true"#) == (owner == "vllm"), "\(owner)")
            #expect(chat.contains(#""model":"toy""#), "the model from /v1/models")
        }
        #expect(ModelList.firstOwner(in: Array(#"{"object":"list","data":[{"id":"m","owned_by":"vllm"}]}"#.utf8)) == "vllm")
        #expect(ModelList.firstOwner(in: Array(#"{"data":[]}"#.utf8)) == nil)
    }
}
