import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// A chat server for sessions: answers each request with a text of its own (quotes, a backslash,
/// a newline, a slash JSONSerialization escapes as `\/`, non-ASCII), plain or streamed in pieces,
/// and checks that each request carries, in order, the user turns and the exact answers it gave
/// to the same conversation before (after any system messages that open it). Counts prompt
/// tokens as 10 per message, so the per-turn prompt tokens are known, and keeps each request's
/// `max_tokens`.
final class SessionServer: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: String] = [:]
    private(set) var problems: [String] = []
    /// Every request's messages, and when it arrived.
    private(set) var requests: [(messages: [[String: String]], arrived: Date, maxTokens: Int?)] = []
    private var served = 0
    let stream: Bool
    /// Which turns (1 first) are answered 500.
    let failingTurns: Set<Int>
    let answerRepeats: Int
    private(set) var server: ScriptedServer!

    init(stream: Bool, failingTurns: Set<Int> = [], answerRepeats: Int = 1) throws {
        self.stream = stream
        self.failingTurns = failingTurns
        self.answerRepeats = answerRepeats
        server = try ScriptedServer(.respond { [unowned self] request in self.answer(request) })
    }

    var url: String { server.url }
    func stop() { server.stop() }

    var allRequests: [(messages: [[String: String]], arrived: Date, maxTokens: Int?)] { lock.withLock { requests } }
    var allProblems: [String] { lock.withLock { problems } }

    private func key(_ messages: [[String: String]]) -> String {
        messages.map { ($0["role"] ?? "?") + ":" + ($0["content"] ?? "") }.joined(separator: "\u{1}")
    }

    private func answer(_ request: String) -> String {
        let body = request.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let raw = json["messages"] as? [[String: Any]] else {
            lock.withLock { problems.append("not a chat request: \(body.prefix(200))") }
            return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
        }
        let messages = raw.map { message in message.compactMapValues { $0 as? String } }
        return lock.withLock { () -> String in
            requests.append((messages, Date(), json["max_tokens"] as? Int))
            let opening = messages.prefix { $0["role"] == "system" }.count
            let turn = (messages.count - opening + 1) / 2
            if (messages.count - opening) % 2 == 0 { problems.append("a request of \(messages.count) messages") }
            for (index, message) in messages.enumerated() where index >= opening {
                let role = (index - opening) % 2 == 0 ? "user" : "assistant"
                if message["role"] != role { problems.append("message \(index) has role \(message["role"] ?? "none"), not \(role)") }
                if role == "assistant" {
                    let expected = answers[key(Array(messages[0..<index]))]
                    if expected == nil { problems.append("turn \(turn): assistant message \(index) answers nothing this server was asked") }
                    if let expected, message["content"] != expected {
                        problems.append("turn \(turn): assistant message \(index) is \(message["content"] ?? "nil"), the answer was \(expected)")
                    }
                }
            }
            served += 1
            let text = String(repeating: "answer \(served): \"quoted\" back\\slash\nline / é ✓ ", count: answerRepeats)
            answers[key(messages)] = text
            if failingTurns.contains(turn) {
                let error = #"{"error":{"message":"turn refused","content":"not an answer"}}"#
                return "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: \(error.utf8.count)\r\n\r\n" + error
            }
            let prompt = messages.count * 10
            if !stream {
                let object: [String: Any] = [
                    "id": "x", "object": "chat.completion",
                    "choices": [["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": "length"]],
                    "usage": ["prompt_tokens": prompt, "completion_tokens": 5, "total_tokens": prompt + 5],
                ]
                let data = String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
                return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(data.utf8.count)\r\n\r\n" + data
            }
            // Streamed: the role chunk, the text in pieces of 7 characters, the usage, [DONE].
            func event(_ object: [String: Any]) -> String {
                "data: " + String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n\n"
            }
            var events = event(["choices": [["index": 0, "delta": ["role": "assistant", "content": ""]]]])
            var rest = Substring(text)
            while !rest.isEmpty {
                events += event(["choices": [["index": 0, "delta": ["content": String(rest.prefix(7))]]]])
                rest = rest.dropFirst(7)
            }
            events += event(["choices": [], "usage": ["prompt_tokens": prompt, "completion_tokens": 5]])
            events += "data: [DONE]\n\n"
            return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(events.utf8.count)\r\n\r\n" + events
        }
    }
}

@Suite("Multi-turn sessions", .serialized)
struct MultiTurnSessionTests {
    private func plan(_ server: SessionServer, turns: Int, requests: Int, concurrency: Int,
                      think: Double = 0, conversations: [[String]]? = nil) throws -> LoadPlan {
        var plan = LoadPlan(target: try HTTPTarget(url: server.url))
        var workload = OpenAIWorkload(model: "m")
        workload.inputTokens = .fixed(40)
        workload.outputTokens = .fixed(16)
        workload.stream = server.stream
        workload.sessions = MultiTurnSessions(turns: turns, thinkTimeSeconds: think, conversations: conversations)
        plan.workload = workload
        plan.concurrency = concurrency
        plan.threads = 1
        plan.stop = .requests(requests)
        plan.requestTimeoutSeconds = 20
        return plan
    }

    @Test("each turn carries the earlier user turns and the server's exact answers, plain and streamed", arguments: [false, true])
    func historyGrows(stream: Bool) throws {
        let server = try SessionServer(stream: stream)
        defer { server.stop() }
        let result = try LoadRun.run(try plan(server, turns: 3, requests: 12, concurrency: 2))
        #expect(server.allProblems.isEmpty, "\(server.allProblems.prefix(3))")
        #expect(result.requests == 12)
        #expect(result.succeeded == 12, "\(result.failures.byClass)")
        #expect(result.countsAddUp)
        let sizes = server.allRequests.map(\.messages.count)
        #expect(sizes.filter { $0 == 1 }.count == 4 && sizes.filter { $0 == 3 }.count == 4 && sizes.filter { $0 == 5 }.count == 4, "\(sizes)")
        // The synthetic user turns are one text with each request's own number in its header.
        let users = server.allRequests.flatMap { $0.messages.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element["content"] ?? "" } }
        #expect(Set(users.map { $0.dropFirst(PromptHeader.width) }).count == 1)
        let lastTurns = server.allRequests.filter { $0.messages.count == 5 }
        #expect(lastTurns.allSatisfy { Set([$0.messages[0]["content"]!, $0.messages[2]["content"]!, $0.messages[4]["content"]!]).count == 3 },
                "each user turn of a session has a number of its own")
        // Per turn: 4 requests each, the server's prompt tokens (10 per message) growing.
        #expect(result.turns.map(\.requests) == [4, 4, 4])
        #expect(result.turns.map(\.succeeded) == [4, 4, 4])
        #expect(result.turns.map(\.meanPromptTokens) == [10, 30, 50])
        #expect(result.turns.map(\.latency.count) == [4, 4, 4])
        #expect(result.turns.map(\.timeToFirstToken.count) == (stream ? [4, 4, 4] : [0, 0, 0]))
        let sessions = try #require(result.sessions)
        #expect(sessions.started == 4 && sessions.completed == 4 && sessions.addUp, "\(sessions)")
    }

    @Test("the report's text has a row per turn and its JSON reads back the same per-turn figures")
    func reportsRoundTrip() throws {
        let server = try SessionServer(stream: true)
        defer { server.stop() }
        let result = try LoadRun.run(try plan(server, turns: 2, requests: 4, concurrency: 1))
        let text = RunReport.text(result, url: server.url, prefixCacheHitShare: 0.5)
        #expect(text.contains("sessions     2 started: 2 completed"), "\(text)")
        #expect(text.contains("TTFT p50"))
        #expect(text.contains("prefix cache: 50.0%"))
        let back = try RunReportDecoder.result(from: try JSONParser.parse(RunReport.json(result).serialized()))
        #expect(back.turns == result.turns)
        #expect(back.sessions == result.sessions)
    }

    @Test("a think time passes between a turn's answer and the next turn; sessions still overlap")
    func thinkTime() throws {
        let server = try SessionServer(stream: false)
        defer { server.stop() }
        let started = Date()
        let result = try LoadRun.run(try plan(server, turns: 3, requests: 6, concurrency: 2, think: 0.3))
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.succeeded == 6)
        // Two sessions at once: two think times in all, not four (generous bound for a busy machine).
        #expect(elapsed >= 0.6 && elapsed < 5, "\(elapsed)")
        let byConversation = Dictionary(grouping: server.allRequests) { $0.messages[0]["content"] ?? "" }
        #expect(byConversation.count == 2)
        for (_, requests) in byConversation {
            let times = requests.sorted { $0.messages.count < $1.messages.count }.map(\.arrived)
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= 0.29, "turns \(later.timeIntervalSince(earlier)) s apart")
            }
        }
    }

    @Test("a failed turn stops its session: the rest of its turns are never sent, and the counts add up")
    func failedTurnStopsSession() throws {
        let server = try SessionServer(stream: false, failingTurns: [2])
        defer { server.stop() }
        let result = try LoadRun.run(try plan(server, turns: 3, requests: 6, concurrency: 1))
        #expect(result.requests == 6)
        #expect(result.succeeded == 3)
        #expect(result.failures[.httpStatus(500)] == 3, "\(result.failures.byClass)")
        #expect(result.countsAddUp)
        #expect(!server.allRequests.contains { $0.messages.count > 3 }, "no third turn after a failed second")
        let sessions = try #require(result.sessions)
        #expect(sessions.started == 3 && sessions.stoppedByFailure == 3 && sessions.turnsNotSent == 3 && sessions.completed == 0, "\(sessions)")
        #expect(sessions.addUp)
        #expect(result.turns.map(\.requests) == [3, 3, 0])
        #expect(result.turns.map(\.succeeded) == [3, 0, 0])
    }

    @Test("an answer longer than its room fails as answer_too_long and stops the session")
    func answerTooLong() throws {
        let server = try SessionServer(stream: true, answerRepeats: 40)
        defer { server.stop() }
        var plan = try plan(server, turns: 2, requests: 2, concurrency: 1)
        plan.workload?.sessions?.answerBytesPerToken = 1
        let result = try LoadRun.run(plan)
        #expect(result.failures[.answerTooLong] == 2, "\(result.failures.byClass)")
        #expect(result.countsAddUp)
        let sessions = try #require(result.sessions)
        #expect(sessions.stoppedByFailure == 2 && sessions.turnsNotSent == 2 && sessions.addUp, "\(sessions)")
        #expect(server.allRequests.allSatisfy { $0.messages.count == 1 })
    }

    @Test("a request quota that ends mid-session cuts that session short")
    func quotaCutsShort() throws {
        let server = try SessionServer(stream: false)
        defer { server.stop() }
        let result = try LoadRun.run(try plan(server, turns: 3, requests: 5, concurrency: 1, think: 0.05))
        #expect(result.succeeded == 5)
        let sessions = try #require(result.sessions)
        #expect(sessions.started == 2 && sessions.completed == 1 && sessions.cutShort == 1 && sessions.addUp, "\(sessions)")
    }

    @Test("given conversations, the sessions send their user texts in order, escaped exactly")
    func conversationsFeedTheTurns() throws {
        let server = try SessionServer(stream: false)
        defer { server.stop() }
        let conversations = [["first \"one\"", "then\ttwo \\ é"], ["only turn"]]
        let result = try LoadRun.run(try plan(server, turns: 1, requests: 3, concurrency: 1, conversations: conversations))
        #expect(server.allProblems.isEmpty, "\(server.allProblems.prefix(3))")
        #expect(result.succeeded == 3)
        let users = server.allRequests.map { $0.messages.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element["content"] ?? "" } }
        #expect(users == [["first \"one\""], ["first \"one\"", "then\ttwo \\ é"], ["only turn"]], "\(users)")
        #expect(result.turns.map(\.requests) == [2, 1])
    }

    @Test("sessions are refused with an open loop, completions, or ranges of lengths")
    func refusedPlans() throws {
        var plan = LoadPlan(target: try HTTPTarget(url: "http://127.0.0.1:1/"))
        var workload = OpenAIWorkload(model: "m")
        workload.sessions = MultiTurnSessions(turns: 2)
        workload.endpoint = .completions
        plan.workload = workload
        #expect(throws: LoadgenError.self) { try plan.validate() }
        plan.workload?.endpoint = .chat
        plan.workload?.inputTokens = .uniform(10...20)
        #expect(throws: LoadgenError.self) { try plan.validate() }
        plan.workload?.inputTokens = .fixed(10)
        plan.arrivals = OpenLoopArrivals(rate: 10)
        #expect(throws: LoadgenError.self) { try plan.validate() }
        plan.arrivals = nil
        try plan.validate()
    }
}

@Suite("Answer text capture")
struct AnswerTextCaptureTests {
    private func capture(_ body: String, split: Int? = nil, limit: Int = 1 << 16) -> (text: String, ok: Bool) {
        let bytes = Array(body.utf8)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: limit, alignment: 8)
        defer { destination.deallocate() }
        var scanner = AnswerTextCapture()
        scanner.start(into: destination, limit: limit)
        var ok = true
        bytes.withUnsafeBytes { raw in
            let cut = split ?? raw.count
            ok = scanner.scan(UnsafeRawBufferPointer(rebasing: raw[0..<cut])) && ok
            ok = scanner.scan(UnsafeRawBufferPointer(rebasing: raw[cut...])) && ok
        }
        return (String(decoding: UnsafeRawBufferPointer(start: destination, count: scanner.count), as: UTF8.self), ok)
    }

    @Test("the content's escaped bytes are copied as they are, whatever the split")
    func escapedAtEverySplit() {
        let body = #"{"choices":[{"message":{"role":"assistant","reasoning_content":"not this","content":"say \"hi\" \\ \n \u00e9 \/"},"logprobs":{"content":[1]}}]}"#
        for split in 0...body.utf8.count {
            let (text, ok) = capture(body, split: split)
            #expect(ok)
            #expect(text == #"say \"hi\" \\ \n \u00e9 \/"#, "split at \(split): \(text)")
        }
    }

    @Test("a stream's delta contents concatenate; null content adds nothing")
    func streamConcatenates() {
        let body = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"a\\\"b\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":null}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\" : \"c\"}}]}\n\ndata: [DONE]\n\n"
        #expect(capture(body).text == #"a\"bc"#)
    }

    @Test("past its limit the capture stops and says so")
    func limit() {
        let (text, ok) = capture(#"{"content":"0123456789"}"#, limit: 4)
        #expect(!ok)
        #expect(text.utf8.count <= 4, "nothing is written past the limit: \(text)")
    }
}

@Suite("loadgen run --turns", .serialized)
struct MultiTurnCommandTests {
    @Test("--turns against echo-server: JSON per-turn prompt tokens grow, every session completes")
    func jsonPerTurn() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", server.url, "--model", "echo-model", "--tokenizer", "estimate", "--turns", "3", "--think-time", "10ms",
            "-c", "2", "-t", "1", "-n", "12", "--input-tokens", "40", "--max-tokens", "8", "--stream", "--json",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        #expect(json["succeeded"] as? Int == 12)
        let sessions = try #require(json["sessions"] as? [String: Any])
        #expect(sessions["started"] as? Int == 4)
        #expect(sessions["completed"] as? Int == 4)
        let turns = try #require(sessions["turns"] as? [[String: Any]])
        let prompts = turns.compactMap { $0["mean_prompt_tokens"] as? Double }
        #expect(prompts.count == 3 && prompts[0] < prompts[1] && prompts[1] < prompts[2], "\(prompts)")
        #expect(turns.allSatisfy { ($0["ttft_ms"] as? [String: Any])?["count"] as? Int == 4 })
    }

    @Test("session flags that cannot apply exit 2 with one line", arguments: [
        ["run", "--think-time", "1s"],
        ["run", "http://127.0.0.1:1/", "--turns", "2"],
        ["run", "--turns", "2", "--rate", "5"],
        ["run", "--turns", "0"],
    ])
    func refusedFlags(arguments: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}

@Suite("loadgen run --turns with server metrics", .serialized)
struct MultiTurnMetricsTests {
    @Test("the server's prefix-cache hit share is printed under the per-turn table")
    func prefixCacheShare() throws {
        // Each scrape counts 1,000 more queried tokens, 600 of them hits: 60% over any window.
        let metrics = try ScriptedMetricsServer { scrape in
            .metrics("# TYPE vllm:prefix_cache_queries_total counter\nvllm:prefix_cache_queries_total{model_name=\"echo-model\"} \(scrape * 1000)\n"
                + "# TYPE vllm:prefix_cache_hits_total counter\nvllm:prefix_cache_hits_total{model_name=\"echo-model\"} \(scrape * 600)\n")
        }
        defer { metrics.stop() }
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", server.url, "--model", "echo-model", "--tokenizer", "estimate", "--turns", "2", "-c", "2", "-n", "8",
            "--input-tokens", "40", "--max-tokens", "8", "--metrics-url", metrics.url, "--metrics-interval", "100ms",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("prefix cache: 60.0% of the prompt tokens the server looked up were cached"), "\(run.stdout)")
        let json = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", server.url, "--model", "echo-model", "--tokenizer", "estimate", "--turns", "2", "-c", "2", "-n", "8",
            "--input-tokens", "40", "--max-tokens", "8", "--metrics-url", metrics.url, "--metrics-interval", "100ms", "--json",
        ])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let sessions = try #require(try json.json()["sessions"] as? [String: Any])
        #expect(sessions["prefix_cache_hit_share"] as? Double == 0.6, "\(sessions)")
    }
}

@Suite("loadgen run --turns over https", .serialized)
struct MultiTurnHTTPSTests {
    @Test("sessions over TLS send the growing history through the session's writes")
    func historyOverTLS() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try EchoServerProcess(arguments: ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey])
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", "https://localhost:\(server.port)", "--cacert", certificates.caCertificate, "--model", "echo-model",
            "--tokenizer", "estimate", "--turns", "3", "-c", "2", "-t", "1", "-n", "12", "--input-tokens", "40", "--max-tokens", "8",
            "--stream", "--json",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        #expect(json["succeeded"] as? Int == 12)
        let sessions = try #require(json["sessions"] as? [String: Any])
        #expect(sessions["completed"] as? Int == 4)
        let turns = try #require(sessions["turns"] as? [[String: Any]])
        let prompts = turns.compactMap { $0["mean_prompt_tokens"] as? Double }
        #expect(prompts.count == 3 && prompts[0] < prompts[1] && prompts[1] < prompts[2], "\(prompts)")
    }
}
