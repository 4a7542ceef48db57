import Testing
@testable import Loadgen

@Suite("Prometheus text parser")
struct PrometheusTextParserTests {
    private func parseEdgeCases() throws -> PrometheusExposition {
        try PrometheusTextParser.parse(try MetricsFixtures.bytes("edge-cases.prom"))
    }

    private func sample(_ exposition: PrometheusExposition, _ name: String, _ labels: [String: String] = [:]) -> MetricSample? {
        exposition.samples.first { sample in
            sample.name == name && labels.allSatisfy { sample.label($0.key) == $0.value }
        }
    }

    @Test("label values unescape backslash, quote and newline; an empty value and the format's own syntax inside quotes are kept")
    func labelEscapes() throws {
        let labels = try #require(sample(try parseEdgeCases(), "label_escapes")).labels
        #expect(labels == [MetricLabel("path", #"C:\dir\file"#), MetricLabel("quote", #"say "hi""#),
                           MetricLabel("newline", "line1\nline2"), MetricLabel("empty", ""),
                           MetricLabel("syntax", "a}b,c=d{# 1")])
    }

    @Test("blanks around labels and a trailing comma are accepted, labels kept in written order")
    func labelSpacing() throws {
        let parsed = try #require(sample(try parseEdgeCases(), "label_spacing"))
        #expect(parsed.labels == [MetricLabel("b", "2"), MetricLabel("a", "1")])
        #expect(parsed.value == 3)
        #expect(SeriesKey(name: parsed.name, labels: parsed.labels).description == #"label_spacing{a="1",b="2"}"#)
    }

    @Test("NaN, +Inf, -Inf, exponents, negatives and hex floats are values")
    func specialValues() throws {
        let exposition = try parseEdgeCases()
        func value(_ kind: String) throws -> Double { try #require(sample(exposition, "special_values", ["kind": kind])).value }
        #expect(try value("nan").isNaN)
        #expect(try value("plus_inf") == .infinity)
        #expect(try value("minus_inf") == -.infinity)
        #expect(try value("exponent") == 0.0015)
        #expect(try value("negative") == -42)
        #expect(try value("hex") == 16)
    }

    @Test("timestamps are optional milliseconds, tabs separate like spaces, leading blanks are skipped")
    func timestampsAndBlanks() throws {
        let exposition = try parseEdgeCases()
        #expect(sample(exposition, "with_timestamp")?.timestampMilliseconds == 1_700_000_000_000)
        #expect(sample(exposition, "with_negative_timestamp")?.timestampMilliseconds == -1000)
        #expect(sample(exposition, "tabs_between")?.value == 14)
        #expect(sample(exposition, "tabs_between")?.timestampMilliseconds == 1_700_000_000_001)
        #expect(sample(exposition, "leading_blanks")?.value == 15)
        #expect(sample(exposition, "help_escapes")?.timestampMilliseconds == nil)
    }

    @Test("HELP text unescapes backslash and newline and keeps unknown escapes; comments are skipped")
    func helpText() throws {
        let family = try #require(try parseEdgeCases().family(named: "help_escapes"))
        #expect(family.help == "Help with a backslash \\, a newline \n and an unknown \\q escape kept as written.")
        #expect(family.type == .gauge)
    }

    @Test("samples without TYPE are untyped families, TYPE is case-insensitive")
    func untyped() throws {
        let exposition = try parseEdgeCases()
        #expect(exposition.family(named: "no_type_line")?.type == .untyped)
        #expect(exposition.family(named: "explicitly_untyped")?.type == .untyped)
        #expect(exposition.family(named: "vllm:num_requests_running")?.samples.first?.value == 3)
        #expect(exposition.family(named: "empty_labels")?.samples.first?.labels == [])
    }

    @Test("a histogram family owns its buckets, sum and count; a summary its quantiles, sum and count")
    func histogramsAndSummaries() throws {
        let exposition = try parseEdgeCases()
        let histogram = try #require(exposition.family(named: "request_seconds"))
        #expect(histogram.type == .histogram)
        #expect(histogram.samples.map(\.name) == ["request_seconds_bucket", "request_seconds_bucket", "request_seconds_bucket",
                                                  "request_seconds_count", "request_seconds_sum"])
        #expect(histogram.samples.compactMap { $0.label("le") } == ["0.1", "1", "+Inf"])
        let summary = try #require(exposition.family(named: "rpc_seconds"))
        #expect(summary.type == .summary)
        #expect(summary.samples.count == 4)
        #expect(exposition.family(named: "rpc_seconds_sum") == nil)
    }

    @Test("a counter declared without _total owns its _total samples")
    func counterSuffix() throws {
        let exposition = try parseEdgeCases()
        #expect(exposition.family(named: "jobs_total")?.samples.first?.value == 10)
        #expect(exposition.family(named: "openmetrics_style")?.type == .counter)
        #expect(exposition.family(named: "openmetrics_style")?.samples.first?.name == "openmetrics_style_total")
        #expect(exposition.family(named: "openmetrics_style_total") == nil)
    }

    @Test("every family of the edge-case fixture is found, in order")
    func familyOrder() throws {
        #expect(try parseEdgeCases().families.map(\.name) == [
            "help_escapes", "label_escapes", "label_spacing", "special_values", "with_timestamp", "with_negative_timestamp",
            "tabs_between", "leading_blanks", "no_type_line", "explicitly_untyped", "request_seconds", "rpc_seconds",
            "jobs_total", "openmetrics_style", "vllm:num_requests_running", "empty_labels",
        ])
    }

    @Test("CRLF line ends and a last line without a newline parse like LF")
    func lineEnds() throws {
        let lf = try PrometheusTextParser.parse("# TYPE a gauge\na{x=\"1\"} 1\nb 2\n")
        #expect(try PrometheusTextParser.parse("# TYPE a gauge\r\na{x=\"1\"} 1\r\nb 2\r\n") == lf)
        #expect(try PrometheusTextParser.parse("# TYPE a gauge\na{x=\"1\"} 1\nb 2") == lf)
        #expect(try PrometheusTextParser.parse("").families.isEmpty)
    }

    static let garbage: [(text: String, line: Int, reason: PrometheusParseError.Reason)] = [
        ("<html><body>502 Bad Gateway</body></html>", 1, .invalidMetricName),
        (#"{"error": "not found"}"#, 1, .invalidMetricName),
        ("ok 1\nbroken{a=\"1\" 2\n", 2, .malformedLabels),
        ("x{a=\"1} 2", 1, .unterminatedLabelValue),
        ("x{a=\"\\t\"} 1", 1, .invalidEscape),
        ("x{a=\"1\"}", 1, .missingValue),
        ("x", 1, .missingValue),
        ("x 1.2.3", 1, .invalidValue("1.2.3")),
        ("x one", 1, .invalidValue("one")),
        ("x 1 12.5", 1, .invalidTimestamp("12.5")),
        ("x 1 2 3", 1, .unexpectedText("3")),
        ("x-y 1", 1, .invalidMetricName),
        ("x{1a=\"b\"} 1", 1, .invalidLabelName),
        ("x{a:b=\"c\"} 1", 1, .malformedLabels),
        ("x{a=\"1\",a=\"2\"} 1", 1, .duplicateLabel("a")),
        ("x{a=1} 1", 1, .malformedLabels),
        ("# TYPE x countr", 1, .invalidType("countr")),
        ("# TYPE x gauge extra", 1, .unexpectedText("extra")),
        ("# TYPE x gauge\n# TYPE x gauge", 2, .duplicateType("x")),
        ("x 1\n# TYPE x gauge", 2, .typeAfterSamples("x")),
        ("# HELP x a\n# HELP x b", 2, .duplicateHelp("x")),
        ("# HELP 9x text", 1, .invalidMetricName),
        ("# TYPE h histogram\nh_bucket{a=\"1\"} 1", 2, .missingBucketBound("h_bucket")),
        ("# TYPE h histogram\nh_bucket{le=\"abc\"} 1", 2, .invalidBucketBound("abc")),
        ("\n\n# a comment\nx 1\ny{ 2", 5, .invalidLabelName),
    ]

    @Test("garbage is refused with the line and what is wrong", arguments: garbage.indices)
    func refusesGarbage(_ index: Int) {
        let (text, line, reason) = Self.garbage[index]
        #expect(throws: PrometheusParseError(line: line, reason: reason, excerpt: Self.excerpt(of: text, line: line))) {
            try PrometheusTextParser.parse(text)
        }
    }

    private static func excerpt(of text: String, line: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return String(lines[line - 1].prefix(60))
    }

    @Test("bytes that are not UTF-8 in a label value are refused")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("x{a=\"".utf8) + [0xFF, 0xFE] + Array("\"} 1\n".utf8)
        #expect(throws: PrometheusParseError.self) { try PrometheusTextParser.parse(bytes) }
        do {
            _ = try PrometheusTextParser.parse(bytes)
        } catch {
            #expect(error.reason == .invalidUTF8)
            #expect(error.line == 1)
        }
    }

    @Test("the error reads as one line naming the line number and the start of the text")
    func errorDescription() {
        do {
            _ = try PrometheusTextParser.parse("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n")
            Issue.record("garbage parsed")
        } catch {
            #expect(error.description == "line 1: not a metric name in '<html><head><title>502 Bad Gateway</title></head><body>nginx...'")
        }
    }

    @Test("a truncated body fails on its last line, not earlier")
    func truncatedBody() throws {
        let text = try MetricsFixtures.text("vllm-0.32-modelled.prom")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // Cut inside the label set of a sample line halfway through the answer.
        let index = lines.indices.first { $0 > lines.count / 2 && lines[$0].hasPrefix("vllm:") && lines[$0].contains("{") }!
        let cut = lines[..<index].joined(separator: "\n") + "\n" + String(lines[index].prefix(lines[index].count / 2))
        do {
            _ = try PrometheusTextParser.parse(cut)
            Issue.record("a truncated body parsed")
        } catch {
            #expect(error.line == index + 1)
        }
    }
}
