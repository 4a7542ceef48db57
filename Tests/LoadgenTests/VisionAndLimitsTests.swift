import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// Vision requests, response size limits and the example bodies kept for error statuses.
@Suite("Vision, limits and error examples", .serialized)
struct VisionAndLimitsTests {
    private func json(_ template: RequestTemplate) throws -> [String: Any] {
        let text = String(decoding: template.bytes, as: UTF8.self)
        let body = try #require(text.components(separatedBy: "\r\n\r\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    @Test("base64 matches RFC 4648's test vectors")
    func base64Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors { #expect(Base64.encode(Array(plain.utf8)) == encoded, "\(plain)") }
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
    }

    @Test("an image file becomes a data: URL typed by its extension; unknown types are refused")
    func imageDataURL() throws {
        #expect(try OpenAIWorkload.dataURL(image: [1, 2, 3], fileName: "cat.PNG") == "data:image/png;base64,AQID")
        #expect(try OpenAIWorkload.dataURL(image: [255], fileName: "a/b.jpeg") == "data:image/jpeg;base64,/w==")
        #expect(throws: LoadgenError.self) { try OpenAIWorkload.dataURL(image: [1], fileName: "notes.txt") }
    }

    @Test("a vision request carries a text part then N image_url parts, cycling through the images")
    func visionBodyHasImageParts() throws {
        var workload = OpenAIWorkload(model: "vl")
        workload.imagesPerRequest = 2
        workload.imageURLs = ["http://i/1", "http://i/2", "http://i/3"]
        let templates = try workload.templates(host: "h", headers: [], requestCount: nil)
        #expect(templates.count == 3, "one template per starting image")
        var seen: [[String]] = []
        for template in templates {
            let messages = try #require(try json(template)["messages"] as? [[String: Any]])
            let content = try #require(messages.first?["content"] as? [[String: Any]])
            #expect(content.count == 3)
            #expect(content[0]["type"] as? String == "text")
            #expect((content[0]["text"] as? String)?.hasPrefix(PromptHeader.text(nonce: 0, number: 0)) == true, "the header, then the text")
            let urls = content.dropFirst().compactMap { ($0["image_url"] as? [String: Any])?["url"] as? String }
            #expect(content.dropFirst().allSatisfy { $0["type"] as? String == "image_url" })
            seen.append(urls)
        }
        #expect(seen == [["http://i/1", "http://i/2"], ["http://i/3", "http://i/1"], ["http://i/2", "http://i/3"]])
    }

    @Test("the default images are the seeds' three URLs, and images with completions are refused")
    func visionDefaultsAndRefusal() throws {
        var workload = OpenAIWorkload(model: "vl")
        workload.imagesPerRequest = 1
        #expect(workload.imageURLs.count == 3)
        #expect(workload.imageURLs.allSatisfy { $0.hasPrefix("https://images.unsplash.com/") })
        workload.endpoint = .completions
        #expect(throws: LoadgenError.self) { try workload.validate() }
    }

    @Test("vision requests reach the server with their image parts, and echo-server answers them")
    func visionOnTheWire() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-vision-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("dot.png")
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: image)
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--images", "3",
                                                                "--image-file", image.path, "-n", "20", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try run.json()["succeeded"] as? Int == 20)

        let answer = #"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        let scripted = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n" + answer, close: false))
        defer { scripted.stop() }
        var plan = try LoadPlan(url: scripted.url)
        var workload = OpenAIWorkload(model: "vl")
        workload.imagesPerRequest = 2
        workload.inputTokens = .fixed(10)
        plan.workload = workload
        plan.stop = .requests(4)
        plan.threads = 1
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 4, "errors: \(result.failures.byClass)")
        let bodies = scripted.received.joined()
        #expect(bodies.components(separatedBy: #"{"type":"image_url","image_url":{"url":"https://images.unsplash.com/"#).count - 1 == 8)
    }

    @Test("--images with --completions, or --image-url without --images, exits 2 with one line", arguments: [
        ["--images", "1", "--completions"], ["--image-url", "http://x/a.png"], ["--images", "1", "--image-file", "/nonexistent.png"],
    ])
    func visionFlagErrors(flags: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", "http://127.0.0.1:9", "--model", "m"] + flags)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("a response over --max-response-bytes fails as too_large and its connection is closed")
    func responseSizeLimit() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url + "/v1/chat/completions")
        plan.method = "POST"
        plan.body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":50}"#.utf8)
        plan.maxResponseBytes = 200
        plan.concurrency = 3
        plan.threads = 1
        plan.stop = .requests(30)
        let result = try LoadRun.run(plan)
        #expect(result.failures[.responseTooLarge] == 30)
        #expect(result.failures.byClass.map(\.failure.name) == ["too_large"])
        #expect(result.connectionsOpened == 30, "every oversized response costs its connection")
        #expect(result.countsAddUp)
        plan.maxResponseBytes = 64 << 20
        #expect(try LoadRun.run(plan).succeeded == 30)
    }

    /// RSS is read inside the loadgen process (its progress line before the run and its final
    /// line after), so tests running beside this one cannot disturb it.
    @Test("8 MiB answers, within the limit or over a 1 MiB one, leave loadgen's memory where it was",
          arguments: [["--max-response-bytes", "1M"], []])
    func largeAnswersKeepMemoryFlat(limit: [String]) throws {
        let body = String(repeating: "x", count: 8 << 20)
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body, close: false))
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url, "-n", "12", "-c", "2", "-t", "1", "--json",
                                                                "--progress-every", "100"] + limit, timeoutSeconds: 60)
        // Every answer over the limit: the run completed, but no request succeeded (exit 3).
        #expect(run.status == (limit.isEmpty ? 0 : 3), "stderr: \(run.stderr)")
        let json = try run.json()
        if limit.isEmpty {
            #expect(json["succeeded"] as? Int == 12)
        } else {
            #expect((json["errors"] as? [String: Any])?["too_large"] as? Int == 12, "\(json["errors"] ?? "none")")
        }
        func residentKiB(_ kind: String) -> Int? {
            run.stderr.split(separator: "\n").first { $0.hasPrefix(kind) }?
                .split(separator: " ").first { $0.hasPrefix("rss_kib=") }.flatMap { Int($0.dropFirst("rss_kib=".count)) }
        }
        let before = try #require(residentKiB("progress"))
        let after = try #require(residentKiB("final"))
        // 96 MiB went through; holding even half of one answer would add 4 MiB. Under a sanitizer
        // (bench/sanitize.sh) shadow memory and quarantine move RSS by more than that on their own.
        if ProcessInfo.processInfo.environment["LOADGEN_SANITIZER"] == nil {
            #expect(after - before < 4096, "RSS \(before) KiB before, \(after) KiB after")
        }
    }

    @Test("the first 200 bytes of one body per error status are kept for the summary")
    func errorExamplesAreKept() throws {
        let long = #"{"error":{"message":"overloaded "# + String(repeating: "x", count: 300) + #""}}"#
        let server = try ScriptedServer(.reply("HTTP/1.1 503 Service Unavailable\r\nContent-Length: \(long.utf8.count)\r\n\r\n" + long, close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 2
        plan.threads = 2
        plan.stop = .requests(10)
        plan.requestTimeoutSeconds = 5
        let result = try LoadRun.run(plan)
        #expect(result.failures.count(status: 503) == 10)
        #expect(result.errorExamples.count == 1, "one example per status, across loops")
        let example = try #require(result.errorExamples.first)
        #expect(example.status == 503)
        #expect(example.body.count == 200)
        #expect(example.printableBody.hasPrefix(#"{"error":{"message":"overloaded xxx"#))
        let text = RunReport.text(result, url: server.url)
        #expect(text.contains("http_503 body: {\"error\""))
        let json = RunReport.json(result).serialized()
        #expect(json.contains(#""error_examples":{"http_503":"{\"error\""#))
    }

    @Test("100,000-token prompts at concurrency 100 all succeed, with every prompt byte sent")
    func hundredThousandTokenPrompts() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "echo-model")
        workload.inputTokens = .fixed(100_000)
        workload.outputTokens = .fixed(8)
        plan.workload = workload
        plan.concurrency = 100
        plan.threads = 2
        plan.stop = .requests(200)
        plan.requestTimeoutSeconds = 60
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 200, "errors: \(result.failures.byClass)")
        #expect(result.bytesSent > 200 * 400_000, "each request carries its ~400 KB prompt")
        // echo-server reports body bytes / 4 as prompt tokens.
        #expect(result.promptTokens >= 200 * 100_000)
        #expect(result.completionTokens == 200 * 8)
    }

    @Test("a 2 MB answer and a 1 MB stream event are read in full, usage found after them")
    func largeResponsesAndEvents() throws {
        let content = String(repeating: "word ", count: 400_000)
        let answer = #"{"choices":[{"message":{"content":""# + content + #""}}],"usage":{"prompt_tokens":3,"completion_tokens":400000}}"#
        let plain = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n" + answer, close: false))
        defer { plain.stop() }
        var plan = try LoadPlan(url: plain.url)
        plan.workload = OpenAIWorkload(model: "m")
        plan.stop = .requests(5)
        plan.threads = 1
        plan.requestTimeoutSeconds = 20
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 5, "errors: \(result.failures.byClass)")
        #expect(result.completionTokens == 5 * 400_000)

        let event = #"data: {"choices":[{"delta":{"content":""# + String(repeating: "x", count: 1_000_000) + "\"}}]}\n\n"
        let usage = #"data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}"# + "\n\ndata: [DONE]\n\n"
        let stream = event + usage
        let streaming = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(stream.utf8.count)\r\n\r\n" + stream, close: false))
        defer { streaming.stop() }
        var streamPlan = try LoadPlan(url: streaming.url)
        var workload = OpenAIWorkload(model: "m")
        workload.stream = true
        streamPlan.workload = workload
        streamPlan.stop = .requests(3)
        streamPlan.threads = 1
        streamPlan.requestTimeoutSeconds = 20
        let streamed = try LoadRun.run(streamPlan)
        #expect(streamed.succeeded == 3, "errors: \(streamed.failures.byClass)")
        #expect(streamed.streamedResponses == 3)
        #expect(streamed.timeToFirstToken.count == 3)
    }
}
