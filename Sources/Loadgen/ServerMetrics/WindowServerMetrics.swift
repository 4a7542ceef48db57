/// The server's figures over one measured window (a run, a level, a bench test) and how they
/// compare with what loadgen counted in it: what a result keeps per window and reports render.
package struct WindowServerMetrics: Sendable {
    let summary: ServerMetricsSummary
    let crossCheck: ServerClientCrossCheck
    /// The deliberate scrapes at the window's edges that had no answer in time (a slow or
    /// stalled endpoint): the load went on without them, and the sentences say so.
    let unansweredEdges: [UnansweredEdge]

    struct UnansweredEdge: Sendable, Equatable {
        /// "before" or "after" the window.
        var edge: String
        var waitedSeconds: Double
    }

    init(summary: ServerMetricsSummary, crossCheck: ServerClientCrossCheck, unansweredEdges: [UnansweredEdge] = []) {
        self.summary = summary
        self.crossCheck = crossCheck
        self.unansweredEdges = unansweredEdges
    }

    /// The window's `server_metrics` object for result files.
    package var json: JSONValue {
        guard case .object(var members) = summary.json(crossCheck: crossCheck) else { return summary.json(crossCheck: crossCheck) }
        members.append(("unanswered_edge_scrapes", .array(unansweredEdges.map { edge in
            .object([("edge", .string(edge.edge)), ("waited_sec", .number(edge.waitedSeconds, decimals: 3))])
        })))
        return .object(members)
    }

    /// The sentence about the edge scrapes that went unanswered, if any.
    var unansweredStatement: String? {
        guard !unansweredEdges.isEmpty else { return nil }
        let parts = unansweredEdges.map { "the one \($0.edge) it within \(Format.fixed($0.waitedSeconds, decimals: 1, trimZeros: true)) s" }
        return "scrapes: no answer to " + parts.joined(separator: " nor to ")
            + " (a slow or stalled metrics endpoint); the load did not wait for them."
    }

    /// The cross-check's sentences for reports: tokens, then TTFT when there was something to
    /// compare (the sentences saying there was not, because nothing streamed, the server has no
    /// such histograms or the window is not aligned, would repeat on every level what the token
    /// sentences and the "not exposed" line already say; the JSON keeps them).
    package var statements: [String] {
        var statements = [crossCheck.generationTokens.statement, crossCheck.promptTokens.statement]
        if crossCheck.timeToFirstToken.differenceSeconds != nil { statements.append(crossCheck.timeToFirstToken.statement) }
        if let unansweredStatement { statements.append(unansweredStatement) }
        return statements
    }

    /// The server's generation and prompt token deltas both equal loadgen's counts exactly.
    package var tokensExactlyEqual: Bool {
        [crossCheck.generationTokens, crossCheck.promptTokens].allSatisfy { $0.server == Double($0.client) }
    }

    /// Tokens differ by more than 2% or the window could not be aligned.
    package var needsAttention: Bool { crossCheck.needsAttention }

    /// The server's generation and prompt token deltas (nil when not aligned or not exposed).
    package var serverGenerationTokens: Double? { crossCheck.generationTokens.server }
    package var serverPromptTokens: Double? { crossCheck.promptTokens.server }
    /// The client's counts they were compared with (the warmup's included when it overlapped).
    package var clientGenerationTokens: UInt64 { crossCheck.generationTokens.client }
    package var clientPromptTokens: UInt64 { crossCheck.promptTokens.client }

    var window: MetricsWindow { summary.window }
}

/// What a command's scraping gave over its whole run: every scrape (for the timeline), the
/// windows it was cut into, and, when nothing could be scraped, why.
package struct ServerMetricsRun: Sendable {
    /// The endpoints scraped, or the one probed.
    package let urls: [String]
    let recording: ServerMetricsRecording?
    let windows: [MetricsWindow]
    /// Why nothing was scraped (the automatic endpoint did not answer with Prometheus text, or
    /// the scraper could not start); nil when scraping ran.
    package let unavailableReason: String?

    init(urls: [String], recording: ServerMetricsRecording?, windows: [MetricsWindow], unavailableReason: String?) {
        self.urls = urls
        self.recording = recording
        self.windows = windows
        self.unavailableReason = unavailableReason
    }

    /// Scraping ran (whether or not every scrape succeeded).
    package var scraped: Bool { recording != nil }

    /// Failed scrapes over the whole run, all replicas.
    package var failedScrapes: Int {
        recording?.replicas.reduce(0) { $0 + $1.scrapes.filter { !$0.succeeded }.count } ?? 0
    }

    /// "3 timeout, 1 HTTP 500": the failed scrapes by kind, in the order first seen.
    package var failureSummary: String {
        var kinds: [(kind: String, count: Int)] = []
        for replica in recording?.replicas ?? [] {
            for failure in replica.scrapes.compactMap(\.failure) {
                if let index = kinds.firstIndex(where: { $0.kind == failure.kind }) { kinds[index].count += 1 } else { kinds.append((failure.kind, 1)) }
            }
        }
        return kinds.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
    }

    /// Scrapes in all.
    package var scrapes: Int { recording?.replicas.reduce(0) { $0 + $1.scrapes.count } ?? 0 }

    /// The SVG timeline of running, waiting and KV cache usage with the windows marked; nil
    /// when nothing was scraped.
    package func timelineSVG(title: String = "Server state over the run") -> String? {
        recording.map { ServerMetricsTimeline(title: title, recording: $0, windows: windows).render() }
    }

    /// The run's `server_metrics` object for result files: where and how often it scraped, how
    /// many scrapes failed, why nothing was scraped, and the timeline's data.
    package var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("urls", .array(urls.map { .string($0) })),
            ("scraped", .bool(scraped)),
            ("unavailable_reason", unavailableReason.map { .string($0) } ?? .null),
            ("scrapes", .int(Int64(scrapes))),
            ("failed_scrapes", .int(Int64(failedScrapes))),
            ("failures", .string(failureSummary)),
        ]
        if let recording {
            members.append(("timeline", ServerMetricsTimeline(recording: recording, windows: windows).json()))
        }
        return .object(members)
    }
}
