import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// A scratch file under the temporary directory, removed by the caller.
private func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let path = NSTemporaryDirectory() + "loadgen-merge-\(UUID().uuidString)-" + name
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

private func remove(_ paths: [String]) {
    for path in paths { try? FileManager.default.removeItem(atPath: path) }
}

/// A result with every member `RunReport.json` can write: errors, examples, open loop, SLO, streaming.
private func craftedResult(startedAt: Double?, endedAt: Double?, requests: UInt64 = 10, seed: UInt64 = 1) -> RunResult {
    var result = RunResult()
    result.requests = requests
    result.succeeded = requests - 3
    result.failures.add(.timeout, count: 1)
    result.failures.add(.httpStatus(503), count: 2)
    for index in 0..<(requests - 3) {
        result.latency.record(nanoseconds: 1_000_000 * seed + index * 37_000)
        result.timeToFirstToken.record(nanoseconds: 200_000 * seed + index * 1_000)
        result.timePerOutputToken.record(nanoseconds: 50_000 + index * 10)
        result.interTokenLatency.record(nanoseconds: 48_000 + index * 20)
        result.sendLag.record(nanoseconds: 3_000 + index)
    }
    result.streamedResponses = requests - 3
    result.errorExamples = [HTTPErrorExample(status: 503, body: Array(#"{"error":"busy \"now\""}"#.utf8))]
    result.durationSeconds = (endedAt ?? 0) - (startedAt ?? 0)
    result.startedAtWallSeconds = startedAt
    result.endedAtWallSeconds = endedAt
    result.promptTokens = 1000 * seed
    result.completionTokens = 70 * seed
    result.requestedPromptTokens = 990
    result.requestedOutputTokens = 70
    result.connectionsOpened = 4
    result.concurrency = 4
    result.threads = 2
    result.warmupRequests = 2
    result.bytesSent = 12_345
    result.bytesReceived = 67_890
    result.clientCPUUserMicroseconds = 1500
    result.clientCPUSystemMicroseconds = 700
    result.goodRequests = 5
    result.objectives = ServiceLevelObjectives(ttftMilliseconds: 500, e2eMilliseconds: 2000)
    result.requestedRate = 20
    result.scheduleWindowNanoseconds = 500_000_000
    return result
}

@Suite("Run results merged across processes", .serialized)
struct RunMergeTests {
    @Test("two runs at the same time merge into the sum of their counts and the merged histogram's percentiles")
    func twoSimultaneousRuns() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        func plan(concurrency: Int, requests: Int, maxTokens: Int) throws -> LoadPlan {
            var plan = try LoadPlan(url: server.url + "/v1/chat/completions")
            plan.method = "POST"
            plan.headers = [HTTPHeader("Content-Type", "application/json")]
            plan.body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":\#(maxTokens),"stream":true,"stream_options":{"include_usage":true}}"#.utf8)
            plan.concurrency = concurrency
            plan.stop = .requests(requests)
            plan.threads = 1
            plan.requestTimeoutSeconds = 10
            return plan
        }
        let before = Date().timeIntervalSince1970
        let runA = try LoadRun.start(try plan(concurrency: 3, requests: 300, maxTokens: 4))
        let runB = try LoadRun.start(try plan(concurrency: 5, requests: 500, maxTokens: 6))
        let a = try runA.wait()
        let b = try runB.wait()
        let after = Date().timeIntervalSince1970
        #expect(a.succeeded == 300 && b.succeeded == 500)

        let startA = try #require(a.startedAtWallSeconds)
        let endB = try #require(b.endedAtWallSeconds)
        #expect(startA >= before - 0.01 && endB <= after + 0.01, "the window is on the wall clock")
        #expect(abs((try #require(a.endedAtWallSeconds) - startA) - a.durationSeconds) < 1e-6)

        let pathA = try temporaryFile("a.json", RunReport.json(a).serialized())
        let pathB = try temporaryFile("b.json", RunReport.json(b).serialized())
        defer { remove([pathA, pathB]) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge", pathA, pathB])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.isEmpty, "windows that overlap need no note: \(run.stderr)")
        let json = try run.json()

        #expect(json["requests"] as? Int == 800)
        #expect(json["succeeded"] as? Int == 800)
        #expect(json["completion_tokens"] as? Int == 300 * 4 + 500 * 6)
        #expect(json["prompt_tokens"] as? Int == Int(a.promptTokens + b.promptTokens))
        #expect(json["concurrency"] as? Int == 8)
        #expect(json["connections_opened"] as? Int == 8)
        #expect(json["streamed_responses"] as? Int == 800)
        #expect(json["merged_from"] as? [String] == [pathA, pathB])

        var latency = a.latency
        latency.merge(b.latency)
        var ttft = a.timeToFirstToken
        ttft.merge(b.timeToFirstToken)
        let expected = LatencySummary(latency)
        let expectedTTFT = LatencySummary(ttft)
        let latencyJSON = try #require(json["latency_ms"] as? [String: Any])
        let ttftJSON = try #require(json["ttft_ms"] as? [String: Any])
        // The JSON rounds to 4 decimals of a millisecond.
        for (key, value) in [("p50", expected.p50), ("p90", expected.p90), ("p99", expected.p99), ("max", expected.max), ("mean", expected.mean)] {
            let merged = try #require(latencyJSON[key] as? Double)
            #expect(abs(merged - value) < 0.00006, "latency \(key): merged \(merged), in-process \(value)")
        }
        for (key, value) in [("p50", expectedTTFT.p50), ("p99", expectedTTFT.p99)] {
            let merged = try #require(ttftJSON[key] as? Double)
            #expect(abs(merged - value) < 0.00006, "ttft \(key): merged \(merged), in-process \(value)")
        }
        #expect(json["latency_histogram"] as? String == latency.encoded())

        // The windows overlap, so the duration is the earliest start to the latest end.
        let start = min(startA, try #require(b.startedAtWallSeconds))
        let end = max(try #require(a.endedAtWallSeconds), endB)
        let duration = try #require(json["duration_sec"] as? Double)
        #expect(abs(duration - (end - start)) < 2e-6, "duration \(duration), window \(end - start)")
        #expect(duration >= max(a.durationSeconds, b.durationSeconds) - 1e-6)
        let throughput = try #require(json["throughput_total"] as? Double)
        let tokens = Double(a.promptTokens + a.completionTokens + b.promptTokens + b.completionTokens)
        #expect(abs(throughput - tokens / duration) / throughput < 1e-4)
    }

    @Test("loadgen run --json files from runs one after the other merge over their windows, gaps left out")
    func sequentialCommandLineRuns() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        var paths: [String] = []
        defer { remove(paths) }
        for requests in [100, 150] {
            let run = try CommandRunner.run(BuiltProducts.loadgen, [
                "run", server.url + "/v1/completions", "-n", String(requests), "-c", "2", "-t", "1", "--json",
                "--body", #"{"model":"m","prompt":"abcdabcd","max_tokens":3}"#,
            ])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            paths.append(try temporaryFile("part\(requests).json", run.stdout))
        }
        let parts = try paths.map { try RunReportDecoder.result(from: JSONParser.parse(String(contentsOfFile: $0, encoding: .utf8))) }
        let output = NSTemporaryDirectory() + "loadgen-merged-\(UUID().uuidString).json"
        paths.append(output)
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge", paths[0], paths[1], "--output", output, "--text"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("250 started, 250 succeeded"), "\(run.stdout)")
        #expect(run.stdout.contains("the runs did not overlap"), "\(run.stdout)")
        #expect(run.stderr.split(separator: "\n").count == 1 && run.stderr.contains("note:"), "\(run.stderr)")

        let merged = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any])
        #expect(merged["requests"] as? Int == 250)
        #expect(merged["completion_tokens"] as? Int == 750)
        // Disjoint windows: the duration is the sum of the two, not first start to last end.
        let duration = try #require(merged["duration_sec"] as? Double)
        #expect(abs(duration - (parts[0].durationSeconds + parts[1].durationSeconds)) < 3e-6, "duration \(duration)")
        let started = try #require(merged["started_at"] as? Double)
        let ended = try #require(merged["ended_at"] as? Double)
        #expect(ended - started > duration, "the span includes the gap between the runs")
    }

    @Test("a run result goes through JSON and back unchanged")
    func decoderRoundTrip() throws {
        let original = craftedResult(startedAt: 1_700_000_000.25, endedAt: 1_700_000_010.75)
        let json = RunReport.json(original)
        let decoded = try RunReportDecoder.result(from: JSONParser.parse(json.serialized(pretty: true)))
        #expect(RunReport.json(decoded).serialized() == json.serialized())
        #expect(decoded.latency == original.latency)
        #expect(decoded.timeToFirstToken == original.timeToFirstToken)
        #expect(decoded.sendLag == original.sendLag)
        #expect(decoded.failures == original.failures)
        #expect(decoded.errorExamples == original.errorExamples)
        #expect(decoded.objectives == original.objectives)
        #expect(decoded.clientCPUSystemMicroseconds == 700)
    }

    @Test("a run --json file's text decodes as its parsed JSON does; text that is not JSON says so")
    func decoderReadsText() throws {
        let text = RunReport.json(craftedResult(startedAt: 100, endedAt: 110)).serialized(pretty: true)
        let decoded = try RunReportDecoder.result(fromJSONText: text)
        #expect(RunReport.json(decoded).serialized() == RunReport.json(try RunReportDecoder.result(from: JSONParser.parse(text))).serialized())
        #expect(decoded.failures[.timeout] == 1 && decoded.failures.count(status: 503) == 2)
        #expect(throws: RunReportDecodingError.self) { try RunReportDecoder.result(fromJSONText: "{\"requests\": 5") }
        let error = #expect(throws: RunReportDecodingError.self) { try RunReportDecoder.result(fromJSONText: "not JSON") }
        #expect(error?.description.hasPrefix("invalid JSON: ") == true, "\(String(describing: error))")
    }

    @Test("overlapping windows merge to their union; disjoint ones leave the gap out")
    func windowsUnion() throws {
        let overlapping = try RunMerge([
            craftedResult(startedAt: 100, endedAt: 110),
            craftedResult(startedAt: 105, endedAt: 112, requests: 20, seed: 2),
        ])
        #expect(overlapping.result.durationSeconds == 12)
        #expect(overlapping.windowsAreContiguous)
        #expect(overlapping.result.requests == 30)
        #expect(overlapping.result.succeeded == 24)
        #expect(overlapping.result.failures[.timeout] == 2 && overlapping.result.failures.count(status: 503) == 4)
        #expect(overlapping.result.promptTokens == 3000)
        #expect(overlapping.result.requestedRate == 40, "each process offered its own rate")
        #expect(overlapping.result.concurrency == 8 && overlapping.result.threads == 4)
        #expect(overlapping.result.clientCPUUserMicroseconds == 3000)
        #expect(abs(overlapping.result.throughputTotal - Double(3000 + 210) / 12) < 1e-9)
        #expect(overlapping.result.startedAtWallSeconds == 100 && overlapping.result.endedAtWallSeconds == 112)

        let disjoint = try RunMerge([
            craftedResult(startedAt: 120, endedAt: 125),
            craftedResult(startedAt: 100, endedAt: 110),
            craftedResult(startedAt: 108, endedAt: 109),
        ])
        #expect(disjoint.result.durationSeconds == 15)
        #expect(disjoint.spanSeconds == 25)
        #expect(!disjoint.windowsAreContiguous)

        let withIdlePart = try RunMerge([craftedResult(startedAt: 100, endedAt: 110), craftedResult(startedAt: nil, endedAt: nil)])
        #expect(withIdlePart.result.durationSeconds == 10)
    }

    @Test("results measured against different objectives, or none at all, do not merge")
    func refusedMerges() {
        var other = craftedResult(startedAt: 100, endedAt: 110)
        other.objectives = ServiceLevelObjectives(ttftMilliseconds: 100)
        #expect(throws: RunMergeError.differentObjectives(part: 1)) {
            try RunMerge([craftedResult(startedAt: 100, endedAt: 110), other])
        }
        #expect(throws: RunMergeError.noParts) { try RunMerge([]) }
    }

    @Test("the same result given twice (same started_at and counts) is refused, naming both files")
    func duplicateRefused() throws {
        let part = craftedResult(startedAt: 100, endedAt: 110)
        #expect(throws: RunMergeError.duplicate(part: 1, of: 0)) { try RunMerge([part, part]) }
        let first = try temporaryFile("a.json", Self.good)
        let copy = try temporaryFile("b.json", Self.good)
        defer { remove([first, copy]) }
        for paths in [[first, first], [first, copy]] {
            let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge"] + paths)
            #expect(run.status == 1)
            #expect(run.stderr.contains("\(paths[1]) is the same run as \(paths[0])"), "stderr: \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }

    @Test("a streamed OpenAI run and a plain HTTP run are refused together, naming the files")
    func mixedWorkloadsRefused() throws {
        var streamed = craftedResult(startedAt: 100, endedAt: 110, seed: 2)
        streamed.workloadKind = .openAIStreamed
        let plain = craftedResult(startedAt: 100, endedAt: 110)
        #expect(throws: RunMergeError.differentWorkloads(part: 1, kind: "streamed OpenAI", firstKind: "plain HTTP")) {
            try RunMerge([plain, streamed])
        }
        let plainFile = try temporaryFile("plain.json", RunReport.json(plain).serialized())
        let streamedFile = try temporaryFile("streamed.json", RunReport.json(streamed).serialized())
        defer { remove([plainFile, streamedFile]) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge", plainFile, streamedFile])
        #expect(run.status == 1)
        #expect(run.stderr.contains(streamedFile) && run.stderr.contains(plainFile) && run.stderr.contains("streamed OpenAI"), "stderr: \(run.stderr)")
    }

    static let good = RunReport.json(craftedResult(startedAt: 100, endedAt: 110)).serialized()

    /// A broken input file, named for what is wrong with it, and the reason the error must give.
    struct BadFile: CustomTestStringConvertible, Sendable {
        var name: String
        var contents: String
        var reason: String
        var testDescription: String { name }

        init(_ name: String, _ contents: String, _ reason: String) {
            self.name = name
            self.contents = contents
            self.reason = reason
        }

        init(_ name: String, replacing old: String, with new: String, _ reason: String) {
            precondition(RunMergeTests.good.contains(old), "\(old) not in the crafted result")
            self.init(name, RunMergeTests.good.replacingOccurrences(of: old, with: new), reason)
        }
    }

    @Test("bad input files exit 1 with one line naming the file and the reason", arguments: [
        BadFile("not JSON", "not JSON at all", "invalid JSON"),
        BadFile("truncated", #"{"requests": 5, "succeeded": 5"#, "invalid JSON"),
        BadFile("an array", "[1, 2, 3]", "not a loadgen run --json result"),
        BadFile("a bench file", #"{"config": {}, "results": []}"#, "not a loadgen run --json result"),
        BadFile("histogram count off", replacing: #""latency_histogram":"v2:7:"#, with: #""latency_histogram":"v2:8:"#, "'latency_histogram' is missing or corrupt"),
        BadFile("histogram missing", replacing: #""latency_histogram":"#, with: #""old_histogram":"#, "'latency_histogram' is missing or corrupt"),
        BadFile("old histogram version", replacing: #""ttft_histogram":"v2:"#, with: #""ttft_histogram":"v1:"#, "'ttft_histogram' is missing or corrupt"),
        BadFile("no wall-clock window", replacing: #""started_at":"#, with: #""begun_at":"#, "too old to merge"),
        BadFile("counts not adding up", replacing: #""succeeded":7"#, with: #""succeeded":6"#, "inconsistent"),
        BadFile("unknown error class", replacing: #""timeout":1"#, with: #""time_out":1"#, "'errors.time_out'"),
        BadFile("repeated error class", replacing: #""timeout":1"#, with: #""timeout":1,"timeout":1"#, "'errors.timeout'"),
        BadFile("negative count", replacing: #""bytes_sent":12345"#, with: #""bytes_sent":-1"#, "'bytes_sent'"),
        BadFile("huge count", replacing: #""bytes_sent":12345"#, with: #""bytes_sent":99999999999999999999999"#, "'bytes_sent'"),
        BadFile("nested 100,000 deep", String(repeating: "[", count: 100_000), "nesting deeper"),
    ])
    func badFiles(file: BadFile) throws {
        let bad = try temporaryFile("bad.json", file.contents)
        let good = try temporaryFile("good.json", Self.good)
        defer { remove([bad, good]) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge", good, bad])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(bad) && run.stderr.contains(file.reason), "stderr: \(run.stderr)")
    }

    @Test("a missing file exits 1, bad arguments exit 2, each with one line")
    func badArguments() throws {
        let missing = try CommandRunner.run(BuiltProducts.loadgen, ["merge", "/nonexistent/part1.json"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "loadgen merge: cannot read '/nonexistent/part1.json': No such file or directory\n")
        for arguments in [["merge"], ["merge", "--frobnicate", "x.json"], ["merge", "x.json", "--output"]] {
            let run = try CommandRunner.run(BuiltProducts.loadgen, arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
        }
        let help = try CommandRunner.run(BuiltProducts.loadgen, ["merge", "--help"])
        #expect(help.status == 0 && help.stdout.contains("usage: loadgen merge FILE..."))
    }

    @Test("Ctrl-C ends merge at once (only commands that run load turn signals into events)")
    func mergeIsInterruptible() throws {
        let fifo = NSTemporaryDirectory() + "loadgen-merge-\(getpid()).fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Opening a FIFO with no writer blocks: merge waits there until the signal.
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["merge", fifo], timeoutSeconds: 10) { process in
            usleep(300_000)
            kill(process.processIdentifier, SIGINT)
        }
        #expect(run.signalled && run.status == SIGINT, "status \(run.status), signalled \(run.signalled)")
    }
}
