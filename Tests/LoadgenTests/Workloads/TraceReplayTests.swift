import Testing
@testable import Loadgen

/// A trace replayed against the echo server: every request once, on time.
@Suite("Trace replay", .serialized)
struct TraceReplayTests {
    @Test("1,000 requests/s from a trace go out on their timestamps (send lag measured) and each exactly once")
    func replayIsOnTime() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        // 1,500 requests 1 ms apart, some pairs at the same instant, 8 distinct block ids.
        var lines = ""
        for index in 0..<1500 {
            let timestamp = Double(index) - (index % 10 == 5 ? 1 : 0)
            lines += "{\"timestamp\": \(timestamp), \"input_length\": 40, \"output_length\": 2, \"hash_ids\": [\(index % 8)]}\n"
        }
        let path = WorkloadFixtures.scratch(lines, name: "trace-1000.jsonl")
        defer { WorkloadFixtures.remove(path) }
        var workload = OpenAIWorkload(model: "echo-model")
        workload.nonce = 1
        let prepared = try PreparedPrompts.prepare(.trace(path: path, speed: 1, blockTokens: 32), for: workload)
        workload.prepared = prepared
        var plan = try LoadPlan(url: server.url)
        plan.workload = workload
        plan.threads = 2
        plan.concurrency = 64
        let times = try #require(prepared.sendTimes)
        plan.arrivals = OpenLoopArrivals(timetable: times)
        plan.stop = .duration(seconds: times.last! + 0.001)
        // The schedule the engine walks is the trace's, to the nanosecond.
        var schedule = ArrivalSchedule(try #require(plan.arrivals), origin: 0, loop: 1, loops: 2)
        #expect(schedule.next == Clock.nanoseconds(seconds: times[1]))
        schedule.advance()
        #expect(schedule.next == Clock.nanoseconds(seconds: times[3]))
        let result = try LoadRun.run(plan)
        #expect(result.requests == 1500, "each trace request once")
        #expect(result.succeeded == 1500)
        #expect(result.workloadRecord?.samples == 1500)
        #expect(result.rateProfile == "replay")
        // Sends within 1 ms of their timestamp on a quiet machine (the README's figures); the
        // bounds here are generous, for a debug build on a busy 2-core machine: the schedule
        // above is what is exact, the lag only shows the loop kept to it.
        let p50 = Double(result.sendLag.valueAtPercentile(50)) / 1e6
        #expect(p50 < TimingSlack.tolerance(20), "median send lag \(p50) ms")
        let p99 = Double(result.sendLag.valueAtPercentile(99)) / 1e6
        #expect(p99 < TimingSlack.tolerance(1000), "p99 send lag \(p99) ms")
        #expect(abs(result.requestedRate - 1499.0 / times.last!) < 1e-6)
    }
}
