/// One replica's figures over one window: gauges' mean and maximum, counters' deltas, the
/// server-side histograms of the requests that finished in it, and every other series raw.
struct ReplicaWindowSummary: Sendable {
    struct Gauge: Sendable, Equatable {
        var metric: ServerMetric
        /// Good scrapes inside the window that carried the gauge.
        var samples: Int
        var mean: Double
        var maximum: Double
    }

    struct Counter: Sendable, Equatable {
        var metric: ServerMetric
        /// The increase over the window, summed over the replica's label sets (engines, reasons).
        var delta: Double
        /// Times a value went down between scrapes (a server restart): the increase is then
        /// counted from zero, as PromQL's `increase` does, and reports say so.
        var resets: Int
    }

    struct Histogram: Sendable, Equatable {
        var metric: ServerMetric
        /// Observations made during the window: bucket, sum and count deltas.
        var buckets: HistogramBuckets
        var resets: Int
        var mean: Double? { buckets.mean }
        func quantile(_ q: Double) -> Double? { buckets.quantile(q) }
    }

    /// A series outside the catalogue (or a catalogued one under a deprecated alias), kept raw:
    /// counter-like series (counters, histogram and summary `_sum`/`_count`) get a delta, the
    /// others the mean and maximum of their samples in the window. Buckets of such histograms
    /// are left out: their `_sum` and `_count` say how much happened, and a window of vLLM
    /// would otherwise carry some 300 bucket lines nobody reads.
    struct OtherSeries: Sendable, Equatable {
        var series: SeriesKey
        var type: MetricType
        var delta: Double?
        var mean: Double?
        var maximum: Double?
    }

    let url: String
    let window: MetricsWindow
    let alignment: WindowAlignment
    let gauges: [Gauge]
    /// Empty when the window cannot be aligned (see `alignment.problem`).
    let counters: [Counter]
    let histograms: [Histogram]
    /// Catalogued metrics this replica never exposed (an older server, SGLang's missing ones).
    let absentMetrics: [ServerMetric]
    let otherSeries: [OtherSeries]

    func gauge(_ metric: ServerMetric) -> Gauge? { gauges.first { $0.metric == metric } }
    func counter(_ metric: ServerMetric) -> Counter? { counters.first { $0.metric == metric } }
    func histogram(_ metric: ServerMetric) -> Histogram? { histograms.first { $0.metric == metric } }

    /// Prefix cache hits over queries in the window (vLLM counts both in tokens).
    var prefixCacheHitRate: Double? {
        guard let queries = counter(.prefixCacheQueries)?.delta, queries > 0,
              let hits = counter(.prefixCacheHits)?.delta else { return nil }
        return hits / queries
    }

    init(_ recording: ReplicaMetricsRecording, window: MetricsWindow) {
        url = recording.url
        self.window = window
        let scrapes = recording.scrapes
        let good = scrapes.indices.filter { scrapes[$0].succeeded }
        let baseline = good.last { scrapes[$0].endedNanoseconds <= window.countedFromNanoseconds }
        let final = good.first { scrapes[$0].startedNanoseconds >= window.countedUntilNanoseconds }
        let inWindow = good.filter { window.contains(scrapes[$0].atNanoseconds) }
        let differenced: [MetricsScrape]
        if let baseline, let final { differenced = good.filter { $0 >= baseline && $0 <= final }.map { scrapes[$0] } } else { differenced = [] }

        // The failures that matter: those between the bracketing scrapes; without one, all
        // those on that side of the window, which are why it is missing.
        let spanStart = baseline.map { scrapes[$0].startedNanoseconds } ?? 0
        let spanEnd = final.map { scrapes[$0].endedNanoseconds } ?? .max
        var failures: [WindowAlignment.FailureCount] = []
        for scrape in scrapes where scrape.startedNanoseconds >= spanStart && scrape.startedNanoseconds <= spanEnd {
            guard let failure = scrape.failure else { continue }
            if let index = failures.firstIndex(where: { $0.kind == failure.kind }) { failures[index].count += 1 } else {
                failures.append(.init(kind: failure.kind, count: 1, example: failure.description))
            }
        }
        alignment = WindowAlignment(
            baselineLagSeconds: baseline.map { Double(window.startNanoseconds - scrapes[$0].endedNanoseconds) / 1e9 },
            finalLagSeconds: final.map { Double(scrapes[$0].startedNanoseconds - window.endNanoseconds) / 1e9 },
            scrapesInWindow: inWindow.count, failures: failures)

        var seriesOf: [ServerMetric: [Int]] = [:]
        for metric in ServerMetric.allCases {
            let ids = recording.seriesIDs(of: metric)
            if !ids.isEmpty { seriesOf[metric] = ids }
        }
        let catalogued = Set(seriesOf.values.joined())
        let others = recording.series.indices.filter { id in
            !catalogued.contains(id) && !(recording.series[id].type == .histogram && recording.series[id].part == .bucket)
        }
        // Absent means the server answered without it: a replica never scraped well says nothing.
        absentMetrics = recording.series.isEmpty ? [] : ServerMetric.allCases.filter { seriesOf[$0] == nil }

        let windowScrapes = inWindow.map { scrapes[$0] }
        var gauges: [Gauge] = [], counters: [Counter] = [], histograms: [Histogram] = []
        for metric in ServerMetric.allCases {
            guard let ids = seriesOf[metric] else { continue }
            switch metric.kind {
            case .gauge:
                let figures = windowScrapes.compactMap { recording.gaugeValue(metric, ids: ids, in: $0) }
                if let maximum = figures.max() {
                    gauges.append(Gauge(metric: metric, samples: figures.count,
                                        mean: figures.reduce(0, +) / Double(figures.count), maximum: maximum))
                }
            case .counter:
                guard !differenced.isEmpty else { continue }
                var delta = 0.0, resets = 0
                for id in ids {
                    let increase = Self.increase(of: id, over: differenced)
                    delta += increase.delta
                    resets += increase.resets
                }
                counters.append(Counter(metric: metric, delta: delta, resets: resets))
            case .histogram:
                guard !differenced.isEmpty else { continue }
                let grouped = Dictionary(grouping: ids) { recording.series[$0].histogramIdentity! }
                var buckets = HistogramBuckets.empty, resets = 0
                for identity in grouped.keys.sorted(by: { $0.description < $1.description }) {
                    let delta = Self.histogramDelta(grouped[identity]!, series: recording.series, over: differenced)
                    buckets = buckets.merged(with: delta.buckets)
                    resets += delta.resets
                }
                histograms.append(Histogram(metric: metric, buckets: buckets, resets: resets))
            }
        }
        self.gauges = gauges
        self.counters = counters
        self.histograms = histograms

        otherSeries = others.map { id in
            let info = recording.series[id]
            let counterLike = info.type == .counter || info.part == .sum || info.part == .count
                || (info.type == .summary && (info.key.name.hasSuffix("_sum") || info.key.name.hasSuffix("_count")))
            if counterLike {
                return OtherSeries(series: info.key, type: info.type,
                                   delta: differenced.isEmpty ? nil : Self.increase(of: id, over: differenced).delta)
            }
            let values = windowScrapes.compactMap { $0.value(ofSeries: id) }.filter { !$0.isNaN }
            return OtherSeries(series: info.key, type: info.type, delta: nil,
                               mean: values.isEmpty ? nil : values.reduce(0, +) / Double(values.count), maximum: values.max())
        }
    }

    /// A counter's increase over consecutive scrapes, the first being the baseline. A value
    /// lower than the one before is a reset (counted from zero); a series absent from the
    /// baseline but present later appeared during the window and counts from zero too.
    static func increase(of id: Int, over scrapes: [MetricsScrape]) -> (delta: Double, resets: Int) {
        var previous = scrapes.first?.value(ofSeries: id).flatMap { $0.isNaN ? nil : $0 }
        var delta = 0.0, resets = 0
        for scrape in scrapes.dropFirst() {
            guard let value = scrape.value(ofSeries: id), !value.isNaN else { continue }
            if let before = previous {
                if value >= before { delta += value - before } else {
                    delta += value
                    resets += 1
                }
            } else {
                delta += value
            }
            previous = value
        }
        return (delta, resets)
    }

    /// One label set's histogram over consecutive scrapes. Its parts are walked together: when
    /// the count (or any bucket) goes down, the whole histogram restarted, and the step counts
    /// the new values from zero; otherwise each part adds its increase.
    static func histogramDelta(_ ids: [Int], series: [SeriesInfo], over scrapes: [MetricsScrape]) -> (buckets: HistogramBuckets, resets: Int) {
        let bucketIDs = ids.filter { series[$0].part == .bucket && series[$0].upperBound != nil }
            .sorted { series[$0].upperBound! < series[$1].upperBound! }
        let sumID = ids.first { series[$0].part == .sum }
        let countID = ids.first { series[$0].part == .count }
        let parts = bucketIDs + [sumID, countID].compactMap { $0 }
        // Buckets and the count going down mean a restart; the sum may legitimately shrink
        // (negative observations), so it is not watched.
        let watched = Array(bucketIDs.indices) + (countID == nil ? [] : [parts.count - 1])
        func reading(_ scrape: MetricsScrape?) -> [Double?] {
            parts.map { id in scrape?.value(ofSeries: id).flatMap { $0.isNaN ? nil : $0 } }
        }
        var totals = [Double](repeating: 0, count: parts.count)
        var previous = reading(scrapes.first)
        var resets = 0
        for scrape in scrapes.dropFirst() {
            let current = reading(scrape)
            guard current.contains(where: { $0 != nil }) else { continue }
            let reset = watched.contains { index in
                guard let value = current[index], let before = previous[index] else { return false }
                return value < before
            }
            if reset { resets += 1 }
            for index in parts.indices {
                guard let value = current[index] else { continue }
                if !reset, let before = previous[index] { totals[index] += value - before } else { totals[index] += value }
                previous[index] = value
            }
        }
        let sum = sumID == nil ? 0 : totals[bucketIDs.count]
        let count = countID == nil ? (bucketIDs.isEmpty ? 0 : totals[bucketIDs.count - 1]) : totals[parts.count - 1]
        return (HistogramBuckets(upperBounds: bucketIDs.map { series[$0].upperBound! },
                                 cumulativeCounts: Array(totals[0..<bucketIDs.count]), sum: sum, count: count), resets)
    }
}
