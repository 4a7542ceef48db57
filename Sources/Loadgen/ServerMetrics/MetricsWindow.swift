/// A span of a run on the engine's clock (`Clock.monotonicNanoseconds`): a level's, a bench
/// test's or a whole run's measured part, which the server's figures are aggregated over.
///
/// Gauges are sampled inside `startNanoseconds...endNanoseconds`. Counters and histograms are
/// differenced over the counted span, which is the window itself unless the caller knows better:
/// a level run between two deliberate scrapes counts from the one taken before its first request
/// (`countedFromNanoseconds`) to the one taken after the server settled (`countedUntilNanoseconds`),
/// so a scheduled scrape that lands a moment after the last answer, before the server has booked
/// it, is not taken for the final reading.
struct MetricsWindow: Sendable, Equatable {
    /// What the window is, for reports and the timeline: "c=16", "test 3".
    var label: String
    var startNanoseconds: UInt64
    var endNanoseconds: UInt64
    /// The baseline is the last good scrape that ended by this time (at most the start) ...
    var countedFromNanoseconds: UInt64
    /// ... and the final reading the first good scrape that started at this time or later (at
    /// least the end).
    var countedUntilNanoseconds: UInt64
    /// The counted span holds the level's warmup too: warmup requests were still running when the
    /// measured window opened (a closed loop's connections pass from warmup to measured requests
    /// one by one), so no scrape can separate them and the server's counters are compared with
    /// the client's measured and warmup tokens together.
    var countsWarmup: Bool

    init(label: String = "", startNanoseconds: UInt64, endNanoseconds: UInt64,
         countedFromNanoseconds: UInt64? = nil, countedUntilNanoseconds: UInt64? = nil, countsWarmup: Bool = false) {
        self.label = label
        self.startNanoseconds = startNanoseconds
        self.endNanoseconds = max(endNanoseconds, startNanoseconds)
        self.countedFromNanoseconds = min(countedFromNanoseconds ?? startNanoseconds, startNanoseconds)
        self.countedUntilNanoseconds = max(countedUntilNanoseconds ?? self.endNanoseconds, self.endNanoseconds)
        self.countsWarmup = countsWarmup
    }

    /// A level's measured window, first measured send to last completion; nil when it measured nothing.
    init?(label: String = "", result: RunResult) {
        guard result.firstSendNanoseconds != .max, result.lastCompletionNanoseconds >= result.firstSendNanoseconds else { return nil }
        self.init(label: label, startNanoseconds: result.firstSendNanoseconds, endNanoseconds: result.lastCompletionNanoseconds)
    }

    var durationSeconds: Double { Double(endNanoseconds - startNanoseconds) / 1e9 }

    func contains(_ nanoseconds: UInt64) -> Bool { nanoseconds >= startNanoseconds && nanoseconds <= endNanoseconds }
}

/// How well one replica's scrapes bracket a window, and what was missing in it.
///
/// Counters and histograms are differenced between the last good scrape that ended before the
/// window started (the baseline: every value in it was read before the first request) and the
/// first good scrape that started after the window ended (every value read after the last
/// answer). Both must exist, or the window cannot be aligned and no delta is claimed. The lags
/// say how much time outside the window the deltas may include: with `scrapeNow()` at both
/// edges they are milliseconds; on the schedule alone, up to an interval.
struct WindowAlignment: Sendable, Equatable {
    /// Window start minus the baseline scrape's end, in seconds; nil without a baseline.
    var baselineLagSeconds: Double?
    /// The final scrape's start minus the window end, in seconds; nil without one.
    var finalLagSeconds: Double?
    /// Good scrapes whose midpoint lies inside the window (the gauges' samples).
    var scrapesInWindow: Int
    /// Failed scrapes from the baseline to the final scrape (without a baseline, all those before
    /// the window; without a final scrape, all those after it).
    var failures: [FailureCount]

    struct FailureCount: Sendable, Equatable {
        var kind: String
        var count: Int
        /// The first such failure's full text.
        var example: String
    }

    var isAligned: Bool { baselineLagSeconds != nil && finalLagSeconds != nil }

    /// Failed scrapes in all.
    var failedScrapes: Int { failures.reduce(0) { $0 + $1.count } }

    /// Why deltas cannot be given, in a sentence; nil when aligned.
    var problem: String? {
        var missing: [String] = []
        if baselineLagSeconds == nil { missing.append("no good scrape before the window started") }
        if finalLagSeconds == nil { missing.append("no good scrape after it ended") }
        guard !missing.isEmpty else { return nil }
        var text = missing.joined(separator: " and ")
        if !failures.isEmpty { text += " (" + failureSummary + ")" }
        return text
    }

    /// "3 timeout, 1 HTTP 500" for reports.
    var failureSummary: String {
        failures.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
    }
}
