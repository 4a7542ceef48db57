import Foundation
import Testing
@testable import Loadgen

@Suite("Server metrics rendering")
struct ServerMetricsRenderingTests {
    private func recording(replicas: Int = 1, failAt: Double? = nil) -> ServerMetricsRecording {
        var recordings: [ReplicaMetricsRecording] = []
        for replica in 0..<replicas {
            var builder = RecordingBuilder(url: "http://replica\(replica)/metrics")
            for second in stride(from: 0.0, through: 6, by: 1) {
                if second == failAt {
                    builder.fail(at: second, .status(500))
                    continue
                }
                let waiting = second >= 4 ? 5.0 : 0
                builder.scrape(at: second, RecordingBuilder.vllm(running: Double(4 + 2 * replica), waiting: waiting, kv: second / 10,
                                                                 prompt: second * 110, generation: second * 50,
                                                                 queue: [second, second, second], prefill: [0, second, second],
                                                                 queueSum: second * 0.01, prefillSum: second * 0.2))
            }
            recordings.append(builder.recording)
        }
        return ServerMetricsRecording(replicas: recordings, intervalSeconds: 1, originNanoseconds: 0, originUnixSeconds: 1_800_000_000)
    }

    private let windows = [MetricsWindow(label: "c=1", startNanoseconds: 500_000_000, endNanoseconds: 2_500_000_000),
                           MetricsWindow(label: "c=8", startNanoseconds: 3_500_000_000, endNanoseconds: 5_500_000_000)]

    @Test("the JSON of a window is well formed and carries gauges, counters, histograms, totals and the cross-check")
    func json() throws {
        let summary = ServerMetricsSummary(recording(), window: windows[0])
        let check = summary.crossCheck(ClientWindowFigures(promptTokens: 330, generationTokens: 150, meanTimeToFirstTokenSeconds: 0.25))
        let text = summary.json(crossCheck: check).serialized(pretty: true)
        let parsed = try JSONParser.parse(text)
        #expect(parsed == summary.json(crossCheck: check))
        #expect(text.contains(#""requests_running": {"#))
        #expect(text.contains(#""generation_tokens": 150"#))
        #expect(text.contains(#""started_at": 1800000000.5"#))
        #expect(text.contains(#""queue_time_ms": {"#))
        #expect(text.contains(#""verdict": "agrees""#))
        #expect(text.contains(#""aligned": true"#))
        #expect(!summary.json(includeOtherSeries: false).serialized().contains("other_series"))
    }

    @Test("an unaligned window's JSON has nulls, not zeros, for what cannot be known")
    func jsonUnaligned() {
        let window = MetricsWindow(label: "late", startNanoseconds: 5_500_000_000, endNanoseconds: 9_000_000_000)
        let text = ServerMetricsSummary(recording(), window: window).json().serialized()
        #expect(text.contains(#""generation_tokens":null"#))
        #expect(text.contains(#""aligned":false"#))
        #expect(text.contains(#""problem":"no good scrape after it ended""#))
    }

    @Test("the Markdown table has a row per level with the server's figures, and the cross-check below")
    func markdown() {
        let entries = windows.map { window -> ServerMetricsMarkdown.Entry in
            let summary = ServerMetricsSummary(recording(), window: window)
            return .init(label: window.label, summary: summary,
                         crossCheck: summary.crossCheck(ClientWindowFigures(promptTokens: 330, generationTokens: 150)))
        }
        let table = ServerMetricsMarkdown.table(entries)
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("| Level | Running mean/max | Waiting mean/max | KV cache mean/max |"))
        #expect(!lines[0].contains("Replica"))
        // c=1: scrapes at 1 and 2 s in the window; generation 0 s -> 3 s: 150 tokens.
        func cells(_ line: String) -> [String] {
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        // Preemptions and prefix hits, "-" in every row (not exposed), are left out.
        #expect(!lines[0].contains("Preemptions") && !lines[0].contains("Prefix hits"))
        #expect(Array(cells(lines[2]).prefix(6)) == ["c=1", "4.0 / 4.0", "0.0 / 0.0", "15.0% / 20.0%", "330", "150"])
        #expect(cells(lines[3])[2] == "5.0 / 5.0")
        #expect(table.contains("- c=1: generation tokens: server 150, loadgen 150, exactly equal."))
        #expect(table.contains("Not exposed by the server: prefix cache queries (tokens)"))
    }

    @Test("with several replicas the table adds a replica column and an all row with the imbalance")
    func markdownReplicas() {
        let summary = ServerMetricsSummary(recording(replicas: 2), window: windows[0])
        let rows = ServerMetricsMarkdown.rows(for: .init(label: "c=1", summary: summary), replicaColumns: true)
        #expect(rows.count == 3)
        #expect(rows.map { $0[1] } == ["1", "2", "all"])
        #expect(rows[2].last == "1.20")  // running 4 and 6: max 6 over mean 5
        #expect(rows[2][8] == "300")  // generation: 150 per replica
        #expect(rows.allSatisfy { $0.count == ServerMetricsMarkdown.header(replicaColumns: true).count })
    }

    @Test("an unaligned level shows n/a where a delta would be, and the failures")
    func markdownUnaligned() {
        let summary = ServerMetricsSummary(recording(failAt: 3), window: MetricsWindow(label: "x", startNanoseconds: 2_500_000_000,
                                                                                      endNanoseconds: 7_000_000_000))
        let row = ServerMetricsMarkdown.rows(for: .init(label: "x", summary: summary), replicaColumns: false)[0]
        #expect(row[6] == "n/a" && row[7] == "n/a")
        #expect(row.last == "3 (1: 1 HTTP 500)")
    }

    @Test("the timeline draws running, waiting and KV lines, shades each window and marks failed scrapes")
    func timeline() {
        let svg = ServerMetricsTimeline(recording: recording(failAt: 3), windows: windows).render()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains(">c=1</text>") && svg.contains(">c=8</text>"))
        // The failed scrape at 3 s breaks each of the three lines in two.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 6)
        #expect(svg.contains("<title>scrape failed: r1: answered HTTP 500</title>"))
        #expect(svg.contains(">1 failed scrapes</text>"))
        #expect(svg.contains(">running</text>") && svg.contains(">waiting</text>") && svg.contains(">KV cache</text>"))
        // Ticks with the decimals their step needs, the same on every tick: "0", "50", "100",
        // where the tooltip rule printed "0.00", "50.0", "100" on one axis.
        #expect(svg.contains(#"text-anchor="end">0</text>"#) && svg.contains(#"text-anchor="end">100</text>"#))
        #expect(!svg.contains(">0.00</text>"))
        let json = ServerMetricsTimeline(recording: recording(failAt: 3), windows: windows).json().serialized()
        #expect(json.contains(#""running":[4,4,4,null,4,4,4]"#))
        #expect(json.contains(#""waiting":[0,0,0,null,5,5,5]"#))
        #expect(json.contains(#""failures":[{"t_sec":3.005,"kind":"HTTP 500","text":"answered HTTP 500"}]"#))
        #expect(json.contains(#""windows":[{"label":"c=1","start_sec":0.5,"end_sec":2.5}"#))
        let two = ServerMetricsTimeline(recording: recording(replicas: 2), windows: windows).render()
        #expect(two.contains(">running r2</text>") && two.contains("stroke-dasharray=\"6 3\""))
    }
}
