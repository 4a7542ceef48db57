import Foundation
import Testing
@testable import Loadgen

/// `vllm bench serve`'s flag names, accepted beside loadgen's with vLLM's meanings, and
/// `--save-result` written under vLLM's result field names (issue 13, part 2).
@Suite("vllm bench serve flags", .serialized)
struct VLLMFlagsTests {
    private func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "loadgen-vllm-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func readJSON(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The vLLM flags named in the README's table of equivalents.
    private func readmeFlags() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Coming from vllm bench serve").dropFirst().first)
        let table = section.components(separatedBy: "\n\n").first { $0.contains("| `vllm bench serve`") } ?? ""
        var flags: [String] = []
        for row in table.split(separator: "\n").dropFirst(2) {
            let first = row.split(separator: "|").first ?? ""
            for piece in first.split(separator: "`") where piece.hasPrefix("-") {
                flags.append(String(piece.split(separator: " ").first ?? ""))
            }
        }
        return flags
    }

    @Test("every flag of the README's table of vLLM equivalents is one run --help documents")
    func readmeTableMatchesHelp() throws {
        let flags = try readmeFlags()
        #expect(flags.count >= 20, "the table lists the flags: \(flags)")
        let help = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--help"]).stdout
        for flag in flags { #expect(help.contains(flag), "run --help does not mention \(flag)") }
    }

    @Test("a vllm bench serve command line runs as typed, and --save-result writes vLLM's field names")
    func vLLMCommandLineRuns() throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "2", "--itl-ms", "1"])
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "--base-url", server.url, "--endpoint", "/v1/chat/completions", "--backend", "openai-chat",
            "--dataset-name", "random", "--num-prompts", "24", "--request-rate", "inf", "--max-concurrency", "4",
            "--random-input-len", "64", "--random-output-len", "8", "--random-range-ratio", "0.5", "--seed", "3", "--ignore-eos",
            "--goodput", "ttft:5000", "tpot:1000", "e2el:10000", "--percentile-metrics", "ttft,tpot,itl,e2el", "--metric-percentiles", "50,99",
            "--num-warmups", "2", "--save-result", "--result-dir", directory, "--stream", "--disable-tqdm",
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
        // vLLM's default name: {backend}-{rate}qps-concurrency{N}-{model}-{YYYYMMDD-HHMMSS}.json
        #expect(name.hasPrefix("openai-chat-infqps-concurrency4-echo-model-") && name.hasSuffix(".json"), "\(name)")
        let json = try readJSON(directory + "/" + name)
        for field in ["completed", "failed", "duration", "total_input_tokens", "total_output_tokens", "request_throughput",
                      "output_throughput", "total_token_throughput", "request_goodput", "max_concurrency", "request_rate", "burstiness"] {
            #expect(json[field] != nil, "no \(field)")
        }
        for metric in ["ttft", "tpot", "itl", "e2el"] {
            for stat in ["mean", "median", "std", "p50", "p99"] {
                #expect(json["\(stat)_\(metric)_ms"] is Double || json["\(stat)_\(metric)_ms"] is Int, "no \(stat)_\(metric)_ms")
            }
        }
        #expect(json["completed"] as? Int == 24)
        #expect(json["failed"] as? Int == 0)
        #expect(json["request_rate"] as? String == "inf")
        #expect(json["max_concurrency"] as? Int == 4)
        #expect(json["model_id"] as? String == "echo-model")
        #expect(json["total_output_tokens"] as? Int == json["completion_tokens"] as? Int, "loadgen's own fields are kept beside vLLM's")
        let requested = Double(json["requested_output_tokens"] as? Int ?? 0) / 24
        // vLLM's ratio: output lengths uniform in [floor(8 * 0.5), ceil(8 * 1.5)] = [4, 12].
        #expect(requested >= 4 && requested <= 12, "mean requested output length \(requested)")
        #expect(json["warmup_requests"] as? Int == 2)
        // --request-rate inf is a closed loop of --max-concurrency connections.
        #expect(json["concurrency"] as? Int == 4 && json["requested_rate"] == nil)
        let slo = try #require(json["slo"] as? [String: Any])
        #expect(slo["ttft_ms"] as? Double == 5000 && slo["tpot_ms"] as? Double == 1000 && slo["e2e_ms"] as? Double == 10000)
        // The text shows the percentiles asked for.
        let header = try #require(run.stdout.split(separator: "\n").first { $0.contains("mean") && $0.contains("p99") })
        #expect(header.contains("p50") && !header.contains("p90"), "\(header)")
    }

    @Test("--request-rate R is an open loop at R, with --burstiness as the gamma shape; inf without a cap sends -n at once")
    func requestRateMeanings() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let open = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--num-prompts", "30", "--request-rate", "300",
                                                                 "--burstiness", "0.5", "--random-output-len", "2", "--json"]).json()
        #expect(open["requested_rate"] as? Double == 300)
        #expect(open["requests"] as? Int == 30)
        let all = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "--num-prompts", "30", "--request-rate", "inf",
                                                                "--random-output-len", "2", "--json"]).json()
        #expect(all["concurrency"] as? Int == 30, "every prompt at once")
        let refused = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", server.url, "-d", "1s", "--request-rate", "inf"])
        #expect(refused.status == 2, "inf needs -n or --max-concurrency: \(refused.stderr)")
    }

    @Test("--endpoint is a path under --base-url, as vLLM joins them, and picks chat or completions; --host/--port name the server")
    func endpointAndHost() throws {
        let body = #"{"choices":[{"text":"x"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body, close: false))
        defer { server.stop() }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--base-url", "http://127.0.0.1:\(server.port)/v1", "--endpoint", "/completions",
                                                                "--model", "m", "-n", "2", "-c", "1", "--header", "x-a=1", "x-b=2", "--quiet",
                                                                "--no-metrics"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        // Before the run loadgen asks POST /tokenize (this server answers no tokenizer).
        let request = try #require(server.received.first { !$0.hasPrefix("POST /tokenize") })
        #expect(request.hasPrefix("POST /v1/completions HTTP/1.1\r\n"), "\(request.prefix(50))")
        #expect(request.contains("x-a: 1\r\n") && request.contains("x-b: 2\r\n"), "vLLM's --header KEY=VALUE KEY=VALUE")
        #expect(request.contains(#""prompt":"#), "a completions body")
        let hostPort = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--host", "127.0.0.1", "--port", "\(server.port)", "--backend", "openai",
                                                                     "--model", "m", "-n", "1", "--quiet"])
        #expect(hostPort.status == 0, "stderr: \(hostPort.stderr)")
        for bad in [["--endpoint", "/v1/embeddings"], ["--dataset-name", "sharegpt"], ["--backend", "tgi"],
                    ["--random-range-ratio", "1.5"], ["--endpoint", "/v1/completions", "--backend", "openai-chat"],
                    ["--random-input-len", "10", "--input-tokens", "20"], ["--percentile-metrics", "ttft,bogus"]] {
            let refused = try CommandRunner.run(BuiltProducts.loadgen, ["run", "--model", "m", "-n", "1"] + bad)
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("vLLM's range ratio: lengths uniform in [floor(L(1-R)), ceil(L(1+R))], outputs at least 1")
    func rangeRatio() {
        #expect(TokenCount.vLLMRange(length: 100, ratio: 0.5) == .uniform(50...150))
        #expect(TokenCount.vLLMRange(length: 1024, ratio: 0) == .fixed(1024))
        #expect(TokenCount.vLLMRange(length: 3, ratio: 0.9) == .uniform(1...6))
        #expect(TokenCount.vLLMRange(length: 7, ratio: 0.1) == .uniform(6...8))
    }

    @Test("vLLM's result file name writes the rate as Python prints a float")
    func fileName() {
        var settings = VLLMResult.Settings(backend: "openai", modelID: "Qwen/Qwen3-8B", numPrompts: 10, requestRate: 10,
                                           burstiness: 1, maxConcurrency: 8, date: "20250101-120000")
        #expect(VLLMResult.fileName(settings) == "openai-10.0qps-concurrency8-Qwen3-8B-20250101-120000.json")
        settings.requestRate = 2.5
        settings.label = "mine"
        #expect(VLLMResult.fileName(settings) == "mine-2.5qps-concurrency8-Qwen3-8B-20250101-120000.json")
        settings.requestRate = nil
        #expect(VLLMResult.fileName(settings).hasPrefix("mine-infqps-"))
    }
}
