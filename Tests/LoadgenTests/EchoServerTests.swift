import Foundation
import Testing

/// The bundled echo-server: routes, OpenAI-shaped answers, refusals, and a clean stop.
@Suite("echo-server", .serialized)
struct EchoServerTests {
    private func request(_ method: String, _ path: String, body: String = "", extra: String = "") -> [UInt8] {
        Array("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)".utf8)
    }

    private func jsonBody(_ response: String) throws -> [String: Any] {
        let parts = response.components(separatedBy: "\r\n\r\n")
        let body = try #require(parts.count >= 2 ? parts[1] : nil)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    @Test("the first stdout line is exactly http://HOST:PORT")
    func addressLine() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        #expect(server.url == "http://127.0.0.1:\(server.port)")
    }

    @Test("chat completions echo the model and report usage from the request")
    func chatCompletion() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let body = #"{"model":"my-model","messages":[{"role":"user","content":"hello"}],"max_tokens":42}"#
        let (response, _) = RawHTTPClient.exchange(port: server.port, request("POST", "/v1/chat/completions", body: body), expectBytes: 200, timeoutSeconds: 1)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        let json = try jsonBody(response)
        #expect(json["model"] as? String == "my-model")
        #expect(json["object"] as? String == "chat.completion")
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == 42)
        #expect(usage["prompt_tokens"] as? Int == body.utf8.count / 4)
        let choices = try #require(json["choices"] as? [[String: Any]])
        #expect(((choices.first?["message"] as? [String: Any])?["content"] as? String)?.isEmpty == false)
    }

    @Test("completions default to 16 tokens and answer text")
    func completion() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let (response, _) = RawHTTPClient.exchange(port: server.port, request("POST", "/v1/completions", body: #"{"model":"m","prompt":"abc"}"#), expectBytes: 200, timeoutSeconds: 1)
        let json = try jsonBody(response)
        #expect(json["object"] as? String == "text_completion")
        #expect((json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 16)
    }

    @Test("health and the model list answer 200; other paths 404", arguments: [
        ("GET", "/health", "HTTP/1.1 200 OK"),
        ("GET", "/v1/models", "HTTP/1.1 200 OK"),
        ("GET", "/nope", "HTTP/1.1 404 Not Found"),
        ("DELETE", "/v1/chat/completions", "HTTP/1.1 404 Not Found"),
    ])
    func routes(method: String, path: String, status: String) throws {
        let server = try EchoServerProcess(arguments: ["--model", "listed-model"])
        defer { server.stop() }
        let (response, _) = RawHTTPClient.exchange(port: server.port, request(method, path), expectBytes: 60, timeoutSeconds: 1)
        #expect(response.hasPrefix(status + "\r\n"))
        if path == "/v1/models" { #expect(response.contains(#""id":"listed-model""#)) }
    }

    @Test("a body over the cap gets 413 and the connection closes")
    func bodyTooLarge() throws {
        let server = try EchoServerProcess(arguments: ["--max-body-bytes", "100"])
        defer { server.stop() }
        let head = Array("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".utf8)
        let (response, closed) = RawHTTPClient.exchange(port: server.port, head)
        #expect(response.hasPrefix("HTTP/1.1 413 "))
        #expect(closed)
    }

    @Test("a malformed request gets 400 and the connection closes")
    func malformed() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let (response, closed) = RawHTTPClient.exchange(port: server.port, Array("this is not http\r\n\r\n".utf8))
        #expect(response.hasPrefix("HTTP/1.1 400 "))
        #expect(closed)
    }

    @Test("pipelined requests are answered in order on one connection")
    func pipelined() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let both = request("GET", "/health") + request("GET", "/nope")
        let (response, _) = RawHTTPClient.exchange(port: server.port, both, expectBytes: 150, timeoutSeconds: 1)
        let first = try #require(response.range(of: "200 OK"))
        let second = try #require(response.range(of: "404 Not Found"))
        #expect(first.lowerBound < second.lowerBound)
    }

    @Test("SIGTERM stops it promptly with exit status 0")
    func stopsOnSigterm() throws {
        let server = try EchoServerProcess()
        let started = Date()
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(started) < 10, "it stops on the signal, not after some timeout")
    }

    @Test("bad flags exit 2")
    func badFlags() throws {
        let run = try CommandRunner.run(BuiltProducts.echoServer, ["--port", "notaport"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--port"))
    }
}
