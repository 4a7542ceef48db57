import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// `loadgen bench` and `loadgen latency`: phases, status rules, reports, interruption.
@Suite("Unified benchmark", .serialized)
struct BenchTests {
    // MARK: Status rules (paper Table 7, phase-relative)

    @Test("success under 95% is FAILING in every phase, before any other rule")
    func failingComesFirst() {
        for phase in BenchPhase.allCases {
            let (status, reason) = BenchStatusRule.classify(phase: phase, successRate: 0.94, p99Seconds: 100, baselineP99Seconds: 1,
                                                            throughputTotal: 1, previousThroughputTotal: 1000)
            #expect(status == .failing, "\(phase)")
            #expect(reason.contains("94.0%"))
        }
        #expect(BenchStatusRule.classify(phase: .scaling, successRate: 0.95, p99Seconds: 1, baselineP99Seconds: 1,
                                         throughputTotal: 200, previousThroughputTotal: 100).status == .ok, "exactly 95% is not failing")
    }

    @Test("DEGRADED applies in SCALING only, when p99 exceeds twice the baseline p99")
    func degradedInScalingOnly() {
        let degraded = BenchStatusRule.classify(phase: .scaling, successRate: 1, p99Seconds: 2.01, baselineP99Seconds: 1,
                                                throughputTotal: 200, previousThroughputTotal: 100)
        #expect(degraded.status == .degraded)
        #expect(degraded.reason.contains("2010.00 ms") && degraded.reason.contains("1000.00 ms"))
        #expect(BenchStatusRule.classify(phase: .scaling, successRate: 1, p99Seconds: 2.0, baselineP99Seconds: 1,
                                         throughputTotal: 200, previousThroughputTotal: 100).status == .ok, "2x exactly is not over 2x")
        for phase in [BenchPhase.saturation, .stress, .baseline] {
            #expect(BenchStatusRule.classify(phase: phase, successRate: 1, p99Seconds: 50, baselineP99Seconds: 1,
                                             throughputTotal: 200, previousThroughputTotal: 100).status == .ok, "\(phase)")
        }
    }

    @Test("SATURATED applies in SCALING and SATURATION when throughput is under 1.05x the previous level's")
    func saturatedRule() {
        for phase in [BenchPhase.scaling, .saturation] {
            #expect(BenchStatusRule.classify(phase: phase, successRate: 1, p99Seconds: 1, baselineP99Seconds: 1,
                                             throughputTotal: 104.9, previousThroughputTotal: 100).status == .saturated)
            #expect(BenchStatusRule.classify(phase: phase, successRate: 1, p99Seconds: 1, baselineP99Seconds: 1,
                                             throughputTotal: 105, previousThroughputTotal: 100).status == .ok)
            #expect(BenchStatusRule.classify(phase: phase, successRate: 1, p99Seconds: 1, baselineP99Seconds: 1,
                                             throughputTotal: 50, previousThroughputTotal: nil).status == .ok, "a first level has no previous")
        }
        #expect(BenchStatusRule.classify(phase: .stress, successRate: 1, p99Seconds: 1, baselineP99Seconds: nil,
                                         throughputTotal: 1, previousThroughputTotal: 100).status == .ok)
        // DEGRADED is checked before SATURATED in SCALING.
        #expect(BenchStatusRule.classify(phase: .scaling, successRate: 1, p99Seconds: 5, baselineP99Seconds: 1,
                                         throughputTotal: 1, previousThroughputTotal: 100).status == .degraded)
    }

    // MARK: Phases and counts

    private func config(multiplier: Double = 1, vision: Bool = false) throws -> BenchConfig {
        var config = BenchConfig(target: try HTTPTarget(url: "http://127.0.0.1:9"), workload: OpenAIWorkload(model: "m"))
        config.multiplier = multiplier
        config.vision = vision
        return config
    }

    @Test("the phases have the seed's tests, concurrencies, request counts and lengths, and the paper's levels")
    func seedDefaults() throws {
        let standard = try config()
        #expect(standard.tests(of: .warmup) == [BenchTest(phase: .warmup, name: "single", concurrency: 1, requests: 1, inputTokens: 100, outputTokens: 50)])
        #expect(standard.tests(of: .baseline).map(\.requests) == [10])
        let scaling = standard.tests(of: .scaling)
        #expect(scaling.map(\.concurrency) == [5, 10, 25, 50, 75, 100])
        #expect(scaling.map(\.requests) == [10, 20, 50, 100, 150, 200])
        #expect(scaling.allSatisfy { $0.inputTokens == 500 && $0.outputTokens == 200 && $0.name == "scale_\($0.concurrency)" })
        let stress = standard.tests(of: .stress)
        #expect(stress.map(\.name) == ["long_output", "long_context", "long_context_8k"])
        #expect(stress.map(\.concurrency) == [50, 25, 25])
        #expect(stress.map(\.inputTokens) == [200, 4000, 8000])
        #expect(stress.map(\.outputTokens) == [500, 200, 200])
        let saturation = standard.tests(of: .saturation)
        #expect(saturation.map(\.concurrency) == [150, 200, 300, 500, 750, 1000])
        #expect(saturation.map(\.requests) == [150, 200, 300, 500, 750, 1000])
        #expect(saturation.allSatisfy { $0.inputTokens == 500 && $0.outputTokens == 100 })
    }

    @Test("quick halves and thorough triples the request counts, rounded, never below 1; the warmup stays 1")
    func multipliers() throws {
        let quick = try config(multiplier: 0.5)
        #expect(quick.tests(of: .warmup).first?.requests == 1)
        #expect(quick.tests(of: .baseline).first?.requests == 5)
        #expect(quick.tests(of: .stress).map(\.requests) == [15, 8, 8])
        let thorough = try config(multiplier: 3)
        #expect(thorough.tests(of: .scaling).map(\.requests) == [30, 60, 150, 300, 450, 600])
        #expect(try config(multiplier: 0.01).tests(of: .baseline).first?.requests == 1)
    }

    @Test("--vision adds the three vision stress tests with their image counts")
    func visionTests() throws {
        let stress = try config(vision: true).tests(of: .stress)
        let vision = stress.filter { $0.type == "vision" }
        #expect(vision.map(\.name) == ["multi_image", "vision_high_concurrency", "vision_sustained"])
        #expect(vision.map(\.concurrency) == [10, 100, 50])
        #expect(vision[0].images == 3...5)
        #expect(vision[2].requests == 450)
        var skipped = try config()
        skipped.skipSaturation = true
        #expect(skipped.tests(of: .saturation).isEmpty)
    }

    @Test("percentiles interpolate linearly between the exact values, as numpy's default does")
    func linearPercentiles() {
        let values = (1...10).map(Double.init)
        #expect(abs(Percentile.linear(values, 50) - 5.5) < 1e-12)
        #expect(abs(Percentile.linear(values, 99) - 9.91) < 1e-12)
        #expect(abs(Percentile.linear(values, 95) - 9.55) < 1e-12)
        #expect(Percentile.linear([3], 99) == 3)
        #expect(Percentile.linear([], 50) == 0)
        #expect(Percentile.linear(values, 0) == 1 && Percentile.linear(values, 100) == 10)
    }

    // MARK: The runner's phase logic, on crafted results

    /// Answers each test with a result whose throughput and latency come from `shape`.
    struct CraftedExecutor: BenchRunner.TestExecutor {
        let shape: @Sendable (BenchTest) -> (tokensPerSecond: Double, latencySeconds: Double, successRate: Double)
        func execute(_ test: BenchTest, progress: (Int, Int, Double) -> Void) throws(LoadgenError) -> (RunResult, Int32?) {
            let (rate, latency, success) = shape(test)
            var run = RunResult()
            run.requests = UInt64(test.requests)
            run.succeeded = UInt64((Double(test.requests) * success).rounded())
            for _ in run.succeeded..<run.requests { run.failures.add(.httpStatus(503)) }
            run.durationSeconds = 10
            run.completionTokens = UInt64(rate * 10)
            run.latencySamples = Array(repeating: UInt64(latency * 1e9), count: Int(run.succeeded))
            progress(Int(run.succeeded), Int(run.failed), 0.1)
            return (run, nil)
        }
    }

    @Test("SCALING stops at its first SATURATED level, SATURATION compares with its own previous level")
    func scalingStopsWhenSaturated() throws {
        var config = try config()
        config.cooldownSeconds = 0
        // Throughput grows to concurrency 25, then flattens; SATURATION keeps growing.
        let executor = CraftedExecutor { test in
            switch test.phase {
            case .scaling: (Double(min(test.concurrency, 25)) * 100, 1, 1)
            case .saturation: (Double(test.concurrency) * 100, 1, 1)
            default: (100, 1, 1)
            }
        }
        var saved = 0
        let bench = try BenchRunner.run(config, signals: nil, executor: executor, onProgress: { _ in }, onTest: { _ in saved += 1 })
        let scaling = bench.results.filter { $0.test.phase == .scaling }
        #expect(scaling.map(\.test.name) == ["scale_5", "scale_10", "scale_25", "scale_50"])
        #expect(scaling.map(\.status) == [.ok, .ok, .ok, .saturated])
        #expect(scaling.last?.statusReason.contains("< 1.05 x previous") == true)
        let saturation = bench.results.filter { $0.test.phase == .saturation }
        #expect(saturation.count == 6)
        #expect(saturation.allSatisfy { $0.status == .ok })
        #expect(bench.saturationPoint?.test.name == "scale_50")
        #expect(bench.peak?.test.name == "extreme_1000")
        #expect(bench.complete)
        #expect(saved == bench.results.count, "results are handed out after every test")
    }

    @Test("SCALING stops at a FAILING level and judges DEGRADED against the baseline p99")
    func scalingStopsWhenFailing() throws {
        var config = try config()
        config.cooldownSeconds = 0
        config.skipSaturation = true
        let executor = CraftedExecutor { test in
            switch test.phase {
            case .baseline: (100, 1, 1)
            case .scaling where test.concurrency == 10: (1000, 3, 1)
            case .scaling where test.concurrency == 25: (5000, 1, 0.5)
            case .scaling: (Double(test.concurrency) * 50, 1, 1)
            default: (100, 1, 1)
            }
        }
        let bench = try BenchRunner.run(config, signals: nil, executor: executor, onProgress: { _ in }, onTest: { _ in })
        let scaling = bench.results.filter { $0.test.phase == .scaling }
        #expect(scaling.map(\.status) == [.ok, .degraded, .failing])
        #expect(bench.results.filter { $0.test.phase == .stress }.count == 3, "STRESS still runs after SCALING stops")
        #expect(bench.results.allSatisfy { $0.test.phase != .saturation })
    }

    // MARK: Against echo-server

    private func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-bench-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func benchFiles(in directory: String) throws -> (json: [String: Any], markdown: String, svgs: [String]) {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        let json = try #require(files.first { $0.hasPrefix("unified_") && $0.hasSuffix(".json") })
        let markdown = try #require(files.first { $0.hasPrefix("unified_") && $0.hasSuffix(".md") })
        #expect(!files.contains { $0.contains(".tmp") }, "no temporary files left: \(files)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + json)))
        return (try #require(object as? [String: Any]),
                try String(contentsOfFile: directory + "/" + markdown, encoding: .utf8),
                files.filter { $0.hasSuffix(".svg") })
    }

    @Test("a --quick bench against echo-server runs every phase and writes the JSON and Markdown with every field")
    func quickBenchWritesReports() throws {
        let server = try EchoServerProcess(arguments: ["--threads", "2"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--base-url", server.url, "--quick", "--cooldown", "0",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 120)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Peak: "))
        let (json, markdown, svgs) = try benchFiles(in: directory)
        #expect(json["complete"] as? Bool == true)
        let results = try #require(json["results"] as? [[String: Any]])
        let phases = Set(results.compactMap { $0["phase"] as? String })
        #expect(phases == ["WARMUP", "BASELINE", "SCALING", "STRESS", "SATURATION"])
        let seedFields = ["phase", "test_name", "test_type", "concurrency", "num_requests", "successful", "failed", "success_rate",
                          "duration_sec", "latency_p50", "latency_p95", "latency_p99", "throughput_total", "throughput_output", "status"]
        for result in results {
            for field in seedFields { #expect(result[field] != nil, "\(result["test_name"] ?? "?") lacks \(field)") }
            #expect(result["errors"] is [String: Any])
            #expect((result["successful"] as? Int) == (result["num_requests"] as? Int), "\(result["test_name"] ?? "?"): \(result["errors"] ?? "")")
        }
        #expect(results.first?["test_name"] as? String == "single")
        #expect(json["config"] is [String: Any] && json["environment"] is [String: Any])
        for heading in ["## WARMUP", "## BASELINE", "## SCALING", "## STRESS", "## SATURATION", "## Status legend", "## Configuration", "## Environment"] {
            #expect(markdown.contains(heading), "markdown lacks \(heading)")
        }
        #expect(svgs.count == 2)
        for svg in svgs { #expect(markdown.contains("](\(svg))")) }
    }

    @Test("the vision phases send image_url parts, 3 to 5 per multi_image request")
    func visionPhasesSendImages() throws {
        let answer = #"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: \(answer.utf8.count)\r\n\r\n" + answer, close: false))
        defer { server.stop() }
        var config = BenchConfig(target: try HTTPTarget(url: server.url), workload: OpenAIWorkload(model: "vl"))
        config.vision = true
        config.multiplier = 0.05
        config.cooldownSeconds = 0
        config.scalingLevels = [1]
        config.skipSaturation = true
        config.threads = 1
        let bench = try BenchRunner.run(config, signals: nil)
        let vision = bench.results.filter { $0.test.type == "vision" }
        #expect(vision.count == 3)
        #expect(vision.allSatisfy { $0.run.succeeded == UInt64($0.test.requests) })
        let imageCounts = server.received.map { $0.components(separatedBy: #""type":"image_url""#).count - 1 }.filter { $0 > 0 }
        let expected = vision.reduce(0) { $0 + $1.test.requests }
        #expect(imageCounts.count == expected)
        let multi = try #require(vision.first)
        #expect(imageCounts.prefix(multi.test.requests).allSatisfy { (3...5).contains($0) }, "\(imageCounts)")
        #expect(Set(imageCounts.prefix(multi.test.requests)).count > 1, "the image count varies across requests")
    }

    @Test("an interrupted bench (SIGINT 130, SIGTERM 143) leaves a valid partial JSON marked incomplete",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptedBenchKeepsPartialResults(signal: Int32, status: Int32) throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "300"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--base-url", server.url, "--stream", "--cooldown", "0",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60) { process in
            usleep(2_000_000)
            kill(process.processIdentifier, signal)
        }
        #expect(run.status == status, "stderr: \(run.stderr)")
        let (json, markdown, _) = try benchFiles(in: directory)
        #expect(json["complete"] as? Bool == false)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(!results.isEmpty)
        let last = try #require(results.last)
        #expect(last["interrupted"] as? Bool == true)
        // Not classified: its cancelled requests would have made it FAILING.
        #expect(last["status"] as? String == "INTERRUPTED", "status \(last["status"] ?? "none")")
        #expect(!results.contains { $0["interrupted"] as? Bool == true && $0["status"] as? String == "FAILING" })
        if let peak = (json["summary"] as? [String: Any])?["peak"] as? [String: Any] {
            #expect(peak["test_name"] as? String != last["test_name"] as? String || results.filter { $0["test_name"] as? String == last["test_name"] as? String }.count > 1)
        }
        let errors = last["errors"] as? [String: Any] ?? [:]
        #expect((errors["cancelled"] as? Int ?? 0) > 0, "in-flight requests are counted as cancelled: \(errors)")
        #expect(markdown.contains("interrupted"))
    }

    @Test("a bench against a closed port stops after the warmup with exit 1 and one clear line")
    func benchAgainstClosedPort() throws {
        let port = ScriptedServer.closedPort()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--base-url", "http://127.0.0.1:\(port)", "--model", "m",
                                                                "--cooldown", "0", "--output-dir", directory, "--quiet"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot connect to 127.0.0.1:\(port)"), "stderr: \(run.stderr)")
        let (json, _, _) = try benchFiles(in: directory)
        #expect(json["complete"] as? Bool == false)
        #expect((json["results"] as? [[String: Any]])?.count == 1)
    }

    @Test("bench refuses per-test length flags and conflicting modes with exit 2", arguments: [
        ["--max-tokens", "5"], ["--quick", "--thorough"], ["--vision", "--completions"], ["http://x"], ["--scaling-levels", "0"],
    ])
    func benchFlagErrors(flags: [String]) throws {
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--model", "m"] + flags)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("loadgen bench: ") && run.stderr.split(separator: "\n").count == 1)
    }

    // MARK: loadgen latency

    @Test("latency sends N sequential requests after the warmup and saves avg, p50, p90, p99, min, max and TTFT/TPOT")
    func sequentialLatency() throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "10", "--itl-ms", "1"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["latency", "--base-url", server.url, "-n", "6", "--warmup", "2",
                                                                "--max-tokens", "5", "--stream", "--output-dir", directory])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Average latency") && run.stdout.contains("P99 latency"))
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("latency_") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))) as? [String: Any])
        #expect(json["succeeded"] as? Int == 6, "latency's JSON says succeeded, as run's does")
        #expect(json["successful"] == nil)
        #expect((json["latencies_ms"] as? [Double])?.count == 6)
        for key in ["avg_ms", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms"] {
            let value = try #require(json[key] as? Double, "\(key)")
            // TTFT 10 ms plus 4 gaps of 1 ms.
            #expect(value >= 13.9 && value < 200, "\(key) = \(value)")
        }
        let ttft = try #require(json["ttft_ms"] as? [String: Any])
        // Never earlier than the injected 10 ms; the exact figure is bench/stream-accuracy.sh's to check.
        #expect((ttft["p50"] as? Double ?? 0) >= 9.9 && (ttft["p50"] as? Double ?? 0) < 100)
        #expect(json["tpot_ms"] != nil)
    }

    @Test("an interrupted latency run (SIGINT 130, SIGTERM 143) still saves the requests completed so far",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func interruptedLatencyKeepsCompleted(signal: Int32, status: Int32) throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "200"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["latency", "--base-url", server.url, "-n", "50", "--warmup", "0",
                                                                "--stream", "--output-dir", directory], timeoutSeconds: 30) { process in
            usleep(2_500_000)
            kill(process.processIdentifier, signal)
        }
        #expect(run.status == status, "stderr: \(run.stderr)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("latency_") && $0.hasSuffix(".json") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))) as? [String: Any])
        let successful = json["succeeded"] as? Int ?? -1
        #expect(json["interrupted"] as? Bool == true)
        // At most twelve 200 ms requests fit in 2.5 s (fewer on a busy machine, whose start is
        // slower); the one in flight is cancelled, not counted.
        #expect((1...12).contains(successful), "successful: \(successful)")
        // The table says how far it got, not the 50 asked for.
        #expect(run.stdout.contains("INTERRUPTED after"), "\(run.stdout)")
        #expect(run.stdout.contains("of 50 (sequential"))
        #expect((json["latencies_ms"] as? [Double])?.count == successful)
    }
}
