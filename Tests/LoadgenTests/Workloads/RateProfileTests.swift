import Glibc
import Testing
@testable import Loadgen

/// Ramps, stages and replays: the schedule the engine computes, before any request is sent.
@Suite("Rate profiles and replays")
struct RateProfileTests {
    /// Every send time (seconds) of `arrivals` over `loops` loops, sorted, up to `limit` seconds.
    private func times(_ arrivals: OpenLoopArrivals, loops: Int = 2, limit: Double) -> [Double] {
        var all: [Double] = []
        for loop in 0..<loops {
            var schedule = ArrivalSchedule(arrivals, origin: 0, loop: loop, loops: loops)
            while schedule.next != .max, Double(schedule.next) / 1e9 < limit {
                all.append(Double(schedule.next) / 1e9)
                schedule.advance()
            }
        }
        return all.sorted()
    }

    private func count(_ times: [Double], from start: Double, to end: Double) -> Int {
        times.filter { $0 >= start && $0 < end }.count
    }

    @Test("a constant linear ramp from 100 to 500 req/s sends Λ(t) = 100t + 200t² by every second")
    func linearRampShape() {
        var arrivals = OpenLoopArrivals(rate: 300, process: .constant)
        arrivals.profile = .linear(from: 100, to: 500, seconds: 1)
        let sends = times(arrivals, limit: 1)
        // Constant gaps: arrival k (from 1) at exactly Λ⁻¹(k), so the counts are Λ rounded down.
        #expect(sends.count == 299 || sends.count == 300)
        for tenth in 1...10 {
            let t = Double(tenth) / 10
            let expected = 100 * t + 200 * t * t
            #expect(abs(Double(count(sends, from: 0, to: t)) - expected) <= 1, "by \(t) s")
        }
        // The rate near the end is five times the rate near the start.
        let early = count(sends, from: 0, to: 0.1)
        let late = count(sends, from: 0.9, to: 1)
        #expect(abs(early - 12) <= 1 && abs(late - 48) <= 1, "early \(early), late \(late)")
    }

    @Test("an exponential ramp from 10 to 1,000 req/s grows the rate by the same factor each second")
    func exponentialRampShape() {
        var arrivals = OpenLoopArrivals(rate: 1, process: .constant)
        arrivals.profile = .exponential(from: 10, to: 1000, seconds: 2)
        let sends = times(arrivals, limit: 2)
        // Λ(t) = 10 (100^(t/2) - 1) / (ln 100 / 2): 19.5 by 1 s, 214.9 by 2 s.
        let k = log(100.0) / 2
        for t in [0.5, 1.0, 1.5, 2.0] {
            let expected = 10 * (exp(k * t) - 1) / k
            #expect(abs(Double(count(sends, from: 0, to: t)) - expected) <= 1, "by \(t) s: \(count(sends, from: 0, to: t)) vs \(expected)")
        }
    }

    @Test("stages hold each rate for its duration, and a Poisson profile has the right count per stage")
    func stagesShape() {
        var arrivals = OpenLoopArrivals(rate: 1, process: .poisson, seed: 3)
        arrivals.profile = .stages([RateStage(rate: 200, seconds: 5), RateStage(rate: 0, seconds: 1), RateStage(rate: 1000, seconds: 5)])
        let sends = times(arrivals, loops: 3, limit: 11)
        let first = count(sends, from: 0, to: 5)
        let pause = count(sends, from: 5, to: 6)
        let last = count(sends, from: 6, to: 11)
        // Poisson counts: mean 1,000 (sd 32) and 5,000 (sd 71); 5 sd either side.
        #expect(abs(first - 1000) < 160, "first stage \(first)")
        #expect(pause == 0)
        #expect(abs(last - 5000) < 355, "last stage \(last)")
        #expect(OpenLoopArrivals.meanRate(of: arrivals.profile) == (1000.0 + 5000) / 11)
    }

    @Test("a steady profile gives the schedule it always gave")
    func steadyIsUnchanged() {
        let sends = times(OpenLoopArrivals(rate: 1000, process: .constant), loops: 3, limit: 0.1005)
        #expect(sends.count == 100)
        for (index, time) in sends.enumerated() { #expect(abs(time - Double(index + 1) / 1000) < 1e-9) }
    }

    @Test("a replay sends request k at its time, loop k % loops sending it, and nothing after the last")
    func replayTimetable() {
        let table = (0..<1000).map { Double($0) / 1000 + ($0 % 7 == 0 ? 0.0004 : 0) }
        let arrivals = OpenLoopArrivals(timetable: table)
        for loops in [1, 2, 3] {
            var seen = 0
            for loop in 0..<loops {
                var schedule = ArrivalSchedule(arrivals, origin: 5_000, loop: loop, loops: loops)
                var index = loop
                while schedule.next != .max {
                    #expect(schedule.next == 5_000 + Clock.nanoseconds(seconds: table[index]))
                    schedule.advance()
                    index += loops
                    seen += 1
                }
            }
            #expect(seen == 1000)
        }
        #expect(abs(arrivals.rate - 999.0 / (table.last! - table.first!)) < 1e-9)
    }

    @Test("profiles out of range are refused", arguments: [
        RateProfile.linear(from: 0, to: 0, seconds: 1), .exponential(from: 0, to: 10, seconds: 1),
        .linear(from: 1, to: 2, seconds: 0), .stages([]), .stages([RateStage(rate: 0, seconds: 1)]),
    ])
    func invalidProfiles(profile: RateProfile) {
        var arrivals = OpenLoopArrivals(rate: 1)
        arrivals.profile = profile
        #expect(throws: LoadgenError.self) { try arrivals.validate() }
    }
}
