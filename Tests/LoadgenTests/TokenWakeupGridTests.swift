import Testing
@testable import EchoServer

/// echo-server's token timer on a grid (`TokenWakeupGrid`): no token before its due time, none
/// later than the slack, and far fewer wakeups than tokens. Driven by a simulated clock: the loop
/// below is `ServerLoop.sendDueTokens` without the sockets (the timer fires at the armed grid
/// point; every entry due by then is sent and replaced by its stream's next token).
@Suite("Token wakeup grid")
struct TokenWakeupGridTests {
    @Test("a due time rounds up to the next grid point, and one on the grid stays", arguments: [
        (UInt64(0), UInt64(0)), (1, 250_000), (249_999, 250_000), (250_000, 250_000), (250_001, 500_000),
        (1_000_000_123, 1_000_250_000),
    ])
    func roundsUp(due: UInt64, wakeup: UInt64) {
        #expect(TokenWakeupGrid(slackMicroseconds: 250).wakeup(forDue: due) == wakeup)
    }

    @Test("slack 0 fires at each due time; a due time near the end of the clock is not wrapped")
    func edges() {
        #expect(TokenWakeupGrid(slackMicroseconds: 0).wakeup(forDue: 123_456_789) == 123_456_789)
        let late = UInt64.max - 10
        #expect(TokenWakeupGrid(slackMicroseconds: 250).wakeup(forDue: late) >= late)
    }

    /// 2,000 streams of 20 tokens, ITL 10 ms, starting over 5 ms (a burst of requests).
    private func simulate(slackMicroseconds: Double) -> (tokens: Int, wakeups: Int, earliest: Int64, latest: UInt64) {
        let grid = TokenWakeupGrid(slackMicroseconds: slackMicroseconds)
        let itl: UInt64 = 10_000_000
        let tokensPerStream = 20
        var queue = TimerQueue()
        var sent = [Int](repeating: 0, count: 2_000)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for stream in sent.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let first = 1_000_000_000 + 50_000_000 + (seed >> 33) % 5_000_000
            queue.push(.init(dueNanoseconds: first, slot: stream, streamID: stream))
        }
        var tokens = 0
        var wakeups = 0
        var earliest = Int64.max
        var latest: UInt64 = 0
        while let next = queue.earliest {
            // The timer fires at the grid point armed for the earliest entry.
            let now = grid.wakeup(forDue: next.dueNanoseconds)
            wakeups += 1
            while let entry = queue.earliest, entry.dueNanoseconds <= now {
                tokens += 1
                earliest = min(earliest, Int64(now) - Int64(entry.dueNanoseconds))
                latest = max(latest, now - entry.dueNanoseconds)
                sent[entry.slot] += 1
                if sent[entry.slot] == tokensPerStream {
                    _ = queue.popEarliest()
                } else {
                    queue.replaceEarliest(dueNanoseconds: entry.dueNanoseconds + itl)
                }
            }
        }
        return (tokens, wakeups, earliest, latest)
    }

    @Test("2,000 streams on a 250 us grid: every token sent, none early, none later than the slack, one wakeup per tens of tokens")
    func coalescesWithinSlack() {
        let run = simulate(slackMicroseconds: 250)
        #expect(run.tokens == 40_000)
        #expect(run.earliest >= 0, "a token went \(-run.earliest) ns before its due time")
        #expect(run.latest < 250_000, "a token went \(run.latest) ns after its due time")
        // The 5 ms burst repeats every 10 ms for 20 tokens: 20 bursts of 20 grid points each.
        #expect(run.wakeups <= 20 * (5_000_000 / 250_000 + 1), "\(run.wakeups) wakeups")
        #expect(run.tokens / run.wakeups >= 80, "\(run.tokens / run.wakeups) tokens per wakeup")
    }

    @Test("without slack every token is on time to the nanosecond, at the price of a wakeup for almost every token")
    func withoutSlack() {
        let run = simulate(slackMicroseconds: 0)
        #expect(run.tokens == 40_000)
        #expect(run.earliest == 0 && run.latest == 0)
        #expect(run.wakeups > 30_000, "\(run.wakeups) wakeups")
    }
}
