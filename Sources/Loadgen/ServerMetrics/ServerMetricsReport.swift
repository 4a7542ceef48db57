/// The server-metrics parts of the commands' reports: the per-window table with the
/// cross-check sentences under it (terminal and Markdown), the timeline section of a Markdown
/// report, and a line for the windows that need attention.
package enum ServerMetricsReport {
    /// The table of `windows` (label and figures; windows without figures are left out) and the
    /// cross-check sentences; nil when there is nothing to show. `firstColumn` names what the
    /// labels are ("Level", "Test").
    /// Windows whose generation and prompt tokens are exactly equal on both sides are named in
    /// one line rather than two sentences each (a bench has twenty windows); every other
    /// sentence is listed in full.
    package static func table(_ windows: [(label: String, metrics: WindowServerMetrics?)], firstColumn: String = "Level") -> String? {
        var exact: [String] = [], withWarmup: [String] = []
        let entries = windows.compactMap { window -> ServerMetricsMarkdown.Entry? in
            guard let metrics = window.metrics else { return nil }
            var statements = metrics.statements
            if metrics.tokensExactlyEqual {
                exact.append(window.label)
                if metrics.window.countsWarmup { withWarmup.append(window.label) }
                statements = statements.filter { $0 != metrics.crossCheck.generationTokens.statement && $0 != metrics.crossCheck.promptTokens.statement }
            }
            return ServerMetricsMarkdown.Entry(label: window.label, summary: metrics.summary, crossCheck: metrics.crossCheck,
                                               statements: statements)
        }
        guard !entries.isEmpty else { return nil }
        var leading: [String] = []
        if !exact.isEmpty {
            var line = "generation and prompt tokens, server and loadgen exactly equal in "
                + (exact.count == entries.count && exact.count > 2 ? "every window (\(exact.count))" : exact.joined(separator: ", "))
            if !withWarmup.isEmpty {
                line += "; " + (withWarmup.count == exact.count && exact.count > 2 ? "each" : withWarmup.joined(separator: ", "))
                    + " counted with its warmup (sent back to back with the measured requests, no scrape between)"
            }
            leading.append(line + ".")
        }
        return ServerMetricsMarkdown.table(entries, firstColumn: firstColumn, leadingNotes: leading)
    }

    /// A Markdown report's section: what was scraped, the timeline (`timelineFile`, the SVG saved
    /// beside the report), the table; or one line saying why nothing was scraped.
    package static func markdownSection(_ run: ServerMetricsRun?, windows: [(label: String, metrics: WindowServerMetrics?)],
                                        firstColumn: String = "Level", timelineFile: String?) -> [String] {
        guard let run else { return [] }
        var lines = ["## Server metrics", ""]
        guard run.scraped else {
            lines += ["Not scraped: \(run.unavailableReason ?? "unknown reason").", ""]
            return lines
        }
        lines.append("The server's own figures, " + scrapingLine(run) + " Mean/max of the gauges are over each measured window; counters and the server's histograms are differenced between a scrape answered before the level's first request and one taken \(Format.fixed(ServerMetricsPolicy.settleSeconds, decimals: 1)) s after its last answer (with the server idle), so they count exactly the level's requests (and the level's warmup requests when they ran in the same load, as the sentences say).")
        lines.append("")
        if let timelineFile {
            lines += ["![Server state over the run](\(timelineFile))", ""]
        }
        if let table = table(windows, firstColumn: firstColumn) { lines += [table, ""] }
        return lines
    }

    /// "scraped http://…/metrics every 1 s: 120 scrapes, 2 failed."
    package static func scrapingLine(_ run: ServerMetricsRun) -> String {
        let interval = run.recording.map { Format.fixed($0.intervalSeconds, decimals: 3, trimZeros: true) } ?? "?"
        var line = "scraped \(run.urls.joined(separator: ", ")) every \(interval) s: \(Format.grouped(UInt64(run.scrapes))) scrapes"
        line += run.failedScrapes > 0 ? ", \(Format.grouped(UInt64(run.failedScrapes))) failed (\(run.failureSummary))." : ", none failed."
        return line
    }

    /// The labels of the windows whose tokens disagree or that could not be aligned, in a
    /// sentence for summaries; nil when every window agrees.
    package static func attentionLine(_ windows: [(label: String, metrics: WindowServerMetrics?)]) -> String? {
        let flagged = windows.filter { $0.metrics?.needsAttention == true }.map(\.label)
        guard !flagged.isEmpty else { return nil }
        return "Server metrics: the server's token counts DISAGREE with loadgen's, or could not be aligned, for "
            + flagged.joined(separator: ", ") + " (see the server metrics table)."
    }
}
