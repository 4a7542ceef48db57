import Foundation
import Testing
@testable import Loadgen

/// `loadgen sweep` and `loadgen compare` against echo-server.
@Suite("Sweep and compare", .serialized)
struct SweepTests {
    private func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-sweep-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func sweepJSON(in directory: String) throws -> (path: String, json: [String: Any]) {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("sweep_") && $0.hasSuffix(".json") })
        let path = directory + "/" + name
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        return (path, try #require(object as? [String: Any]))
    }

    @Test("the fine-saturation preset is the paper's sweep; the defaults are the seeds' protocol")
    func presets() throws {
        var plan = SweepPlan(target: try HTTPTarget(url: "http://127.0.0.1:9"), workload: OpenAIWorkload(model: "m"))
        #expect(plan.levels == [10, 50, 100, 200, 500, 750, 1000])
        #expect(plan.runs == 5 && plan.requestsPerLevel == 100 && plan.warmupRequests == 10 && plan.cooldownSeconds == 60)
        #expect(plan.workload.inputTokens == .fixed(2048) && plan.workload.outputTokens == .fixed(512))
        #expect(plan.readyTimeoutSeconds == 900)
        plan.applyFineSaturationPreset()
        #expect(plan.levels == Array(stride(from: 500, through: 1000, by: 50)))
        #expect(plan.runs == 3 && plan.requestsPerLevel == 200)
        #expect(plan.workload.inputTokens == .fixed(2048) && plan.workload.outputTokens == .fixed(100))
    }

    @Test("a sweep writes per-level statistics over its runs, the raw runs and the summary")
    func sweepWritesStatistics() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", server.url, "--levels", "2,4:8:4", "--runs", "3",
                                                                "-n", "40", "--cooldown", "0", "--input-tokens", "50", "--max-tokens", "8",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 120)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(["Concurrent", "Throughput (mean ± 95% CI)", "p99 Latency"].allSatisfy { run.stdout.contains($0) })
        let (_, json) = try sweepJSON(in: directory)
        #expect(json["kind"] as? String == "loadgen-sweep")
        #expect(json["complete"] as? Bool == true)
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.map { $0["concurrency"] as? Int } == [2, 4, 8])
        for level in levels {
            let total = try #require(level["throughput_total"] as? [String: Any])
            let values = try #require(total["values"] as? [Double])
            #expect(values.count == 3)
            // Recomputed here from the per-run values: mean, sample sd, t(0.975, df 2) = 4.302652729749462.
            let mean = values.reduce(0, +) / 3
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
            let half = 4.302652729749462 * sd / 3.0.squareRoot()
            #expect(abs((total["mean"] as? Double ?? 0) - mean) < 1e-3 * mean)
            #expect(abs((total["stdev"] as? Double ?? -1) - sd) < 1e-3 * max(sd, 1))
            #expect(abs((total["ci95_low"] as? Double ?? 0) - (mean - half)) < 1e-3 * mean)
            #expect(abs((total["ci95_high"] as? Double ?? 0) - (mean + half)) < 1e-3 * mean)
            #expect(abs((total["cov"] as? Double ?? -1) - sd / mean) < 1e-4)
            #expect((level["latency_p99_ms"] as? [String: Any])?["n"] as? Int == 3)
        }
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 3)
        for entry in runs {
            let runLevels = try #require(entry["levels"] as? [[String: Any]])
            #expect(runLevels.map { $0["succeeded"] as? Int } == [40, 40, 40])
            #expect(runLevels.allSatisfy { $0["latency_histogram"] is String })
        }
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["peak_concurrency"] is Int)
        let markdownPath = (try sweepJSON(in: directory).path).replacingOccurrences(of: ".json", with: ".md")
        let markdown = try String(contentsOfFile: markdownPath, encoding: .utf8)
        #expect(["| Concurrent |", "Throughput (mean ± 95% CI)", "p99 Latency"].allSatisfy { markdown.contains($0) })
        let charts = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".svg") }
        #expect(charts.count == 2)
        for chart in charts {
            #expect(markdown.contains("](\(chart))"))
            let svg = try String(contentsOfFile: directory + "/" + chart, encoding: .utf8)
            #expect(svg.contains("<path d=\"M"), "error bars drawn in \(chart)")
        }
    }

    @Test("--restart-cmd starts the server before every run and the sweep waits until it answers")
    func restartCommandAndReadiness() throws {
        let port = ScriptedServer.closedPort()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = "exec '\(BuiltProducts.echoServer.path)' --port \(port)"
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", "http://127.0.0.1:\(port)", "--model", "echo-model",
                                                                "--levels", "2", "--runs", "2", "-n", "20", "--cooldown", "0",
                                                                "--warmup-requests", "2", "--restart-cmd", command, "--ready-timeout", "20s",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let (_, json) = try sweepJSON(in: directory)
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { ($0["restart_sec"] as? Double ?? -1) >= 0 })
        // The server the command started is stopped with the sweep: nothing listens any more.
        let probe = try CommandRunner.run(BuiltProducts.loadgen, ["run", "http://127.0.0.1:\(port)/health", "-n", "1", "--quiet"])
        #expect(probe.status == 1, "the restarted server outlived the sweep")
    }

    private func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    private func pids(in file: String) -> [Int32] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    @Test("a server the restart command's shell starts (not exec'd) is stopped before the next restart and at the end")
    func restartStopsTheWholeGroup() throws {
        let port = ScriptedServer.closedPort()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/pids"
        // sh stays the parent: stopping only sh left echo-server holding the port, and run 2's
        // server then failed with "Address already in use".
        let command = "'\(BuiltProducts.echoServer.path)' --port \(port) & echo $! >> '\(pidFile)'; wait $!"
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", "http://127.0.0.1:\(port)", "--model", "echo-model",
                                                                "--levels", "2", "--runs", "2", "-n", "10", "--cooldown", "0",
                                                                "--warmup", "0", "--restart-cmd", command, "--ready-timeout", "20s",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60)
        #expect(run.status == 0, "run 2's server could bind only if run 1's was stopped: \(run.stderr)")
        let servers = pids(in: pidFile)
        #expect(servers.count == 2, "one server per run: \(servers)")
        for pid in servers { #expect(!isAlive(pid), "echo-server \(pid) outlived the sweep") }
    }

    @Test("Ctrl-C while waiting for the server to be ready stops what the restart command started")
    func interruptDuringReadyWaitStopsTheCommand() throws {
        let port = ScriptedServer.closedPort()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/pids"
        let command = "sleep 100 & echo $! >> '\(pidFile)'; wait"
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", "http://127.0.0.1:\(port)", "--model", "m",
                                                                "--levels", "2", "--runs", "1", "-n", "5", "--restart-cmd", command,
                                                                "--ready-timeout", "60s", "--output-dir", directory, "--quiet"], timeoutSeconds: 30) { process in
            usleep(1_500_000)
            kill(process.processIdentifier, SIGINT)
        }
        #expect(run.status == 130, "stderr: \(run.stderr)")
        let sleeper = try #require(pids(in: pidFile).first)
        #expect(!isAlive(sleeper), "the restart command's sleep \(sleeper) kept running after Ctrl-C")
    }

    @Test("each level's progress line is printed once, the last one too")
    func levelLinesOnce() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", server.url, "--levels", "2,4", "--runs", "1", "-n", "6",
                                                                "--cooldown", "0", "--input-tokens", "10", "--max-tokens", "2",
                                                                "--output-dir", directory], timeoutSeconds: 60)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = run.stderr.split(separator: "\n").filter { $0.contains("run 1 concurrency") }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.last?.contains("concurrency 4") == true)
    }

    @Test("a server that never becomes ready ends the sweep with exit 1 and one clear line", arguments: [
        ("true", "was not ready after"), ("exit 3", "exited with 3"),
    ])
    func serverNeverReady(command: String, message: String) throws {
        let port = ScriptedServer.closedPort()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", "http://127.0.0.1:\(port)", "--model", "m",
                                                                "--levels", "2", "--runs", "2", "-n", "5", "--restart-cmd", command,
                                                                "--ready-timeout", "2s", "--output-dir", directory, "--quiet"], timeoutSeconds: 30)
        #expect(run.status == 1)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        let (_, json) = try sweepJSON(in: directory)
        #expect(json["complete"] as? Bool == false)
    }

    @Test("compare reports both means, the change, Welch's p and CI overlap for every common level")
    func compareTwoSweeps() throws {
        func sweepFile(_ values: [Int: [Double]]) -> JSONValue {
            .object([("kind", .string("loadgen-sweep")), ("levels", .array(values.keys.sorted().map { level in
                .object([("concurrency", .int(Int64(level))),
                         ("throughput_total", .object([("values", .array(values[level]!.map { .number($0) }))]))])
            }))])
        }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = directory + "/a.json"
        let b = directory + "/b.json"
        try sweepFile([100: [4521.3, 4488.1, 4602.7, 4550.0, 4497.9], 200: [1, 2, 3]]).serialized().write(toFile: a, atomically: true, encoding: .utf8)
        try sweepFile([100: [4610.2, 4655.8, 4598.1, 4702.4, 4631.0], 300: [1, 2]]).serialized().write(toFile: b, atomically: true, encoding: .utf8)
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["compare", a, b, "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try run.json()
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.count == 1, "only level 100 is in both")
        let row = try #require(levels.first)
        #expect(abs((row["p_value"] as? Double ?? 1) - 0.004815010288558341) < 1e-6)
        // A's interval is [4474.7, 4589.3], B's [4588.5, 4690.5]: they overlap by a hair while Welch's
        // p is 0.005, which is why the table shows both (overlap is the cruder test).
        #expect(row["ci_overlap"] as? Bool == true)
        #expect(row["significant_at_0_05"] as? Bool == true)
        #expect(abs((row["percent_change"] as? Double ?? 0) - (4639.5 - 4532.0) / 4532.0 * 100) < 1e-3)
        let markdown = try CommandRunner.run(BuiltProducts.loadgen, ["compare", a, b])
        #expect(markdown.stdout.contains("| Concurrency |") && markdown.stdout.contains("+2.37%"))
        let notSweep = directory + "/c.json"
        try "{\"requests\": 1}".write(toFile: notSweep, atomically: true, encoding: .utf8)
        let refused = try CommandRunner.run(BuiltProducts.loadgen, ["compare", a, notSweep])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not a loadgen sweep result"))
        let missing = try CommandRunner.run(BuiltProducts.loadgen, ["compare", a, directory + "/none.json"])
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1)
    }

    @Test("bad sweep flags exit 2 with one line", arguments: [
        ["--levels", "5:1:1"], ["--levels", "a,b"], ["--runs", "0"], ["--preset", "coarse"], ["-n", "5", "-d", "1s"],
    ])
    func badFlags(flags: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--model", "m"] + flags)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("loadgen sweep: ") && run.stderr.split(separator: "\n").count == 1)
    }

    @Test("SIGINT (130) or SIGTERM (143) ends a sweep and keeps the levels measured so far",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptedSweepKeepsRuns(signal: Int32, status: Int32) throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "200"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", server.url, "--levels", "2,4", "--runs", "3",
                                                                "-n", "6", "--stream", "--cooldown", "0", "--warmup-requests", "1",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60) { process in
            usleep(2_500_000)
            kill(process.processIdentifier, signal)
        }
        #expect(run.status == status, "stderr: \(run.stderr)")
        let (_, json) = try sweepJSON(in: directory)
        #expect(json["complete"] as? Bool == false)
        let runs = try #require(json["runs"] as? [[String: Any]])
        let levels = runs.flatMap { $0["levels"] as? [[String: Any]] ?? [] }
        #expect(!levels.isEmpty, "the levels finished before the signal are kept")
        for level in levels {
            #expect((level["requests"] as? Int) == (level["succeeded"] as? Int ?? -1) + (level["failed"] as? Int ?? -1))
        }
    }
}
