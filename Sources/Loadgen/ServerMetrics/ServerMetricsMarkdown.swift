/// Markdown tables of the server's figures, one row per replica and window (plus an "all" row
/// with totals and the imbalance when there are several replicas), for validate, bench and
/// sweep reports. Below the table: the cross-check sentences, which say plainly when the
/// tokens disagree or a window could not be aligned.
enum ServerMetricsMarkdown {
    struct Entry: Sendable {
        var label: String
        var summary: ServerMetricsSummary
        var crossCheck: ServerClientCrossCheck?
        /// The sentences listed under the table; the cross-check's own when nil.
        var statements: [String]?

        init(label: String, summary: ServerMetricsSummary, crossCheck: ServerClientCrossCheck? = nil, statements: [String]? = nil) {
            self.label = label
            self.summary = summary
            self.crossCheck = crossCheck
            self.statements = statements
        }
    }

    /// The column names of `rows(for:)`, `firstColumn` naming what the entries are ("Level", "Test").
    static func header(firstColumn: String = "Level", replicaColumns: Bool) -> [String] {
        var header = [firstColumn]
        if replicaColumns { header.append("Replica") }
        header += ["Running mean/max", "Waiting mean/max", "KV cache mean/max", "Preemptions", "Prefix hits",
                   "Prompt tok", "Gen tok", "Srv TTFT p50/p99 (ms)", "Queue mean (ms)", "Prefill mean (ms)",
                   "Decode mean (ms)", "Scrapes (failed)"]
        if replicaColumns { header.append("Imbalance") }
        return header
    }

    /// One row per replica, and an "all" row after them when there are several.
    static func rows(for entry: Entry, replicaColumns: Bool) -> [[String]] {
        let summary = entry.summary
        var rows: [[String]] = []
        for (index, replica) in summary.replicas.enumerated() {
            var row = [entry.label]
            if replicaColumns { row.append(String(index + 1)) }
            row += cells(replica)
            if replicaColumns { row.append("") }
            rows.append(row)
        }
        if replicaColumns, summary.replicas.count > 1 {
            var row = [entry.label, "all", "", "", ""]
            row.append(total(summary, .preemptions))
            if let queries = summary.total(.prefixCacheQueries), queries > 0, let hits = summary.total(.prefixCacheHits) {
                row.append(percent(hits / queries))
            } else {
                row.append(missing(summary.isAligned))
            }
            row.append(total(summary, .promptTokens))
            row.append(total(summary, .generationTokens))
            let ttft = summary.histogram(.timeToFirstToken)
            row.append(pair(ttft?.quantile(0.5).map { $0 * 1000 }, ttft?.quantile(0.99).map { $0 * 1000 }, decimals: 1))
            for metric in [ServerMetric.queueTime, .prefillTime, .decodeTime] {
                row.append(summary.histogram(metric)?.mean.map { Format.fixed($0 * 1000, decimals: 1) } ?? missing(summary.isAligned))
            }
            row.append("")
            row.append(summary.runningImbalance.map { Format.fixed($0, decimals: 2) } ?? "-")
            rows.append(row)
        }
        return rows
    }

    /// A whole table for `entries`, then `leadingNotes` and the cross-check sentences of those
    /// that have one.
    static func table(_ entries: [Entry], firstColumn: String = "Level", leadingNotes: [String] = []) -> String {
        let replicaColumns = entries.contains { $0.summary.replicas.count > 1 }
        var allRows = entries.flatMap { rows(for: $0, replicaColumns: replicaColumns) }
        var columns = header(firstColumn: firstColumn, replicaColumns: replicaColumns)
        // A column the server never filled ("-" in every row: not exposed) says nothing the
        // "Not exposed" line below does not; echo-server's table would be mostly dashes.
        let kept = columns.indices.filter { column in column == 0 || allRows.contains { $0[column] != "-" && !$0[column].isEmpty } }
        if kept.count < columns.count {
            columns = kept.map { columns[$0] }
            allRows = allRows.map { row in kept.map { row[$0] } }
        }
        var text = MarkdownTable.render(header: columns, rows: allRows)
        let notes = leadingNotes.map { "- " + $0 } + entries.compactMap { entry -> String? in
            guard let statements = entry.statements ?? entry.crossCheck?.statements, !statements.isEmpty else { return nil }
            return statements.map { "- \(entry.label): \($0)" }.joined(separator: "\n")
        }
        if !notes.isEmpty { text += "\n\nServer against client:\n" + notes.joined(separator: "\n") }
        let absent = Set(entries.flatMap { $0.summary.replicas.flatMap(\.absentMetrics) })
        if !absent.isEmpty {
            text += "\n\nNot exposed by the server: " + ServerMetric.allCases.filter(absent.contains).map(\.title).joined(separator: ", ") + "."
        }
        return text
    }

    private static func cells(_ replica: ReplicaWindowSummary) -> [String] {
        let aligned = replica.alignment.isAligned
        func gauge(_ metric: ServerMetric, scale: Double = 1, decimals: Int) -> String {
            guard let gauge = replica.gauge(metric) else { return "-" }
            return pair(gauge.mean * scale, gauge.maximum * scale, decimals: decimals)
        }
        func counter(_ metric: ServerMetric) -> String {
            guard let counter = replica.counter(metric) else { return missing(aligned) }
            return Format.grouped(counter.delta) + (counter.resets > 0 ? " (reset)" : "")
        }
        let ttft = replica.histogram(.timeToFirstToken)
        var cells = [
            gauge(.requestsRunning, decimals: 1),
            gauge(.requestsWaiting, decimals: 1),
            replica.gauge(.kvCacheUsage).map { pair($0.mean * 100, $0.maximum * 100, decimals: 1, unit: "%") } ?? "-",
            counter(.preemptions),
            replica.prefixCacheHitRate.map(percent) ?? (replica.counter(.prefixCacheQueries) == nil ? missing(aligned) : "-"),
            counter(.promptTokens),
            counter(.generationTokens),
            pair(ttft?.quantile(0.5).map { $0 * 1000 }, ttft?.quantile(0.99).map { $0 * 1000 }, decimals: 1),
        ]
        for metric in [ServerMetric.queueTime, .prefillTime, .decodeTime] {
            cells.append(replica.histogram(metric)?.mean.map { Format.fixed($0 * 1000, decimals: 1) } ?? missing(aligned))
        }
        let failed = replica.alignment.failedScrapes
        cells.append("\(replica.alignment.scrapesInWindow)" + (failed > 0 ? " (\(failed): \(replica.alignment.failureSummary))" : ""))
        return cells
    }

    private static func total(_ summary: ServerMetricsSummary, _ metric: ServerMetric) -> String {
        summary.total(metric).map { Format.grouped($0) } ?? missing(summary.isAligned)
    }

    /// "n/a" when the window could not be aligned (the figure exists but cannot be trusted),
    /// "-" when the server does not expose it.
    private static func missing(_ aligned: Bool) -> String { aligned ? "-" : "n/a" }

    private static func pair(_ first: Double?, _ second: Double?, decimals: Int, unit: String = "") -> String {
        guard let first, let second else { return "-" }
        return Format.fixed(first, decimals: decimals) + unit + " / " + Format.fixed(second, decimals: decimals) + unit
    }

    private static func percent(_ fraction: Double) -> String { Format.fixed(fraction * 100, decimals: 1) + "%" }
}
