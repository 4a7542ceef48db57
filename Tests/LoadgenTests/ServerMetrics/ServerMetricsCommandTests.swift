import Foundation
import Testing
@testable import Loadgen

/// Every command that runs load, with the server's metrics on, against echo-server `--metrics`
/// (its counters are what it answered, in vLLM's names, so the cross-check must be exact) and
/// against scripted metrics endpoints that stall, fail or answer garbage (the load goes on, the
/// report says what was missing).
@Suite("Server metrics in the commands", .serialized)
struct ServerMetricsCommandTests {
    private func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-metrics-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private func jsonFile(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// A window's `server_metrics`: the server's generation and prompt deltas equal the client's
    /// counts, the verdicts agree, and the client's counts are `completion`/`prompt` (plus the
    /// warmup's when given).
    private func expectExact(_ window: Any?, completionTokens: Int? = nil, _ context: String) throws {
        let metrics = try #require(window as? [String: Any], "\(context): no server_metrics")
        #expect(metrics["aligned"] as? Bool == true, "\(context)")
        let check = try #require(metrics["cross_check"] as? [String: Any])
        for quantity in ["generation_tokens", "prompt_tokens"] {
            let comparison = try #require(check[quantity] as? [String: Any])
            #expect(comparison["verdict"] as? String == "agrees", "\(context) \(quantity): \(comparison)")
            #expect((comparison["server"] as? Double).map { Int($0) } == comparison["client"] as? Int, "\(context) \(quantity): \(comparison)")
        }
        if let completionTokens {
            #expect((check["generation_tokens"] as? [String: Any])?["client"] as? Int == completionTokens, "\(context)")
        }
        #expect(check["needs_attention"] as? Bool == false)
    }

    @Test("run scrapes BASE/metrics by default: the server's token deltas equal loadgen's exactly, in the text, the JSON and a saved result")
    func runExact() throws {
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let common = ["run", "--base-url", server.url, "-c", "4", "-n", "300", "--max-tokens", "9", "--metrics-interval", "100ms"]
        let json = try CommandRunner.run(BuiltProducts.loadgen, common + ["--json"]).json()
        try expectExact(json["server_metrics"], completionTokens: 300 * 9, "run --json")
        let scraping = try #require(json["server_metrics_run"] as? [String: Any])
        #expect(scraping["urls"] as? [String] == [server.url + "/metrics"])
        #expect(scraping["scraped"] as? Bool == true && scraping["failed_scrapes"] as? Int == 0)
        #expect(((scraping["timeline"] as? [String: Any])?["windows"] as? [Any])?.count == 1)

        let text = try CommandRunner.run(BuiltProducts.loadgen, common + ["--quiet"])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.stdout.contains("Server metrics: scraped \(server.url)/metrics every 0.1 s"))
        #expect(text.stdout.contains("- generation and prompt tokens, server and loadgen exactly equal in run."), "\(text.stdout)")

        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let saved = try CommandRunner.run(BuiltProducts.loadgen, common + ["--quiet", "--save-result", "--result-dir", directory,
                                                                           "--result-filename", "r.json"])
        #expect(saved.status == 0, "stderr: \(saved.stderr)")
        #expect(try files(in: directory) == ["r.json", "r_server.svg"])
        try expectExact(try jsonFile(directory + "/r.json")["server_metrics"], completionTokens: 300 * 9, "--save-result")
    }

    @Test("a warmup in the same run is counted with the window, and the sentence says how much was warmup")
    func runWithWarmup() throws {
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-c", "8", "-n", "200", "--warmup", "50",
                                                                "--max-tokens", "3", "--json"])
        let json = try run.json()
        #expect(json["completion_tokens"] as? Int == 600)
        try expectExact(json["server_metrics"], completionTokens: 750, "run --warmup 50")
        let statement = (((json["server_metrics"] as? [String: Any])?["cross_check"] as? [String: Any])?["generation_tokens"] as? [String: Any])?["statement"] as? String
        #expect(statement == "generation tokens: server 750, loadgen 750 (600 measured + 150 warmup, sent back to back with no scrape between), exactly equal.")
    }

    @Test("--no-metrics asks nothing of /metrics; a server without one is left alone without a word")
    func offAndAbsent() throws {
        let scripted = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: false))
        defer { scripted.stop() }
        let off = try CommandRunner.run(BuiltProducts.loadgen, ["run", "http://127.0.0.1:\(scripted.port)/x", "-n", "5", "-c", "1", "--json",
                                                                "--no-metrics"])
        let offJSON = try off.json()
        #expect(offJSON["server_metrics"] == nil && offJSON["server_metrics_run"] == nil)
        #expect(!scripted.received.contains { $0.hasPrefix("GET /metrics") })

        let server = try EchoServerProcess()  // no --metrics: /metrics is a 404
        defer { server.stop() }
        let absent = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-n", "20", "--json"])
        #expect(absent.status == 0 && absent.stderr.isEmpty, "stderr: \(absent.stderr)")
        let json = try absent.json()
        #expect(json["server_metrics"] is NSNull)
        let scraping = try #require(json["server_metrics_run"] as? [String: Any])
        #expect(scraping["scraped"] as? Bool == false)
        #expect((scraping["unavailable_reason"] as? String)?.contains("/metrics answered HTTP 404") == true)
        let text = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-n", "20", "--quiet"])
        #expect(!text.stdout.contains("Server metrics"))
    }

    @Test("a metrics endpoint that stalls, errors or answers garbage never holds the load, and the report says what was missing",
          arguments: ["stall", "status", "garbage", "refused"])
    func brokenEndpoint(kind: String) throws {
        let answer: ScriptedMetricsServer.Answer = switch kind {
        case "stall": .stall
        case "status": .status(500)
        default: .garbage("<html>Bad Gateway</html>\n")
        }
        let metrics = try ScriptedMetricsServer(always: answer)
        defer { metrics.stop() }
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let url = kind == "refused" ? "http://127.0.0.1:9/metrics" : metrics.url
        let started = Date()
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-c", "4", "-n", "400", "--json",
                                                                "--metrics-url", url, "--metrics-interval", "100ms"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // At most one second for the first edge, a fifth for the next, the 0.3 s settle: never
        // the 2 s scrape timeout per edge (a stalled scrape would otherwise be waited out).
        #expect(elapsed < 6, "took \(elapsed) s")
        let json = try run.json()
        #expect(json["succeeded"] as? Int == 400)
        let window = try #require(json["server_metrics"] as? [String: Any])
        #expect(window["aligned"] as? Bool == false)
        let check = try #require(window["cross_check"] as? [String: Any])
        let generation = try #require(check["generation_tokens"] as? [String: Any])
        #expect(generation["verdict"] as? String == "not_alignable")
        #expect((generation["statement"] as? String)?.hasPrefix("generation tokens: CANNOT be compared, the window is not aligned: \(url): no good scrape before the window started") == true,
                "\(generation["statement"] ?? "")")
        #expect(check["needs_attention"] as? Bool == true)
        let scraping = try #require(json["server_metrics_run"] as? [String: Any])
        let failures = scraping["failures"] as? String ?? ""
        switch kind {
        case "stall":
            // The stalled scrapes are cut short by the stop, so the edges say what went unanswered.
            let edges = window["unanswered_edge_scrapes"] as? [[String: Any]] ?? []
            #expect(edges.map { $0["edge"] as? String } == ["before", "after"], "\(edges)")
        case "status": #expect(failures.contains("HTTP 500"), "\(failures)")
        case "garbage": #expect(failures.contains("not Prometheus text"), "\(failures)")
        default: #expect(failures.contains("connect"), "\(failures)")
        }
        if kind != "stall" { #expect(scraping["failed_scrapes"] as? Int ?? 0 >= 2) }
    }

    @Test("two replicas: the windows sum both endpoints, the table gains a replica column and an all row")
    func twoReplicas() throws {
        let first = try EchoServerProcess(arguments: ["--metrics"])
        defer { first.stop() }
        let second = try EchoServerProcess(arguments: ["--metrics"])
        defer { second.stop() }
        let common = ["run", "--base-url", first.url, "-c", "2", "-n", "100", "--max-tokens", "4",
                      "--metrics-url", first.url + "/metrics", "--metrics-url", second.url + "/metrics"]
        let json = try CommandRunner.run(BuiltProducts.loadgen, common + ["--json"]).json()
        try expectExact(json["server_metrics"], completionTokens: 400, "two replicas")
        let replicas = try #require((json["server_metrics"] as? [String: Any])?["replicas"] as? [[String: Any]])
        #expect(replicas.map { $0["url"] as? String } == [first.url + "/metrics", second.url + "/metrics"])
        let text = try CommandRunner.run(BuiltProducts.loadgen, common + ["--quiet"]).stdout
        #expect(text.contains("| Window | Replica |") && text.contains("|    run |     all |"), "\(text)")
    }

    @Test("metrics flags that cannot work are refused with exit 2 and one line", arguments: [
        ["--no-metrics", "--metrics-url", "http://127.0.0.1:1/metrics"], ["--metrics-url", "ftp://host/metrics"],
        ["--metrics-interval", "10ms"], ["--no-metrics", "--metrics-interval", "2s"],
    ])
    func refusedFlags(flags: [String]) throws {
        for command in [["run", "--model", "m", "-n", "1"], ["bench", "--model", "m"], ["sweep", "--model", "m"], ["latency", "--model", "m"],
                        ["validate"]] {
            let run = try CommandRunner.run(BuiltProducts.loadgen, command + flags)
            #expect(run.status == 2, "\(command + flags): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }
    }

    @Test("bench --quick: every test has exact server figures, the Markdown its server table and the timeline marks every test")
    func benchQuick() throws {
        let server = try EchoServerProcess(arguments: ["--metrics", "--threads", "2"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--base-url", server.url, "--quick", "--cooldown", "0",
                                                                "--output-dir", directory, "--quiet", "--stream"], timeoutSeconds: 180)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Server metrics:\n|"), "\(run.stdout)")
        #expect(run.stdout.contains("exactly equal in every window"), "\(run.stdout)")
        let names = try files(in: directory)
        let stem = String(try #require(names.first { $0.hasSuffix(".json") }).dropLast(5))
        #expect(names.contains(stem + "_server.svg"))
        let json = try jsonFile(directory + "/" + stem + ".json")
        let results = try #require(json["results"] as? [[String: Any]])
        // The scaling phase stops at its first saturated level, which a busy machine reaches
        // sooner: count phases, not tests.
        let phases = Set(results.compactMap { $0["phase"] as? String })
        #expect(phases.isSuperset(of: ["BASELINE", "SCALING"]), "\(phases)")
        #expect(results.count >= 5)
        for result in results {
            try expectExact(result["server_metrics"], completionTokens: result["completion_tokens"] as? Int, "\(result["test_name"] ?? "?")")
        }
        let scraping = try #require(json["server_metrics_run"] as? [String: Any])
        #expect(((scraping["timeline"] as? [String: Any])?["windows"] as? [Any])?.count == results.count)
        let markdown = try String(contentsOfFile: directory + "/" + stem + ".md", encoding: .utf8)
        #expect(markdown.contains("## Server metrics") && markdown.contains("](\(stem)_server.svg)"))
        let svg = try String(contentsOfFile: directory + "/" + stem + "_server.svg", encoding: .utf8)
        for result in results { #expect(svg.contains(">\(result["test_name"] as? String ?? "?")</text>")) }
    }

    @Test("sweep: every level of every run has exact server figures, after warmups and across runs")
    func sweep() throws {
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", server.url, "--levels", "2,6", "--runs", "2", "-n", "60",
                                                                "--cooldown", "0", "--input-tokens", "30", "--max-tokens", "5",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 120)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let names = try files(in: directory)
        let stem = String(try #require(names.first { $0.hasSuffix(".json") }).dropLast(5))
        #expect(names.contains(stem + "_server.svg"))
        let json = try jsonFile(directory + "/" + stem + ".json")
        let runs = try #require(json["runs"] as? [[String: Any]])
        let levels = runs.flatMap { $0["levels"] as? [[String: Any]] ?? [] }
        #expect(levels.count == 4)
        for level in levels { try expectExact(level["server_metrics"], completionTokens: 300, "sweep c=\(level["concurrency"] ?? "?")") }
        let markdown = try String(contentsOfFile: directory + "/" + stem + ".md", encoding: .utf8)
        #expect(markdown.contains("## Server metrics") && markdown.contains("run 2 c=6"))
    }

    @Test("validate --url with a 1 s-style warmup per level: each level counts its warmup too, exactly")
    func validateURL() throws {
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["validate", "--url", server.url, "--levels", "2,8", "-d", "300ms",
                                                                "--warmup", "150ms", "--output-dir", directory, "--quiet"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Server metrics:"))
        let stem = String(try #require(try files(in: directory).first { $0.hasSuffix(".json") }).dropLast(5))
        let json = try jsonFile(directory + "/" + stem + ".json")
        for level in try #require(json["levels"] as? [[String: Any]]) {
            try expectExact(level["server_metrics"], "validate c=\(level["concurrency"] ?? "?")")
            #expect(((level["server_metrics"] as? [String: Any])?["window"] as? [String: Any]) != nil)
        }
        #expect(try files(in: directory).contains(stem + "_server.svg"))
    }

    @Test("latency: the sequential requests' server figures are exact and the timeline is saved beside the JSON")
    func latency() throws {
        let server = try EchoServerProcess(arguments: ["--metrics", "--ttft-ms", "2", "--itl-ms", "1"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["latency", "--base-url", server.url, "-n", "5", "--max-tokens", "6",
                                                                "--stream", "--output-dir", directory])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Server metrics: scraped"))
        let names = try files(in: directory)
        let stem = String(try #require(names.first { $0.hasSuffix(".json") }).dropLast(5))
        #expect(names == [stem + ".json", stem + "_server.svg"])
        let json = try jsonFile(directory + "/" + stem + ".json")
        try expectExact(json["server_metrics"], completionTokens: 30, "latency")
        #expect((json["server_metrics_run"] as? [String: Any])?["scraped"] as? Bool == true)
    }

    @Test("echo-server --metrics counts the tokens it answered in vLLM's names; without the flag /metrics is a 404")
    func echoServerMetrics() throws {
        let server = try EchoServerProcess(arguments: ["--metrics"])
        defer { server.stop() }
        let target = try HTTPTarget(url: server.url)
        let before = try HTTPFetch.get(target, path: "/metrics")
        #expect(before.status == 200)
        let exposition = try PrometheusTextParser.parse(before.body)
        #expect(exposition.families.map(\.name).contains("vllm:generation_tokens_total"))
        _ = try LoadRun.run({ () throws -> LoadPlan in
            var plan = LoadPlan(target: target)
            var workload = OpenAIWorkload(model: "m")
            workload.outputTokens = .fixed(11)
            plan.workload = workload
            plan.stop = .requests(30)
            plan.concurrency = 3
            return plan
        }())
        let after = String(decoding: try HTTPFetch.get(target, path: "/metrics").body, as: UTF8.self)
        #expect(after.contains("vllm:generation_tokens_total{engine=\"0\",model_name=\"echo-model\"} 330\n"), "\(after)")
        #expect(after.contains("vllm:request_success_total{engine=\"0\",model_name=\"echo-model\",finished_reason=\"length\"} 30\n"))
        let plain = try EchoServerProcess()
        defer { plain.stop() }
        #expect(try HTTPFetch.get(try HTTPTarget(url: plain.url), path: "/metrics").status == 404)
    }
}
