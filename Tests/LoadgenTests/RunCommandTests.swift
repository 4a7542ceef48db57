import Foundation
import Testing

/// `loadgen run` end to end: the real binary against the real echo-server.
@Suite("loadgen run command", .serialized)
struct RunCommandTests {
    @Test("--json prints one object with every documented field and exact counts")
    func jsonOutput() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", server.url + "/v1/completions", "-n", "200", "-c", "5", "-t", "1", "--json",
            "--body", #"{"model":"m","prompt":"abcdabcdabcd","max_tokens":3}"#,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        #expect(json["requests"] as? Int == 200)
        #expect(json["succeeded"] as? Int == 200)
        #expect(json["failed"] as? Int == 0)
        #expect((json["errors"] as? [String: Any])?.isEmpty == true)
        #expect(json["connections_opened"] as? Int == 5)
        #expect(json["completion_tokens"] as? Int == 600)
        #expect((json["duration_sec"] as? Double ?? 0) > 0)
        #expect((json["requests_per_sec"] as? Double ?? 0) > 0)
        #expect((json["throughput_output"] as? Double ?? 0) > 0)
        #expect((json["throughput_total"] as? Double ?? 0) > (json["throughput_output"] as? Double ?? 0))
        let latency = try #require(json["latency_ms"] as? [String: Any])
        for key in ["min", "mean", "p50", "p90", "p95", "p99", "p999", "max"] {
            #expect(latency[key] is Double || latency[key] is Int, "latency_ms.\(key) missing")
        }
        let p50 = latency["p50"] as? Double ?? -1
        let p99 = latency["p99"] as? Double ?? -1
        let maximum = latency["max"] as? Double ?? -1
        #expect(p50 <= p99 && p99 <= maximum)
    }

    @Test("the readable summary names requests, latency and connections")
    func textSummary() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/health", "-n", "50", "-c", "2"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("50 started, 50 succeeded (100.0%), 0 failed"))
        #expect(run.stdout.contains("p99"))
        #expect(run.stdout.contains("2 opened"))
    }

    @Test("schemes other than http and https are refused with exit code 2 and one line")
    func refusesOtherSchemes() throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "ftp://127.0.0.1/", "-n", "1"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("only http:// and https:// URLs are supported"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("bad flags exit 2 with a clear message", arguments: [
        ["run", "http://127.0.0.1:1/", "-c", "0"],
        ["run", "http://127.0.0.1:1/", "--bogus"],
        ["run", "http://127.0.0.1:1/", "-n", "5", "-d", "1s"],
        ["run", "--input-tokens", "0"],
        ["frobnicate"],
        ["run", "http://127.0.0.1:1/", "-d", "soon"],
        ["run", "--base-url", "http://127.0.0.1:1", "--model", "m", "--max-tokens", "9223372036854775807"],
        ["run", "http://127.0.0.1:1/", "--rate", "0"],
        ["run", "http://127.0.0.1:1/", "--drain", "-1s"],
        ["validate", "--target-rps", "0"],
        ["bench", "--model", "m", "--base-url", "http://127.0.0.1:1", "--cooldown", "1e300"],
        ["sweep", "--base-url", "http://127.0.0.1:1", "--model", "m", "--levels", "1", "--cooldown", "2d"],
    ])
    func badFlags(arguments: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments)
        #expect(run.status == 2)
        #expect(run.stderr.split(separator: "\n").count == 1, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test("--drain takes a duration like the other time flags, zero included", arguments: ["100ms", "0"])
    func drainTakesDurations(drain: String) throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/health", "-d", "200ms", "-c", "2", "--drain", drain, "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect((try run.json()["succeeded"] as? Int ?? 0) > 0)
    }

    @Test("a server claiming absurd token counts cannot overflow the run's sums: the answers count as without usage")
    func absurdUsageDoesNotTrap() throws {
        let body = #"{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":9223372036854775709,"completion_tokens":9223372036854775709}}"#
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body, close: false))
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", "http://127.0.0.1:\(server.port)", "--model", "m",
                                                                "-n", "4", "-c", "2", "-t", "2", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        #expect(json["succeeded"] as? Int == 4)
        #expect(json["completion_tokens"] as? Int == 0 && json["prompt_tokens"] as? Int == 0)
    }

    @Test("--body @FILE sends the file and a POST by default")
    func bodyFromFile() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let path = NSTemporaryDirectory() + "loadgen-body-\(UUID().uuidString).json"
        try #"{"model":"m","messages":[],"max_tokens":5}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/v1/chat/completions", "-n", "10", "-c", "1", "--json", "--body", "@" + path])
        #expect(run.status == 0)
        #expect(try run.json()["completion_tokens"] as? Int == 50)
        let missing = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url, "--body", "@/nonexistent/file"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read '/nonexistent/file'"))
    }

    @Test("too few descriptors for the concurrency is a clear error, not a crash")
    func descriptorLimit() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let shell = URL(fileURLWithPath: "/bin/sh")
        let run = try CommandRunner.run(shell, ["-c", "ulimit -n 64 && exec \"$0\" run \"$1\" -c 500 -n 500", BuiltProducts.loadgen.path, server.url + "/health"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("file descriptors"))
        #expect(run.stderr.contains("ulimit -n"))
    }

    @Test("a closed port exits 1 saying the connection was refused")
    func closedPortExitsOne() throws {
        let port = ScriptedServer.closedPort()
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "http://127.0.0.1:\(port)/", "-n", "20", "-c", "2"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("Connection refused"))
    }
}

/// The Kubernetes manifest in deploy/ drives `loadgen run`; its flags must stay ones run accepts.
@Suite("Deploy manifest")
struct DeployManifestTests {
    @Test("every flag the Indexed Job passes to loadgen run is accepted, and --start-at waits for the given time")
    func manifestFlagsParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("deploy/loadgen-job.yaml"), encoding: .utf8)
        let command = try #require(manifest.components(separatedBy: "exec loadgen run ").last)
        let flags = command.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("--") || $0.hasPrefix("-c") }
        #expect(flags.contains("--start-at") && flags.contains("--json"))
        let help = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--help"])
        for flag in flags { #expect(help.stdout.contains(flag), "run --help does not know \(flag)") }

        let server = try EchoServerProcess()
        defer { server.stop() }
        let start = Date().timeIntervalSince1970 + 1.5
        let began = Date()
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/health", "-n", "10", "--start-at", String(start), "--json", "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(Date().timeIntervalSince(began) >= 1.2, "the run waited for --start-at")
        let started = try #require(try run.json()["started_at"] as? Double)
        #expect(started >= start - 0.01)
    }
}
