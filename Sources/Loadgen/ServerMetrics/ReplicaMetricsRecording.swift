/// Every scrape of one replica's metrics endpoint, in time order.
///
/// Series are interned: each distinct name and label set gets an id once, and a scrape stores
/// only ids and values (12 bytes a sample, about 10 KB a scrape for vLLM's ~800 series), so an
/// hour at one scrape a second stays in tens of megabytes while keeping every series, known or not.
struct ReplicaMetricsRecording: Sendable {
    /// The endpoint, e.g. `http://127.0.0.1:8000/metrics`.
    let url: String
    private(set) var series: [SeriesInfo] = []
    private(set) var scrapes: [MetricsScrape] = []
    private var idByKey: [SeriesKey: Int32] = [:]

    init(url: String) { self.url = url }

    /// Records a parsed answer.
    mutating func record(_ exposition: PrometheusExposition, startedNanoseconds: UInt64, endedNanoseconds: UInt64) {
        var pairs: [(Int32, Double)] = []
        pairs.reserveCapacity(series.count)
        for family in exposition.families {
            for sample in family.samples {
                let key = SeriesKey(name: sample.name, labels: sample.labels)
                let id: Int32
                if let known = idByKey[key] {
                    id = known
                } else {
                    id = Int32(series.count)
                    idByKey[key] = id
                    series.append(SeriesInfo(key: key, type: family.type))
                }
                pairs.append((id, sample.value))
            }
        }
        guard !pairs.isEmpty else {
            recordFailure(.empty, startedNanoseconds: startedNanoseconds, endedNanoseconds: endedNanoseconds)
            return
        }
        pairs.sort { $0.0 < $1.0 }
        // A series written twice in one answer (not legal, but seen behind aggregating proxies):
        // keep the last value, as Prometheus does.
        var ids: [Int32] = [], values: [Double] = []
        ids.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        for (id, value) in pairs {
            if ids.last == id { values[values.count - 1] = value } else {
                ids.append(id)
                values.append(value)
            }
        }
        scrapes.append(MetricsScrape(startedNanoseconds: startedNanoseconds, endedNanoseconds: endedNanoseconds,
                                     failure: nil, seriesIDs: ids, values: values))
    }

    /// Records a scrape that gave no figures.
    mutating func recordFailure(_ failure: ScrapeFailure, startedNanoseconds: UInt64, endedNanoseconds: UInt64) {
        scrapes.append(MetricsScrape(startedNanoseconds: startedNanoseconds, endedNanoseconds: endedNanoseconds, failure: failure))
    }

    /// The id of a series, if any scrape carried it.
    func seriesID(_ key: SeriesKey) -> Int? { idByKey[key].map(Int.init) }

    /// Ids of the series that carry `metric`: those of its preferred family present (the newest
    /// name, when a server exposes an alias too), in first-seen order; empty if none.
    func seriesIDs(of metric: ServerMetric) -> [Int] {
        var chosen: (name: String, preference: Int)?
        for info in series where info.metric == metric {
            guard let preference = metric.preference(ofFamily: info.familyName) else { continue }
            if let current = chosen, current.preference <= preference { continue }
            chosen = (info.familyName, preference)
        }
        guard let chosen else { return [] }
        return series.indices.filter { series[$0].metric == metric && series[$0].familyName == chosen.name }
    }

    /// A gauge's figure for the whole replica in one scrape: its label sets (engines) summed, or
    /// averaged for a fraction such as KV cache usage. Nil if the scrape lacks it.
    func gaugeValue(_ metric: ServerMetric, ids: [Int], in scrape: MetricsScrape) -> Double? {
        let values = ids.compactMap { scrape.value(ofSeries: $0) }.filter { !$0.isNaN }
        guard !values.isEmpty else { return nil }
        let total = values.reduce(0, +)
        return metric.combination == .sum ? total : total / Double(values.count)
    }

    /// Ids of the series whose sample name is `name`, in first-seen order.
    func seriesIDs(named name: String) -> [Int] {
        series.indices.filter { series[$0].key.name == name }
    }
}

/// Everything a scraper recorded: one recording per replica, in the order of the URLs given.
struct ServerMetricsRecording: Sendable {
    var replicas: [ReplicaMetricsRecording]
    /// The interval the scraper aimed for, for reports ("every 1 s").
    var intervalSeconds: Double
    /// A monotonic reading and the Unix time read with it when scraping began, to put scrapes on
    /// the calendar (the scrapes themselves carry only monotonic times, the engine's clock).
    var originNanoseconds: UInt64
    var originUnixSeconds: Double

    init(replicas: [ReplicaMetricsRecording], intervalSeconds: Double,
                originNanoseconds: UInt64 = 0, originUnixSeconds: Double = 0) {
        self.replicas = replicas
        self.intervalSeconds = intervalSeconds
        self.originNanoseconds = originNanoseconds
        self.originUnixSeconds = originUnixSeconds
    }

    /// The Unix time of a monotonic reading taken during the recording.
    func unixSeconds(atNanoseconds nanoseconds: UInt64) -> Double {
        originUnixSeconds + (Double(nanoseconds) - Double(originNanoseconds)) / 1e9
    }
}
