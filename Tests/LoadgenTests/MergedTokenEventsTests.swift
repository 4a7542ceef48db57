import Foundation
import Testing
@testable import Loadgen

/// Token events that one read returned with an earlier one of their response: counted, reported
/// in text and JSON, and judged by the verdict (issue 16: their shared stamp makes their ITL 0).
@Suite("Merged token events")
struct MergedTokenEventsTests {
    /// A streamed answer whose events all go in one write, as a late client finds them.
    private func streamInOneWrite(tokenEvents: Int) -> String {
        var events = [#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#]
        for token in 0..<tokenEvents { events.append(#"{"choices":[{"delta":{"content":"t\#(token)"}}]}"#) }
        events.append(#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":\#(tokenEvents)}}"#)
        let body = events.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"
        return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    private func run(_ response: String, requests: Int, limits: ClientLimits = ClientLimits()) throws -> RunResult {
        let server = try ScriptedServer(.reply(response, close: false))
        defer { server.stop() }
        var plan = try LoadPlan(url: server.url)
        var workload = OpenAIWorkload(model: "m")
        workload.stream = true
        workload.inputTokens = .fixed(20)
        plan.workload = workload
        plan.stop = .requests(requests)
        plan.concurrency = 1
        plan.threads = 1
        plan.requestTimeoutSeconds = 5
        plan.clientLimits = limits
        return try LoadRun.run(plan)
    }

    @Test("events sent in one write arrive in one read: all but the first of each response count as merged, and the verdict cautions on the share without failing")
    func oneWriteIsMerged() throws {
        // Head and body in one write of a few hundred bytes: one loopback segment, one read.
        let result = try run(streamInOneWrite(tokenEvents: 4), requests: 3)
        #expect(result.succeeded == 3)
        #expect(result.tokenChunks == 12)
        #expect(result.mergedTokenChunks == 9, "three of four token events a response shared the first one's read")
        #expect(abs(result.mergedTokenShare - 0.75) < 1e-9)
        #expect(result.interTokenLatency.valueAtPercentile(50) == 0, "merged events share a stamp: their gaps are 0")

        let verdict = result.clientVerdict
        // The server wrote each stream at once: a caution on the ITL, not the client's fault.
        #expect(verdict.keptUp, "\(verdict.summary)")
        #expect(!verdict.exceeded.contains { $0.figure == .mergedTokens })
        #expect(verdict.cautions.map(\.figure) == [.mergedTokens])
        #expect(verdict.summary.contains("; but merged token events 75.0% of 12, over the 5% limit"), "\(verdict.summary)")

        let text = RunReport.text(result, url: "u")
        #expect(text.contains("  merged       9 of 12 token events (75.0%) came in one read with an earlier one"), "\(text)")
        let json = try JSONParser.parse(RunReport.json(result).serialized())
        #expect(json["merged_token_chunks"]?.uint64Value == 9)
        #expect(json["merged_token_share"]?.doubleValue == 0.75)
        #expect(json["client_limits"]?["merged_token_share"]?.doubleValue == 0.05)
        let cautions = json["client_verdict"]?["cautions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(cautions == ["merged_token_share"], "\(cautions)")
        #expect(json["client_verdict"]?["kept_up"]?.boolValue == true)
    }

    @Test("under a raised limit the same share passes, and the figure still reads back from JSON")
    func raisedLimitPasses() throws {
        let result = try run(streamInOneWrite(tokenEvents: 4), requests: 2, limits: ClientLimits(clientLagMilliseconds: 1_000, sendLagMilliseconds: 1_000,
                                                                                                 loopLoad: 1, mergedTokenShare: 0.8))
        #expect(result.mergedTokenChunks == 6)
        #expect(result.clientVerdict.cautions.isEmpty)
        let decoded = try RunReportDecoder.result(from: try JSONParser.parse(RunReport.json(result).serialized()))
        #expect(decoded.mergedTokenChunks == 6)
        #expect(decoded.clientLimits.mergedTokenShare == 0.8)
        #expect(decoded.clientVerdict == result.clientVerdict)
    }

    @Test("from figures set by hand: a share at the limit passes, above it fails; without token events it is not judged")
    func shareAgainstLimit() {
        var result = RunResult()
        result.tokenChunks = 1_000
        result.mergedTokenChunks = 50
        #expect(result.clientVerdict.readings.map(\.figure) == [.mergedTokens])
        #expect(result.clientVerdict.cautions.isEmpty, "5.0% is not over a 5% limit")
        #expect(result.clientVerdict.brief == "kept up")
        result.mergedTokenChunks = 51
        #expect(result.clientVerdict.keptUp, "a caution, not a failure")
        #expect(result.clientVerdict.cautions.map(\.figure) == [.mergedTokens])
        #expect(result.clientVerdict.brief == "kept up, merged 5.1%")
        result.clientLimits.mergedTokenShare = 0.1
        #expect(result.clientVerdict.cautions.isEmpty)
        #expect(!RunResult().clientVerdict.readings.contains { $0.figure == .mergedTokens })
    }

    @Test("a result file from before the count decodes with none merged and the default limit")
    func olderFileDecodes() throws {
        var result = RunResult()
        result.requests = 1
        result.succeeded = 1
        result.latency.record(nanoseconds: 1_000_000)
        result.streamedResponses = 1
        result.timeToFirstToken.record(nanoseconds: 500_000)
        result.tokenChunks = 2
        guard case .object(let members) = RunReport.json(result) else { Issue.record("not an object"); return }
        let old: [(String, JSONValue)] = members.compactMap { member in
            if member.0 == "merged_token_chunks" || member.0 == "merged_token_share" { return nil }
            guard member.0 == "client_limits", case .object(let limits) = member.1 else { return member }
            return (member.0, .object(limits.filter { $0.0 != "merged_token_share" }))
        }
        let decoded = try RunReportDecoder.result(from: .object(old))
        #expect(decoded.tokenChunks == 2)
        #expect(decoded.mergedTokenChunks == 0)
        #expect(decoded.clientLimits.mergedTokenShare == ClientLimits().mergedTokenShare)
    }

    @Test("bad merged limits are refused by the plan")
    func badLimit() throws {
        var plan = try LoadPlan(url: "http://127.0.0.1:1/")
        plan.clientLimits = ClientLimits(mergedTokenShare: 0)
        #expect(throws: LoadgenError.self) { try plan.validate() }
        plan.clientLimits = ClientLimits(mergedTokenShare: 1.5)
        #expect(throws: LoadgenError.self) { try plan.validate() }
    }
}
