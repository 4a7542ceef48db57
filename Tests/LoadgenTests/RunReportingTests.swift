import Foundation
import Testing
@testable import Loadgen

/// What `loadgen run` reports and how it exits, beyond the counts: the measured window when
/// failures dominate, the streaming table's columns, exit codes a CI job can gate on, and one
/// spelling and number format across commands (issue 13, defects 3, 7, 11, 12, 13, 14).
@Suite("Run reporting and exit codes", .serialized)
struct RunReportingTests {
    /// For each header word of the streaming table, the column where it ends; every row's value
    /// must end in the same column.
    private func streamingColumnsAlign(_ text: String) throws -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headerIndex = try #require(lines.firstIndex { $0.contains("mean") && $0.contains("p50") && $0.contains("p99") })
        func ends(_ line: String) -> [Int] {
            var result: [Int] = []
            let characters = Array(line)
            for index in characters.indices where characters[index] != " " && (index + 1 == characters.count || characters[index + 1] == " ") {
                result.append(index)
            }
            return result
        }
        let header = ends(lines[headerIndex])
        var rows = 0
        for line in lines[(headerIndex + 1)...] {
            guard let name = ["TTFT", "TPOT", "ITL", "E2E"].first(where: { line.trimmingCharacters(in: .whitespaces).hasPrefix($0) }) else { break }
            // The values are the last header.count words of the row.
            let values = Array(ends(line).suffix(header.count))
            #expect(values == header, "\(name) row \(line) against header \(lines[headerIndex])")
            if values != header { return false }
            rows += 1
        }
        #expect(rows == 4, "four metric rows under the header")
        return rows == 4
    }

    @Test("the streaming table's values sit under their headers, in run --stream and in merge --text")
    func streamingTableAligns() throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "2", "--itl-ms", "1"])
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "m", "-n", "12", "-c", "3",
                                                                "--max-tokens", "4", "--stream", "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try streamingColumnsAlign(run.stdout))

        let directory = NSTemporaryDirectory() + "loadgen-align-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        for index in 0..<2 {
            let part = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "m", "-n", "6", "-c", "2",
                                                                     "--max-tokens", "4", "--stream", "--json", "--quiet"])
            #expect(part.status == 0)
            let path = directory + "/part\(index).json"
            try part.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let merged = try CommandRunner.run(BuiltProducts.loadgen, ["merge"] + files + ["--text"])
        #expect(merged.status == 0, "stderr: \(merged.stderr)")
        #expect(try streamingColumnsAlign(merged.stdout))
    }

    @Test("a --duration run against a server that never answers lasts its duration, not 0 s, and says no response arrived")
    func silentServerWindow() throws {
        let server = try ScriptedServer(.silent)
        defer { server.stop() }
        let text = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url, "-d", "1s", "-c", "2", "--drain", "500ms", "--quiet"])
        #expect(text.status == 3, "completed, nothing succeeded: stderr \(text.stderr)")
        #expect(text.stdout.contains("no request completed: no response arrived (cancelled 2)"), "\(text.stdout)")
        #expect(text.stdout.contains("first send to the end of sending"))
        #expect(!text.stdout.contains("duration 0.000 s"))
        let json = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url, "-d", "1s", "-c", "2", "--drain", "500ms", "--json"]).json()
        let duration = try #require(json["duration_sec"] as? Double)
        // Sending stopped at 1 s; the cancellations at 1.5 s are the client's and stretch nothing.
        #expect(duration >= 0.95 && duration < 1.45, "duration \(duration)")
        #expect(json["window_end"] as? String == "end_of_sending")
        #expect(json["requests_per_sec"] as? Double == 0)
    }

    @Test("timeouts after the last response do not stretch the measured window or shrink the rates")
    func timeoutsDoNotStretchTheWindow() throws {
        // Every second request stalls: one answers at once, the other times out a second later.
        let server = try EchoServerProcess(arguments: ["--fault", "stall:0.5"])
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url + "/health")
        plan.concurrency = 2
        plan.threads = 1
        plan.stop = .requests(2)
        plan.requestTimeoutSeconds = 1
        let started = Date()
        let result = try LoadRun.run(plan)
        #expect(Date().timeIntervalSince(started) >= 0.95, "the run waited for the timeout")
        #expect(result.succeeded == 1 && result.failures[.timeout] == 1)
        #expect(result.windowEnd == .lastResponse)
        #expect(result.durationSeconds < 0.5, "the window ends at the one answer, not at the timeout: \(result.durationSeconds) s")
        #expect(result.requestsPerSecond > 2, "one success over a window of milliseconds, not over a second")
    }

    @Test("a completed run in which no request succeeded exits 3; --max-error-rate gates on the share that failed")
    func exitThreeGates() throws {
        let server = try EchoServerProcess(arguments: ["--fault", "status-500:0.5"])
        defer { server.stop() }
        let none = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/no-such-path", "-n", "4", "-c", "1", "--quiet"])
        #expect(none.status == 3)
        #expect(none.stderr.contains("no request succeeded"), "stderr: \(none.stderr)")
        let base = ["run", server.url + "/health", "-n", "20", "-c", "1", "-t", "1", "--quiet"]
        #expect(try CommandRunner.run(BuiltProducts.loadgen, base).status == 0, "half failed, no gate asked for")
        #expect(try CommandRunner.run(BuiltProducts.loadgen, base + ["--max-error-rate", "0.6"]).status == 0)
        let over = try CommandRunner.run(BuiltProducts.loadgen, base + ["--max-error-rate", "10%"])
        #expect(over.status == 3)
        #expect(over.stderr.contains("error rate 50.00% (10 of 20) is above --max-error-rate 10%"), "stderr: \(over.stderr)")
        #expect(try CommandRunner.run(BuiltProducts.loadgen, base + ["--max-error-rate", "2"]).status == 2)
    }

    @Test("bad arguments exit 2 with a message that says what is wrong", arguments: [
        (["run", "http://127.0.0.1:9/a b", "-n", "1"], "contains a space"),
        (["run", "http://127.0.0.1:9/", "-H", "X: a\r\nY: b", "-n", "1"], "carriage return"),
        (["run", "http://127.0.0.1:9/", "-H", "X: a\nY: b", "-n", "1"], "line feed"),
        (["run", "http://127.0.0.1:9/", "-c", "5", "--max-concurrency", "50", "-n", "1"], "disagree"),
        (["validate", "--levels", "10,,20"], "empty level"),
        (["sweep", "--model", "m", "--levels", "10,20,"], "empty level"),
        (["version", "extra"], "takes no arguments"),
        (["run", "http://127.0.0.1:9/", "--warmup", "5x"], "request count like 10 or a duration"),
    ])
    func badArguments(arguments: [String], message: String) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
    }

    @Test("compare --metric with an unknown key is a bad argument (2), naming the known ones")
    func compareUnknownMetric() throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["compare", "a.json", "b.json", "--metric", "bogus"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("throughput_total"))
    }

    @Test("version --help prints how to use it, not the version")
    func versionHelp() throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["version", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("usage: loadgen version"))
        #expect(try CommandRunner.run(BuiltProducts.loadgen, ["version"]).stdout.hasPrefix("loadgen "))
    }

    @Test("a URL fragment is not sent and an upper-case HTTP:// scheme works")
    func fragmentNotSent() throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: false))
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "HTTP://127.0.0.1:\(server.port)/health?x=1#frag", "-n", "2", "-c", "1", "--quiet",
                                                                "--no-metrics"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let first = try #require(server.received.first)
        #expect(first.hasPrefix("GET /health?x=1 HTTP/1.1\r\n"), "request line: \(first.prefix(40))")
        #expect(!first.contains("frag"))
    }

    @Test("--warmup is a request count (10) or a duration with a unit (200ms), spelled so by every command")
    func warmupSpelling() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let count = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/health", "-n", "20", "-c", "2", "--warmup", "5", "--json"]).json()
        #expect(count["warmup_requests"] as? Int == 5)
        #expect(count["requests"] as? Int == 20)
        let timed = try CommandRunner.run(BuiltProducts.loadgen, ["run", server.url + "/health", "-n", "20", "-c", "2", "--warmup", "200ms", "--json"]).json()
        #expect(timed["requests"] as? Int == 20)
        #expect((timed["warmup_requests"] as? Int ?? 0) > 5, "200 ms of warmup against echo-server is many requests")
        let directory = NSTemporaryDirectory() + "loadgen-warmup-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for arguments in [["latency", "--base-url", server.url, "-n", "2", "--warmup", "100ms", "--max-tokens", "2"],
                          ["latency", "--base-url", server.url, "-n", "2", "--warmup", "3", "--max-tokens", "2"],
                          ["sweep", "--base-url", server.url, "--levels", "2", "--runs", "1", "-n", "4", "--warmup", "100ms", "--cooldown", "0",
                           "--input-tokens", "10", "--max-tokens", "2"],
                          ["validate", "--levels", "2", "-d", "200ms", "--warmup", "10", "--echo-server", BuiltProducts.echoServer.path]] {
            let run = try CommandRunner.run(BuiltProducts.loadgen, arguments + ["--output-dir", directory, "--quiet"], timeoutSeconds: 60)
            #expect(run.status == 0, "\(arguments.prefix(1)) --warmup: \(run.stderr)")
        }
    }

    @Test("every command that prints a result takes --json and --quiet", arguments: ["run", "validate", "bench", "latency", "sweep", "compare", "merge"])
    func jsonAndQuietEverywhere(command: String) throws {
        let help = try CommandRunner.run(BuiltProducts.loadgen, [command, "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--json"), "\(command) --help has no --json")
        #expect(help.stdout.contains("--quiet"), "\(command) --help has no --quiet")
    }

    @Test("validate, latency and sweep --json print one JSON object")
    func jsonOutputs() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "loadgen-json-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runs = [
            ["validate", "--levels", "2", "-d", "200ms", "--warmup", "0", "--echo-server", BuiltProducts.echoServer.path],
            ["latency", "--base-url", server.url, "-n", "2", "--max-tokens", "2"],
            ["sweep", "--base-url", server.url, "--levels", "2", "--runs", "1", "-n", "4", "--cooldown", "0", "--input-tokens", "10", "--max-tokens", "2"],
        ]
        for arguments in runs {
            let run = try CommandRunner.run(BuiltProducts.loadgen, arguments + ["--output-dir", directory, "--json", "--quiet"], timeoutSeconds: 60)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
            #expect((try? run.json()) != nil, "\(arguments[0]) --json printed: \(run.stdout.prefix(120))")
        }
    }

    @Test("one line never mixes number formats: rates from 100 up are whole and grouped")
    func numberFormatsAgree() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--model", "m", "-n", "400", "-c", "4",
                                                                "--input-tokens", "2000", "--max-tokens", "8", "--quiet"])
        #expect(run.status == 0)
        let line = try #require(run.stdout.split(separator: "\n").first { $0.contains("throughput") }.map(String.init))
        // e.g. "throughput   3,951 req/s, 1,982,311 tok/s total, 31,608 tok/s output"
        let numbers = line.split(separator: " ").filter { $0.first?.isNumber == true }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
        #expect(numbers.count == 3, "\(line)")
        for number in numbers {
            let value = Double(number.replacingOccurrences(of: ",", with: "")) ?? -1
            if value >= 100 { #expect(!number.contains("."), "\(number) in: \(line)") }
        }
        #expect(Format.rate(52_956.1) == "52,956" && Format.rate(24_604_697) == "24,604,697")
        #expect(Format.rate(52.34) == "52.3" && Format.rate(5.481) == "5.48" && Format.rate(0) == "0.00")
        #expect(Format.milliseconds(16.704) == "16.70" && Format.milliseconds(0.0421) == "0.042")
        #expect(Format.percent(0.995) == "99.5%")
    }
}
