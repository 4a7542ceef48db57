import Foundation
import Testing

/// `loadgen validate` end to end: small levels, files written, child echo-server reaped.
@Suite("loadgen validate command", .serialized)
struct ValidateCommandTests {
    private func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "loadgen-validate-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func isAlive(_ pid: Int32) -> Bool {
        // A reaped child leaves no /proc entry; a zombie would show state Z.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    private func resultFiles(in directory: String) throws -> (json: [String: Any], markdown: String, svgs: [String]) {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        let jsonName = try #require(files.first { $0.hasPrefix("validate_") && $0.hasSuffix(".json") })
        let markdownName = try #require(files.first { $0.hasPrefix("validate_") && $0.hasSuffix(".md") })
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + jsonName))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let markdown = try String(contentsOfFile: directory + "/" + markdownName, encoding: .utf8)
        return (json, markdown, files.filter { $0.hasSuffix(".svg") })
    }

    @Test("small levels write JSON, Markdown and two charts whose numbers agree with the table")
    func writesAgreeingFiles() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--levels", "4,8", "-d", "300ms", "--warmup", "100ms", "--output-dir", directory, "--quiet",
            "--echo-server", BuiltProducts.echoServer.path,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("| Concurrency | Requests/sec | Tokens/sec | p50 (ms) | p95 (ms) | p99 (ms) | Success Rate |"))
        #expect(run.stdout.contains("Headroom:"))
        let (json, markdown, svgs) = try resultFiles(in: directory)
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.count == 2)
        #expect(levels.map { $0["concurrency"] as? Int } == [4, 8])
        for level in levels {
            let requests = level["requests"] as? Int ?? -1
            #expect(requests >= 1000, "the minimum of 1,000 requests per level")
            #expect(level["succeeded"] as? Int == requests)
            let rate = level["requests_per_sec"] as? Double ?? 0
            // The terminal table shows the same rate, rounded and grouped.
            let shown = Int(rate.rounded()).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
            #expect(run.stdout.contains("| \(shown) |") || run.stdout.contains(" \(shown) |"), "rate \(shown) not in table")
        }
        let environment = try #require(json["environment"] as? [String: Any])
        #expect(environment["cores"] as? Int ?? 0 >= 1)
        #expect(environment["cpu_model"] is String)
        #expect(markdown.contains("![Client Throughput Capacity]"))
        #expect(markdown.contains("![Client Latency Profile]"))
        // The two charts and, since the started echo-server serves /metrics, the server's timeline.
        #expect(svgs.count == 3)
        #expect(svgs.contains { $0.hasSuffix("_server.svg") } && markdown.contains("## Server metrics"))
        for svg in svgs {
            let text = try String(contentsOfFile: directory + "/" + svg, encoding: .utf8)
            #expect(text.hasPrefix("<svg"))
            #expect(text.contains("<polyline"))
        }
        let echo = try #require(environment["echo_server"] as? [String: Any])
        let pid = try #require(echo["pid"] as? Int)
        #expect(!isAlive(Int32(pid)), "echo-server \(pid) was not reaped")
    }

    @Test("SIGINT (130) or SIGTERM (143) stops validate, saves what was measured and reaps the echo-server",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptSavesAndReaps(signal: Int32, status: Int32) throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--levels", "4,8,16", "-d", "20s", "--warmup", "0", "--output-dir", directory, "--quiet",
            "--echo-server", BuiltProducts.echoServer.path,
        ], timeoutSeconds: 30) { process in
            usleep(1_500_000)
            kill(process.processIdentifier, signal)
        }
        #expect(run.status == status)
        let (json, _, _) = try resultFiles(in: directory)
        #expect(json["interrupted"] as? Bool == true)
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.count == 1)
        let first = try #require(levels.first)
        let requests = first["requests"] as? Int ?? -1
        let succeeded = first["succeeded"] as? Int ?? -2
        let failed = first["failed"] as? Int ?? -3
        #expect(requests == succeeded + failed)
        let pid = try #require(((json["environment"] as? [String: Any])?["echo_server"] as? [String: Any])?["pid"] as? Int)
        #expect(!isAlive(Int32(pid)))
    }

    @Test("--url to a closed port fails with a clear message and exit 1")
    func closedURL() throws {
        let port = ScriptedServer.closedPort()
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--url", "http://127.0.0.1:\(port)", "--levels", "2", "-n", "10", "--quiet",
            "--output-dir", temporaryDirectory(),
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("could not connect"))
        #expect(run.stderr.contains("Connection refused"))
    }

    @Test("a missing echo-server binary is a one-line error, not a crash")
    func missingEchoServer() throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--echo-server", "/nonexistent/echo-server", "--levels", "2", "-n", "10", "--quiet",
            "--output-dir", temporaryDirectory(),
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot start echo-server"))
    }

    @Test("validate needs no echo-server binary: a lone copy of loadgen starts itself as the server")
    func loneLoadgenValidates() throws {
        // `swift run loadgen validate` on a fresh clone builds only loadgen: nothing beside it.
        let lone = temporaryDirectory()
        let directory = temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: lone)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let copy = URL(fileURLWithPath: lone + "/loadgen")
        try FileManager.default.copyItem(at: BuiltProducts.loadgen, to: copy)
        let run = try CommandRunner.run(copy, [
            "validate", "--levels", "4", "-d", "300ms", "--warmup", "0s", "--output-dir", directory, "--quiet",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Headroom:"))
        let (json, _, _) = try resultFiles(in: directory)
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.first?["succeeded"] as? Int ?? 0 >= 1000)
        let echo = try #require((json["environment"] as? [String: Any])?["echo_server"] as? [String: Any])
        #expect(echo["started_by_loadgen"] as? Bool == true)
        let pid = try #require(echo["pid"] as? Int)
        #expect(!isAlive(Int32(pid)), "the loadgen echo-server child \(pid) was not reaped")
    }

    @Test("an echo-server that exits at once is reported as exited, with its status, not as a 10 s wait")
    func exitedEchoServer() throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--echo-server", "/bin/false", "--levels", "2", "-n", "10", "--quiet",
            "--output-dir", temporaryDirectory(),
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("exited with status 1"), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("within 10 s"))
    }

    @Test("loadgen echo-server is the bundled server: it prints its address and answers /v1/models")
    func loadgenEchoServerSubcommand() throws {
        let process = Process()
        process.executableURL = BuiltProducts.loadgen
        process.arguments = ["echo-server", "--port", "0", "--model", "sub-model"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let address = try #require(line.split(separator: "\n").first.map(String.init))
        #expect(address.hasPrefix("http://127.0.0.1:"))
        let port = try #require(UInt16(address.split(separator: ":").last ?? ""))
        let exchange = RawHTTPClient.exchange(port: port, Array("GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        #expect(exchange.response.contains("sub-model"))
    }

    @Test("validate --url uses the URL's own path, and gives a base URL (none, / or /v1) the chat endpoint",
          arguments: [("/custom/path", "/custom/path"), ("", "/v1/chat/completions"), ("/v1", "/v1/chat/completions")])
    func urlPath(path: String, expected: String) throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: false))
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--url", "http://127.0.0.1:\(server.port)\(path)", "--levels", "1", "-n", "3", "--quiet", "--output-dir", directory,
            "--no-metrics",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let request = try #require(server.received.first)
        #expect(request.hasPrefix("POST \(expected) HTTP/1.1\r\n"), "\(request.prefix(60))")
    }
}
