/// An SVG timeline of the server's state through a run: running and waiting requests in the
/// upper panel, KV cache usage (percent) in the lower, one line per replica, the windows (levels,
/// tests) shaded and labelled, and failed scrapes marked in red, so a saturating level shows as
/// the waiting line leaving zero inside its band.
///
/// Reuses `SVGChart`'s axis steps, labels and escaping; the x axis is linear time (seconds from
/// the first scrape or window), which a category chart cannot show.
struct ServerMetricsTimeline: Sendable {
    var title: String
    var recording: ServerMetricsRecording
    var windows: [MetricsWindow]
    var width = 900
    var height = 560

    init(title: String = "Server state over the run", recording: ServerMetricsRecording, windows: [MetricsWindow]) {
        self.title = title
        self.recording = recording
        self.windows = windows
    }

    /// The points of one line: seconds from the origin and a value, nil where a scrape failed
    /// or lacked the metric (the line breaks there).
    struct Line {
        var name: String
        var color: String
        var dash: String?
        var points: [(seconds: Double, value: Double?)]
    }

    /// The first scrape's or window's start: time zero of the chart.
    var originNanoseconds: UInt64 {
        let starts = recording.replicas.compactMap { $0.scrapes.first?.startedNanoseconds } + windows.map(\.startNanoseconds)
        return starts.min() ?? 0
    }

    private func seconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds &- originNanoseconds) / 1e9 }

    /// One replica's figures per scrape: seconds from the origin, nil where the scrape failed.
    private func points(_ replica: ReplicaMetricsRecording, _ metric: ServerMetric, scale: Double = 1) -> [(seconds: Double, value: Double?)] {
        let ids = replica.seriesIDs(of: metric)
        return replica.scrapes.map { (seconds($0.atNanoseconds), replica.gaugeValue(metric, ids: ids, in: $0).map { $0 * scale }) }
    }

    /// The chart's data as JSON, for result files (to re-plot or compare runs): the windows, and
    /// per replica the scrape times with running, waiting and KV cache usage (null where a
    /// scrape failed) and the failures.
    func json() -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .number($0, decimals: 4) } ?? .null }
        let replicas = recording.replicas.map { replica -> JSONValue in
            let running = points(replica, .requestsRunning), waiting = points(replica, .requestsWaiting)
            let usage = points(replica, .kvCacheUsage)
            return .object([
                ("url", .string(replica.url)),
                ("t_sec", .array(running.map { .number($0.seconds, decimals: 3) })),
                ("running", .array(running.map { number($0.value) })),
                ("waiting", .array(waiting.map { number($0.value) })),
                ("kv_cache_usage", .array(usage.map { number($0.value) })),
                ("failures", .array(replica.scrapes.compactMap { scrape in
                    scrape.failure.map { .object([("t_sec", .number(seconds(scrape.atNanoseconds), decimals: 3)),
                                                  ("kind", .string($0.kind)), ("text", .string($0.description))]) }
                })),
            ])
        }
        return .object([
            ("origin_unix", recording.originUnixSeconds > 0 ? .number(recording.unixSeconds(atNanoseconds: originNanoseconds), decimals: 6) : .null),
            ("interval_sec", .number(recording.intervalSeconds, decimals: 3)),
            ("windows", .array(windows.map { .object([("label", .string($0.label)),
                                                     ("start_sec", .number(seconds($0.startNanoseconds), decimals: 3)),
                                                     ("end_sec", .number(seconds($0.endNanoseconds), decimals: 3))]) })),
            ("replicas", .array(replicas)),
        ])
    }

    func render() -> String {
        let ends = recording.replicas.compactMap { $0.scrapes.last?.endedNanoseconds } + windows.map(\.endNanoseconds)
        let origin = originNanoseconds
        let span = max(Double((ends.max() ?? origin) &- origin) / 1e9, 1)

        let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3", "1 3"]
        var requestLines: [Line] = [], usageLines: [Line] = []
        var failures: [(seconds: Double, text: String)] = []
        let several = recording.replicas.count > 1
        for (index, replica) in recording.replicas.enumerated() {
            let suffix = several ? " r\(index + 1)" : ""
            let dash = dashes[index % dashes.count]
            requestLines.append(Line(name: "running" + suffix, color: SVGChart.palette[0], dash: dash, points: points(replica, .requestsRunning)))
            requestLines.append(Line(name: "waiting" + suffix, color: SVGChart.palette[1], dash: dash, points: points(replica, .requestsWaiting)))
            usageLines.append(Line(name: "KV cache" + suffix, color: SVGChart.palette[3], dash: dash,
                                   points: points(replica, .kvCacheUsage, scale: 100)))
            for scrape in replica.scrapes {
                if let failure = scrape.failure { failures.append((seconds(scrape.atNanoseconds), "r\(index + 1): \(failure)")) }
            }
        }

        let left = 70.0, right = 130.0, top = 50.0, bottom = 50.0, gap = 40.0
        let plotWidth = Double(width) - left - right
        let available = Double(height) - top - bottom - gap
        let upper = (top: top, height: available * 0.62)
        let lower = (top: top + upper.height + gap, height: available * 0.38)
        func x(_ seconds: Double) -> Double { left + plotWidth * seconds / span }
        func f(_ value: Double) -> String { Format.fixed(value, decimals: 1, trimZeros: true) }

        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif" font-size="12">"#
        svg += "\n" + #"<rect width="100%" height="100%" fill="white"/>"#
        svg += "\n" + #"<text x="\#(f(Double(width) / 2))" y="28" text-anchor="middle" font-size="16" font-weight="bold">\#(SVGChart.escape(title))</text>"#
        // Labels above the bands while they fit side by side (about 5.6 px a character at 10 px);
        // a bench's twenty tests do not, so they then stand upright inside their bands.
        let centers = windows.map { (x(seconds($0.startNanoseconds)) + x(seconds($0.endNanoseconds))) / 2 }
        let widths = windows.map { Double($0.label.count) * 5.6 }
        let upright = windows.indices.dropFirst().contains { centers[$0] - centers[$0 - 1] < (widths[$0] + widths[$0 - 1]) / 2 + 4 }
        // Windows first, so lines draw over the bands.
        for (index, window) in windows.enumerated() {
            let x0 = x(seconds(window.startNanoseconds)), x1 = x(seconds(window.endNanoseconds))
            let fill = index % 2 == 0 ? "#eef3fb" : "#f6f6f6"
            svg += "\n" + #"<rect x="\#(f(x0))" y="\#(f(upper.top))" width="\#(f(max(x1 - x0, 1)))" height="\#(f(lower.top + lower.height - upper.top))" fill="\#(fill)"/>"#
            for edge in [x0, x1] {
                svg += "\n" + ##"<line x1="\##(f(edge))" y1="\##(f(upper.top))" x2="\##(f(edge))" y2="\##(f(lower.top + lower.height))" stroke="#9ab" stroke-dasharray="3 3"/>"##
            }
            if !window.label.isEmpty, upright {
                let labelX = centers[index] + 3.5, labelY = upper.top + 4
                svg += "\n" + ##"<text x="\##(f(labelX))" y="\##(f(labelY))" transform="rotate(-90 \##(f(labelX)) \##(f(labelY)))" text-anchor="end" font-size="10" fill="#555">\##(SVGChart.escape(window.label))</text>"##
            } else if !window.label.isEmpty {
                svg += "\n" + #"<text x="\#(f((x0 + x1) / 2))" y="\#(f(upper.top - 6))" text-anchor="middle" font-size="10">\#(SVGChart.escape(window.label))</text>"#
            }
        }
        svg += panel(requestLines, top: upper.top, height: upper.height, yLabel: "requests", fixedMaximum: nil, x: x, left: left, plotWidth: plotWidth)
        svg += panel(usageLines, top: lower.top, height: lower.height, yLabel: "KV cache %", fixedMaximum: 100, x: x, left: left, plotWidth: plotWidth)
        // The time axis under the lower panel.
        let step = SVGChart.niceStep(span / 8)
        var tick = 0.0
        while tick <= span * 1.0001 {
            svg += "\n" + #"<text x="\#(f(x(tick)))" y="\#(f(lower.top + lower.height + 16))" text-anchor="middle">\#(SVGChart.tickLabel(tick, step: step))</text>"#
            tick += step
        }
        svg += "\n" + #"<text x="\#(f(left + plotWidth / 2))" y="\#(height - 12)" text-anchor="middle">seconds</text>"#
        for failure in failures {
            let cx = x(failure.seconds), cy = upper.top + upper.height
            svg += "\n" + ##"<path d="M\##(f(cx - 4)) \##(f(cy + 8)) L\##(f(cx)) \##(f(cy)) L\##(f(cx + 4)) \##(f(cy + 8)) Z" fill="#d62728"><title>scrape failed: \##(SVGChart.escape(failure.text))</title></path>"##
        }
        if !failures.isEmpty {
            svg += "\n" + ##"<text x="\##(f(left + plotWidth + 10))" y="\##(f(upper.top + upper.height + 8))" fill="#d62728" font-size="11">\##(failures.count) failed scrapes</text>"##
        }
        svg += "\n</svg>\n"
        return svg
    }

    private func panel(_ lines: [Line], top: Double, height: Double, yLabel: String, fixedMaximum: Double?,
                       x: (Double) -> Double, left: Double, plotWidth: Double) -> String {
        func f(_ value: Double) -> String { Format.fixed(value, decimals: 1, trimZeros: true) }
        let maximum = fixedMaximum ?? max(lines.flatMap { $0.points.compactMap(\.value) }.filter(\.isFinite).max() ?? 1, 1)
        let step = SVGChart.niceStep(maximum / 4)
        let yMax = max(step, (maximum / step).rounded(.up) * step)
        func y(_ value: Double) -> Double { top + height * (1 - min(max(value, 0), yMax) / yMax) }
        var svg = ""
        var tick = 0.0
        while tick <= yMax * 1.0001 {
            svg += "\n" + #"<line x1="\#(f(left))" y1="\#(f(y(tick)))" x2="\#(f(left + plotWidth))" y2="\#(f(y(tick)))" stroke="gainsboro"/>"#
            svg += "\n" + #"<text x="\#(f(left - 8))" y="\#(f(y(tick) + 4))" text-anchor="end">\#(SVGChart.tickLabel(tick, step: step))</text>"#
            tick += step
        }
        svg += "\n" + #"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(plotWidth))" height="\#(f(height))" fill="none" stroke="black"/>"#
        svg += "\n" + #"<text x="18" y="\#(f(top + height / 2))" text-anchor="middle" transform="rotate(-90 18 \#(f(top + height / 2)))">\#(SVGChart.escape(yLabel))</text>"#
        for (index, line) in lines.enumerated() {
            // One polyline per run of good scrapes: a failed scrape leaves a gap, not a slope.
            var runs: [[String]] = [[]]
            for point in line.points {
                if let value = point.value, value.isFinite {
                    runs[runs.count - 1].append("\(f(x(point.seconds))),\(f(y(value)))")
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            let dash = line.dash.map { #" stroke-dasharray="\#($0)""# } ?? ""
            for run in runs where !run.isEmpty {
                if run.count == 1 {
                    let parts = run[0].split(separator: ",")
                    svg += "\n" + #"<circle cx="\#(parts[0])" cy="\#(parts[1])" r="2" fill="\#(line.color)"/>"#
                } else {
                    svg += "\n" + #"<polyline fill="none" stroke="\#(line.color)" stroke-width="1.5"\#(dash) points="\#(run.joined(separator: " "))"><title>\#(SVGChart.escape(line.name))</title></polyline>"#
                }
            }
            let legendY = top + 12 + Double(index) * 16
            svg += "\n" + #"<line x1="\#(f(left + plotWidth + 10))" y1="\#(f(legendY))" x2="\#(f(left + plotWidth + 30))" y2="\#(f(legendY))" stroke="\#(line.color)" stroke-width="2"\#(dash)/>"#
            svg += "\n" + #"<text x="\#(f(left + plotWidth + 36))" y="\#(f(legendY + 4))">\#(SVGChart.escape(line.name))</text>"#
        }
        return svg
    }
}
