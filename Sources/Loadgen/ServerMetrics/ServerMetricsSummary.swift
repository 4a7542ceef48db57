/// The server's figures over one window, per replica and across them: what reports render for
/// a level, a bench test or a run.
///
/// ```swift
/// let summary = ServerMetricsSummary(scraper.recording(), window: MetricsWindow(label: "c=16", result: result)!)
/// summary.replicas[0].gauge(.requestsWaiting)?.maximum
/// summary.total(.generationTokens)            // nil when the window cannot be aligned
/// summary.crossCheck(ClientWindowFigures(result)).statements
/// ```
struct ServerMetricsSummary: Sendable {
    let window: MetricsWindow
    let replicas: [ReplicaWindowSummary]
    let intervalSeconds: Double
    /// The window's start on the calendar, when the recording knows its origin.
    let windowStartUnixSeconds: Double?

    init(_ recording: ServerMetricsRecording, window: MetricsWindow) {
        self.window = window
        replicas = recording.replicas.map { ReplicaWindowSummary($0, window: window) }
        intervalSeconds = recording.intervalSeconds
        windowStartUnixSeconds = recording.originUnixSeconds > 0 ? recording.unixSeconds(atNanoseconds: window.startNanoseconds) : nil
    }

    /// Every replica's scrapes bracket the window.
    var isAligned: Bool { !replicas.isEmpty && replicas.allSatisfy(\.alignment.isAligned) }

    /// A counter's delta summed over the replicas; nil unless every replica is aligned and has it
    /// (a sum missing a replica would look like a disagreement that is not one).
    func total(_ metric: ServerMetric) -> Double? {
        guard isAligned else { return nil }
        var sum = 0.0
        for replica in replicas {
            guard let counter = replica.counter(metric) else { return nil }
            sum += counter.delta
        }
        return sum
    }

    /// A histogram's window observations over all replicas; nil unless every replica has it.
    func histogram(_ metric: ServerMetric) -> HistogramBuckets? {
        guard isAligned else { return nil }
        var merged = HistogramBuckets.empty
        for replica in replicas {
            guard let histogram = replica.histogram(metric) else { return nil }
            merged = merged.merged(with: histogram.buckets)
        }
        return merged
    }

    /// Max over mean of the replicas' mean running requests: 1 is perfectly balanced; 2 with
    /// two replicas means one did all the work. Nil without the gauge or with nothing running.
    var runningImbalance: Double? {
        let means = replicas.compactMap { $0.gauge(.requestsRunning)?.mean }
        guard !means.isEmpty, means.count == replicas.count else { return nil }
        let mean = means.reduce(0, +) / Double(means.count)
        guard mean > 0, let maximum = means.max() else { return nil }
        return maximum / mean
    }

    /// The server's view against the client's, over this window.
    func crossCheck(_ client: ClientWindowFigures) -> ServerClientCrossCheck {
        ServerClientCrossCheck(self, client: client)
    }
}
