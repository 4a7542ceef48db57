import Foundation
import HTTPWire
import Testing
@testable import Loadgen

/// The per-request export (`LoadPlan.recordsRequests`, `loadgen run --requests-out`): one record
/// per started measured request, in its outcome, with times in order, written as JSON lines.
@Suite("Per-request records", .serialized)
struct RequestRecordTests {
    private func streamingPlan(_ server: EchoServerProcess, requests: Int, maxTokens: Int) throws -> LoadPlan {
        var plan = try LoadPlan(url: server.url + "/v1/chat/completions")
        plan.method = "POST"
        plan.headers = [HTTPHeader("Content-Type", "application/json")]
        plan.body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":\#(maxTokens),"stream":true,"stream_options":{"include_usage":true}}"#.utf8)
        plan.concurrency = 3
        plan.threads = 2
        plan.stop = .requests(requests)
        plan.requestTimeoutSeconds = 30
        return plan
    }

    @Test("one record per measured request, warmup left out, times in order and tokens as the server counted")
    func oneRecordPerMeasuredRequest() throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "5", "--itl-ms", "1"])
        defer { server.stop() }
        let maxTokens = 6
        var plan = try streamingPlan(server, requests: 12, maxTokens: maxTokens)
        plan.warmupRequests = 2
        plan.recordsRequests = true
        let result = try LoadRun.run(plan)
        #expect(result.requests == 12)
        #expect(result.requestRecords.count == Int(result.requests), "one record per started request")
        #expect(result.requestRecords.allSatisfy { $0.failure == nil })
        #expect(result.requestRecords.map(\.outputTokens).reduce(0, +) == result.completionTokens)
        #expect(result.requestRecords.map(\.promptTokens).reduce(0, +) == result.promptTokens)
        for record in result.requestRecords {
            #expect(record.tokenEvents == maxTokens)
            #expect(record.startNanoseconds >= result.firstSendNanoseconds, "a warmup request was recorded")
            #expect(record.startNanoseconds < record.firstTokenNanoseconds)
            // Events that arrive in one read share its stamp: a loaded machine may read them all at once.
            #expect(record.firstTokenNanoseconds <= record.lastTokenNanoseconds)
            #expect(record.lastTokenNanoseconds <= record.endNanoseconds)
        }
    }

    @Test("without the option nothing is recorded")
    func offByDefault() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let result = try LoadRun.run(try streamingPlan(server, requests: 5, maxTokens: 2))
        #expect(result.succeeded == 5)
        #expect(result.requestRecords.isEmpty)
    }

    @Test("failures are recorded in their class, and the counts add up to the report's")
    func failuresInTheirClass() throws {
        let server = try EchoServerProcess(arguments: ["--fault", "status-503:0.5"])
        defer { server.stop() }
        var plan = try streamingPlan(server, requests: 20, maxTokens: 2)
        plan.threads = 1
        plan.concurrency = 2
        plan.recordsRequests = true
        let result = try LoadRun.run(plan)
        #expect(result.requestRecords.count == 20)
        let failed = result.requestRecords.filter { $0.failure != nil }
        #expect(failed.count == Int(result.failed))
        #expect(failed.allSatisfy { $0.failure == .httpStatus(503) && $0.outputTokens == 0 })
        #expect(result.requestRecords.count - failed.count == Int(result.succeeded))
    }

    @Test("the JSON lines: one per record in send order, times in ms from the start, null without tokens")
    func lineFormat() throws {
        let second: UInt64 = 1_000_000_000
        let records = [
            RequestRecord(startNanoseconds: 101 * second, endNanoseconds: 101 * second + 2_000_000, failure: .timeout),
            RequestRecord(startNanoseconds: 100 * second, endNanoseconds: 100 * second + 900_000_000,
                          firstTokenNanoseconds: 100 * second + 200_000_000, lastTokenNanoseconds: 100 * second + 890_000_000,
                          tokenEvents: 50, promptTokens: 110, outputTokens: 50),
        ]
        let text = RequestRecordLines.text(records, firstSendNanoseconds: 100 * second)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(text.hasSuffix("\n"))
        let first = try JSONParser.parse(lines[0])
        #expect(first["start"]?.doubleValue == 100)
        #expect(first["offset"]?.doubleValue == 0)
        #expect(first["outcome"] == .string("success"))
        #expect(first["ttft_ms"]?.doubleValue == 200)
        #expect(first["last_token_ms"]?.doubleValue == 890)
        #expect(first["e2e_ms"]?.doubleValue == 900)
        #expect(first["token_events"]?.doubleValue == 50)
        #expect(first["prompt_tokens"]?.doubleValue == 110)
        #expect(first["output_tokens"]?.doubleValue == 50)
        let second_ = try JSONParser.parse(lines[1])
        #expect(second_["offset"]?.doubleValue == 1)
        #expect(second_["outcome"] == .string("timeout"))
        #expect(second_["ttft_ms"] == .null)
        #expect(second_["last_token_ms"] == .null)
        #expect(second_["e2e_ms"]?.doubleValue == 2)
    }

    @Test("loadgen run --requests-out writes as many lines as requests started")
    func commandWritesTheFile() throws {
        let server = try EchoServerProcess(arguments: ["--ttft-ms", "2", "--itl-ms", "1"])
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("requests-out-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("requests.jsonl").path
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", server.url + "/v1/chat/completions", "-n", "30", "-c", "3", "--json", "--requests-out", path,
            "--body", #"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"stream":true}"#,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 30)
        #expect(try run.json()["requests"] as? Int == 30)
        let offsets = try lines.map { try JSONParser.parse(String($0))["offset"]?.doubleValue ?? -1 }
        // From the window's opening: the first claim, a moment before its send once connected.
        #expect(offsets.first.map { $0 >= 0 && $0 < 1 } == true, "first offset \(offsets.first ?? -1)")
        #expect(offsets == offsets.sorted(), "in send order")
    }

    @Test("--requests-out where no file can be written fails before the run, with one line")
    func unwritableFileFailsFirst() throws {
        // Under a regular file no directory can be made, not even by root.
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "run", "http://127.0.0.1:1/", "-n", "1", "--requests-out", "/etc/hostname/r.jsonl",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot write"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}
