import Foundation
import HTTPWire
import Testing
@testable import Loadgen

@Suite("OpenAI workload", .serialized)
struct OpenAIWorkloadTests {
    private func body(of template: RequestTemplate) throws -> [String: Any] {
        let text = String(decoding: template.bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return try #require(try JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any])
    }

    @Test("a chat body carries model, messages, max_tokens, stream options and extra members")
    func chatBody() throws {
        var workload = OpenAIWorkload(model: "m1")
        workload.stream = true
        workload.ignoreEOS = true
        workload.temperature = 0.5
        workload.extraBody = #"{"top_p": 0.9, "max_tokens": 7}"#
        let template = try workload.template(host: "h", headers: [], inputTokens: 100, outputTokens: 50)
        let json = try body(of: template)
        #expect(json["model"] as? String == "m1")
        #expect(json["stream"] as? Bool == true)
        #expect((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(json["ignore_eos"] as? Bool == true)
        #expect(json["temperature"] as? Double == 0.5)
        #expect(json["top_p"] as? Double == 0.9)
        // JSONSerialization keeps the last of duplicate keys, as vLLM's parser does: the extra body wins.
        #expect(json["max_tokens"] as? Int == 7)
        let messages = try #require(json["messages"] as? [[String: Any]])
        let content = try #require(messages.first?["content"] as? String)
        #expect(content.hasPrefix("x0a0a0a0a0a0a0a "), "the header: nonce (0 here) and request number, patched as sent")
        #expect(content.count == 400, "about 4 characters per token")
        let offset = try #require(template.counterOffset)
        #expect(String(decoding: template.bytes[(offset - 6)..<(offset + 8)], as: UTF8.self) == "0a0a0a0a0a0a0a", "the number's place")
        #expect(String(decoding: template.bytes, as: UTF8.self).hasPrefix("POST /v1/chat/completions HTTP/1.1\r\n"))
    }

    @Test("the fixed prompt reproduces the seeds' text exactly")
    func fixedPrompt() throws {
        var workload = OpenAIWorkload(model: "m")
        workload.endpoint = .completions
        workload.prompt = .fixed
        let template = try workload.template(host: "h", headers: [], inputTokens: 500, outputTokens: 100)
        let json = try body(of: template)
        #expect(json["prompt"] as? String == String(repeating: "Explain in detail: ", count: 125))
        #expect(template.counterOffset == nil)
        #expect(String(decoding: template.bytes, as: UTF8.self).hasPrefix("POST /v1/completions "))
    }

    @Test("length ranges are drawn per shape, deterministically under the seed")
    func rangesAreSeeded() throws {
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .uniform(100...200)
        workload.outputTokens = .uniform(10...20)
        workload.seed = 42
        let first = try workload.templates(host: "h", headers: [], requestCount: 50)
        let second = try workload.templates(host: "h", headers: [], requestCount: 50)
        #expect(first == second)
        #expect(first.count == 50)
        #expect(first.allSatisfy { (100...200).contains($0.inputTokens) && (10...20).contains($0.outputTokens) })
        #expect(Set(first.map(\.inputTokens)).count > 10)
        workload.seed = 43
        #expect(try workload.templates(host: "h", headers: [], requestCount: 50) != first)
    }

    @Test("a non-object or broken --extra-body is refused", arguments: ["[1]", "{\"a\":}", "top_p=1", "{\"a\":1"])
    func badExtraBody(text: String) {
        var workload = OpenAIWorkload(model: "m")
        workload.extraBody = text
        #expect(throws: LoadgenError.self) { try workload.validate() }
    }

    @Test("every request of a unique-prompt run carries its own request number")
    func uniqueNumbersOnTheWire() throws {
        let answer = #"{"choices":[{"text":"x"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        let reply = "HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n" + answer
        let server = try ScriptedServer(.reply(reply, close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .fixed(20)
        plan.workload = workload
        plan.concurrency = 3
        plan.threads = 2
        plan.stop = .requests(30)
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 30, "errors: \(result.failures.byClass)")
        // "x", the nonce's 6 symbols and the number's 8.
        let headers = server.received.compactMap { request -> String? in
            guard let range = request.range(of: #""content":"x"#) else { return nil }
            return String(request[range.upperBound...].prefix(PromptHeader.symbols))
        }
        #expect(headers.count == 30)
        #expect(Set(headers).count == 30, "request numbers repeat: \(headers)")
        // One nonce for the run (a random one: none was set), then the alternating number symbols.
        #expect(Set(headers.map { $0.prefix(PromptHeader.nonceSymbols) }).count == 1)
        #expect(headers.allSatisfy { header in
            header.utf8.enumerated().allSatisfy { position, byte in position % 2 == 0 ? (48...57).contains(byte) : (97...122).contains(byte) }
        })
        #expect(result.requestedPromptTokens == 600)
        #expect(result.promptNonce == String(headers[0].prefix(PromptHeader.nonceSymbols)))
        #expect(result.promptTokenMethod == .estimate)
    }

    @Test("HTTP 200 answers that are not OpenAI answers fail as invalid_json or empty", arguments: [
        (#"{"choices":[{"text":"x"}]"#, "invalid_json"),
        ("<html>oops</html>", "invalid_json"),
        (#"{"choices":[]}"#, "empty"),
        (#"{"choices":[{"text":""}],"usage":{"prompt_tokens":3,"completion_tokens":0}}"#, "empty"),
        (#"{"object":"list"}"#, "empty"),
    ])
    func contentFailures(body: String, expected: String) throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.workload = OpenAIWorkload(model: "m")
        plan.stop = .requests(5)
        plan.threads = 1
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 0)
        #expect(result.failures.byClass.map(\.failure.name) == [expected])
        #expect(result.countsAddUp)
    }

    @Test("the first model id is read from a /v1/models answer")
    func modelID() {
        let body = Array(#"{"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B","object":"model"},{"id":"other"}]}"#.utf8)
        #expect(ModelList.firstID(in: body) == "meta-llama/Llama-3.1-8B")
        #expect(ModelList.firstID(in: Array(#"{"data":[]}"#.utf8)) == nil)
    }

    @Test("run without --model asks /v1/models, and says so clearly when there is none")
    func modelDiscoveryFromCLI() throws {
        let server = try EchoServerProcess(arguments: ["--model", "served-model"])
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-n", "10", "-c", "2", "--max-tokens", "3", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try run.json()["completion_tokens"] as? Int == 30)
        let noModels = try ScriptedServer(.reply("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", close: false))
        defer { noModels.stop() }
        let failed = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", "http://127.0.0.1:\(noModels.port)", "-n", "1"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("give --model"))
    }

    @Test("OpenAI options with a URL, or --body without one, are refused with exit 2", arguments: [
        ["run", "http://127.0.0.1:1/", "--model", "m"],
        ["run", "--model", "m", "--body", "{}"],
        ["run", "--model", "m", "--input-tokens", "5:2"],
        ["run", "--model", "m", "--prompt", "random"],
        ["run", "--model", "m", "--extra-body", "[]"],
    ])
    func misplacedOptions(arguments: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments)
        #expect(run.status == 2, "stderr: \(run.stderr)")
    }
}

@Suite("JSON validator")
struct JSONValidatorTests {
    private func isValid(_ text: String, splitAt cut: Int? = nil) -> Bool {
        var validator = JSONValidator()
        let bytes = Array(text.utf8)
        let cut = min(cut ?? bytes.count, bytes.count)
        bytes[0..<cut].withUnsafeBytes { validator.feed($0) }
        bytes[cut...].withUnsafeBytes { validator.feed($0) }
        return validator.finish()
    }

    @Test("valid documents pass at every split", arguments: [
        #"{"a":[1,-2.5e+3,0.1,true,false,null,"x\"y\u00e9"],"b":{}}"#, "[]", "0", " \"s\" ", "[[[[]]]]", #"{"k":-0}"#,
    ])
    func valid(text: String) {
        for cut in 0...text.utf8.count { #expect(isValid(text, splitAt: cut), "split at \(cut)") }
    }

    @Test("broken documents fail at every split", arguments: [
        #"{"a":1"#, #"{"a" 1}"#, "[1,]", "{,}", "01", "1.", "-", "tru", "nul", #""\x""#, "[1] [2]", "{\"a\":1}}", "[}", "\"\u{01}\"", "",
    ])
    func invalid(text: String) {
        for cut in 0...text.utf8.count { #expect(!isValid(text, splitAt: cut), "split at \(cut)") }
    }
}
