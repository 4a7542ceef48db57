import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// The engine against the bundled echo-server and scripted misbehaving servers on loopback.
/// Every run is bounded in requests and time.
@Suite("Closed-loop engine", .serialized)
struct ClosedLoopEngineTests {
    private func chatPlan(_ server: EchoServerProcess, concurrency: Int, requests: Int, maxTokens: Int = 7) throws -> LoadPlan {
        var plan = try LoadPlan(url: server.url + "/v1/chat/completions")
        plan.method = "POST"
        plan.headers = [HTTPHeader("Content-Type", "application/json")]
        plan.body = Array(#"{"model":"m","messages":[{"role":"user","content":"hello there"}],"max_tokens":\#(maxTokens)}"#.utf8)
        plan.concurrency = concurrency
        plan.stop = .requests(requests)
        plan.threads = 2
        plan.requestTimeoutSeconds = 10
        return plan
    }

    @Test("exactly N requests are sent and all succeed over keep-alive connections")
    func exactRequestCount() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let result = try LoadRun.run(try chatPlan(server, concurrency: 10, requests: 503))
        #expect(result.requests == 503)
        #expect(result.succeeded == 503)
        #expect(result.failed == 0)
        #expect(result.connectionsOpened == 10)
        #expect(result.latency.count == 503)
        #expect(result.countsAddUp)
    }

    @Test("usage tokens in responses are summed into total and output throughput")
    func tokensAreSummed() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let plan = try chatPlan(server, concurrency: 4, requests: 100, maxTokens: 7)
        let result = try LoadRun.run(plan)
        // echo-server: completion_tokens = max_tokens, prompt_tokens = body bytes / 4.
        #expect(result.completionTokens == 700)
        #expect(result.promptTokens == UInt64(plan.body.count / 4) * 100)
        #expect(result.throughputOutput > 0)
        #expect(abs(result.throughputTotal * result.durationSeconds - Double(result.promptTokens + result.completionTokens)) < 1)
    }

    @Test("a duration run stops starting requests at the end and accounts for every one")
    func durationRun() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try chatPlan(server, concurrency: 20, requests: 1)
        plan.stop = .duration(seconds: 0.5)
        let result = try LoadRun.run(plan)
        #expect(result.requests > 100)
        #expect(result.countsAddUp)
        #expect(result.durationSeconds > 0.4 && result.durationSeconds < 2.0)
        #expect(result.connectionsOpened == 20)
    }

    @Test("warmup requests are excluded from the measured counts")
    func warmupExcluded() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try chatPlan(server, concurrency: 4, requests: 1)
        plan.stop = .duration(seconds: 0.3)
        plan.warmupSeconds = 0.2
        let result = try LoadRun.run(plan)
        #expect(result.warmupRequests > 0)
        #expect(result.requests > 0)
        #expect(result.countsAddUp)
        #expect(result.durationSeconds < 1.0)
    }

    @Test("a server that closes after every response forces a reconnect per request")
    func serverClosedConnectionsReconnect() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try chatPlan(server, concurrency: 3, requests: 60)
        plan.headers.append(HTTPHeader("Connection", "close"))
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 60)
        #expect(result.connectionsOpened == 60)
        #expect(result.countsAddUp)
    }

    @Test("a refused port counts every request as a connect error and the run still ends")
    func refusedConnectionsAreConnectErrors() throws {
        let port = ScriptedServer.closedPort()
        var plan = try LoadPlan(url: "http://127.0.0.1:\(port)/")
        plan.concurrency = 5
        plan.stop = .requests(50)
        plan.threads = 1
        let started = Date()
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 0)
        #expect(result.failures[.connect] == result.requests)
        #expect(result.requests >= 5)
        #expect(result.countsAddUp)
        #expect(result.firstConnectErrno == ECONNREFUSED)
        #expect(Date().timeIntervalSince(started) < 15, "refused connects end the run, with no timeout to wait for")
    }

    @Test("responses with status >= 400 are failures counted by status code")
    func httpErrorsByStatus() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url + "/no-such-path")
        plan.concurrency = 2
        plan.stop = .requests(20)
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 0)
        #expect(result.failures.count(status: 404) == 20)
        #expect(result.failures.byClass.first?.failure == .httpStatus(404))
        #expect(result.countsAddUp)
    }

    @Test("a server that never answers produces timeouts within the request timeout")
    func silentServerTimesOut() throws {
        let server = try ScriptedServer(.silent)
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 3
        plan.stop = .requests(3)
        plan.threads = 1
        plan.requestTimeoutSeconds = 0.3
        let started = Date()
        let result = try LoadRun.run(plan)
        #expect(result.failures[.timeout] == 3)
        #expect(result.countsAddUp)
        // 0.3 s of timeout, checked every 20 ms; the bound only has to tell it from a hang.
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a garbage status line is a malformed response with the parser's error kept")
    func garbageIsMalformed() throws {
        let server = try ScriptedServer(.reply("SMTP ready\r\n\r\n", close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 2
        plan.stop = .requests(10)
        plan.threads = 1
        let result = try LoadRun.run(plan)
        #expect(result.failures[.malformedResponse] == 10)
        #expect(result.firstMalformed != nil)
        #expect(result.countsAddUp)
    }

    @Test("a connection closed before the response completes is counted as closed")
    func closedMidBodyIsClosed() throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", close: true))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 2
        plan.stop = .requests(10)
        plan.threads = 1
        let result = try LoadRun.run(plan)
        #expect(result.failures[.connectionClosed] == 10)
        #expect(result.succeeded == 0)
        #expect(result.countsAddUp)
    }

    @Test("a close-delimited body completes at end of stream and succeeds")
    func closeDelimitedBodySucceeds() throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}", close: true))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 2
        plan.stop = .requests(10)
        plan.threads = 1
        let result = try LoadRun.run(plan)
        #expect(result.succeeded == 10)
        #expect(result.completionTokens == 20)
        #expect(result.promptTokens == 30)
        #expect(result.connectionsOpened == 10)
    }

    @Test("cancel() ends a long run promptly and counts in-flight requests as cancelled")
    func cancelCountsInFlight() throws {
        let server = try ScriptedServer(.silent)
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        plan.concurrency = 4
        plan.stop = .requests(4)
        plan.threads = 1
        let run = try LoadRun.start(plan)
        usleep(200_000)
        run.cancel()
        let result = try run.wait()
        #expect(result.failures[.cancelled] == 4)
        #expect(result.countsAddUp)
    }

    @Test("request shares split exactly across loops")
    func splitIsExact() {
        #expect(LoadRun.split(10, into: 3) == [4, 3, 3])
        #expect(LoadRun.split(1000, into: 2, weights: [3, 2]) == [600, 400])
        #expect(LoadRun.split(7, into: 2, weights: [1, 1]).reduce(0, +) == 7)
    }
}
