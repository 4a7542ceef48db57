/// One GET of a metrics endpoint: when it was sent and answered, on the engine's clock
/// (`Clock.monotonicNanoseconds`, the clock of `RunResult.firstSendNanoseconds`), and either the
/// values of the series it carried or why there were none.
struct MetricsScrape: Sendable {
    /// Just before connecting, and once the answer was parsed (or the scrape failed).
    let startedNanoseconds: UInt64
    let endedNanoseconds: UInt64
    /// Nil when the scrape carried values.
    let failure: ScrapeFailure?
    /// Ids into the recording's `series`, ascending, and their values.
    let seriesIDs: [Int32]
    let values: [Double]

    init(startedNanoseconds: UInt64, endedNanoseconds: UInt64, failure: ScrapeFailure?,
         seriesIDs: [Int32] = [], values: [Double] = []) {
        self.startedNanoseconds = startedNanoseconds
        self.endedNanoseconds = endedNanoseconds
        self.failure = failure
        self.seriesIDs = seriesIDs
        self.values = values
    }

    var succeeded: Bool { failure == nil }

    /// The moment the values stand for: the server read them somewhere between send and
    /// answer, so the midpoint is the best single time (charts and gauge windows use it).
    var atNanoseconds: UInt64 { startedNanoseconds + (endedNanoseconds &- startedNanoseconds) / 2 }

    /// The value of series `id` in this scrape, nil if the scrape failed or lacked the series.
    func value(ofSeries id: Int) -> Double? {
        var low = 0, high = seriesIDs.count
        let wanted = Int32(truncatingIfNeeded: id)
        while low < high {
            let middle = (low + high) / 2
            if seriesIDs[middle] < wanted { low = middle + 1 } else { high = middle }
        }
        return low < seriesIDs.count && seriesIDs[low] == wanted ? values[low] : nil
    }

    /// How many series the scrape carried.
    var seriesCount: Int { seriesIDs.count }
}
