/// Parses the Prometheus text exposition format, version 0.0.4 (what vLLM and SGLang serve at
/// `/metrics` through prometheus_client, `Content-Type: text/plain; version=0.0.4`).
///
/// The format, line by line (lines end in `\n`; a `\r` before it is tolerated):
/// - blank lines are skipped; a line starting with `#` is a comment, unless its first word is
///   `HELP` (`# HELP name text`, the text with `\\` and `\n` escapes) or `TYPE`
///   (`# TYPE name counter|gauge|histogram|summary|untyped`);
/// - a sample is `name[{label="value",...}] value [timestamp]`, names `[a-zA-Z_:][a-zA-Z0-9_:]*`,
///   label names without `:`, label values quoted with the escapes `\\`, `\"` and `\n`, an
///   optional trailing comma in the label set, values as Go's ParseFloat reads them (including
///   `NaN`, `+Inf`, `-Inf`), the timestamp an integer of milliseconds;
/// - a family's TYPE comes before its samples; a histogram `x` owns `x_bucket` (with an `le`
///   label, `+Inf` for the last), `x_sum` and `x_count`; a summary `x` owns `x`, `x_sum`,
///   `x_count`; a counter `x` owns `x_total` if no family of that name exists; samples with no
///   TYPE form `untyped` families.
///
/// Label values and the structure are checked strictly (they are the data), HELP text leniently
/// (an unknown escape is kept as written: a docstring is no reason to lose a scrape). The first
/// problem ends the parse with a `PrometheusParseError` naming the line. Never on the hot path:
/// the scraper parses one answer per replica per interval on its own thread.
enum PrometheusTextParser {
    static func parse(_ text: String) throws(PrometheusParseError) -> PrometheusExposition {
        try parse(Array(text.utf8))
    }

    static func parse(_ bytes: [UInt8]) throws(PrometheusParseError) -> PrometheusExposition {
        var builder = ExpositionBuilder()
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            do {
                var line = LineCursor(bytes: bytes, position: start, end: lineEnd)
                try builder.consume(&line)
            } catch {
                throw PrometheusParseError(line: lineNumber, reason: error, excerpt: excerpt(bytes[start..<lineEnd]))
            }
            start = end + 1
        }
        return builder.exposition
    }

    /// At most 60 characters of the line, control bytes shown as `?`, for error messages.
    private static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        let shown = line.prefix(60).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }
        return String(decoding: shown, as: UTF8.self) + (line.count > 60 ? "..." : "")
    }
}

/// The bytes of one line and a read position in them.
private struct LineCursor {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    var atEnd: Bool { position >= end }
    var current: UInt8 { bytes[position] }

    mutating func skipBlanks() {
        while position < end, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
    }

    /// A metric name (colons allowed) or a label name (no colons), or nil if none starts here.
    mutating func name(allowingColon: Bool) -> String? {
        let first = position
        while position < end {
            let byte = bytes[position]
            let letter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
                || (allowingColon && byte == 0x3A)
            let digit = byte >= 0x30 && byte <= 0x39
            guard letter || (digit && position > first) else { break }
            position += 1
        }
        guard position > first else { return nil }
        return String(decoding: bytes[first..<position], as: UTF8.self)
    }

    /// The bytes up to the next blank or the end of the line.
    mutating func token() -> ArraySlice<UInt8> {
        let first = position
        while position < end, bytes[position] != 0x20, bytes[position] != 0x09 { position += 1 }
        return bytes[first..<position]
    }

    /// True (and consumed) if the next byte is `byte`.
    mutating func take(_ byte: UInt8) -> Bool {
        guard position < end, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A quoted label value, the cursor on its opening quote; unescaped.
    mutating func quotedValue() throws(PrometheusParseError.Reason) -> String {
        guard take(0x22) else { throw .malformedLabels }
        var value: [UInt8] = []
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case 0x22:
                guard let text = String(validating: value, as: UTF8.self) else { throw .invalidUTF8 }
                return text
            case 0x5C:
                guard position < end else { throw .unterminatedLabelValue }
                switch bytes[position] {
                case 0x5C: value.append(0x5C)
                case 0x22: value.append(0x22)
                case 0x6E: value.append(0x0A)
                default: throw .invalidEscape
                }
                position += 1
            default:
                value.append(byte)
            }
        }
        throw .unterminatedLabelValue
    }

    /// The rest of the line as HELP text: `\\` and `\n` unescaped, other backslashes kept.
    mutating func helpText() -> String {
        var text: [UInt8] = []
        while position < end {
            let byte = bytes[position]
            position += 1
            if byte == 0x5C, position < end, bytes[position] == 0x5C || bytes[position] == 0x6E {
                text.append(bytes[position] == 0x6E ? 0x0A : 0x5C)
                position += 1
            } else {
                text.append(byte)
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The families seen so far, and which names have had a HELP or TYPE line.
private struct ExpositionBuilder {
    var exposition = PrometheusExposition()
    var indexByName: [String: Int] = [:]
    var typed: Set<String> = []
    var helped: Set<String> = []

    mutating func consume(_ line: inout LineCursor) throws(PrometheusParseError.Reason) {
        line.skipBlanks()
        if line.atEnd { return }
        if line.take(UInt8(ascii: "#")) {
            try comment(&line)
        } else {
            try sample(&line)
        }
    }

    private mutating func comment(_ line: inout LineCursor) throws(PrometheusParseError.Reason) {
        line.skipBlanks()
        let keyword = line.token()
        let isHelp = keyword.elementsEqual("HELP".utf8), isType = keyword.elementsEqual("TYPE".utf8)
        guard isHelp || isType else { return }  // an ordinary comment (OpenMetrics' `# EOF` too)
        line.skipBlanks()
        guard let name = line.name(allowingColon: true) else { throw .invalidMetricName }
        guard line.atEnd || line.current == 0x20 || line.current == 0x09 else { throw .invalidMetricName }
        line.skipBlanks()
        if isHelp {
            guard !helped.contains(name) else { throw .duplicateHelp(name) }
            helped.insert(name)
            exposition.families[familyIndex(declaring: name)].help = line.helpText()
            return
        }
        let word = String(decoding: line.token(), as: UTF8.self)
        line.skipBlanks()
        guard line.atEnd else { throw .unexpectedText(String(decoding: line.token(), as: UTF8.self)) }
        guard let type = MetricType(rawValue: word.lowercased()) else { throw .invalidType(word) }
        guard !typed.contains(name) else { throw .duplicateType(name) }
        let index = familyIndex(declaring: name)
        guard exposition.families[index].samples.isEmpty else { throw .typeAfterSamples(name) }
        typed.insert(name)
        exposition.families[index].type = type
    }

    private mutating func sample(_ line: inout LineCursor) throws(PrometheusParseError.Reason) {
        guard let name = line.name(allowingColon: true) else { throw .invalidMetricName }
        // A name ends at a blank or a label set: `vllm-x 1` or `<html>` is not a sample.
        guard line.atEnd || line.current == 0x20 || line.current == 0x09 || line.current == UInt8(ascii: "{") else {
            throw .invalidMetricName
        }
        var labels: [MetricLabel] = []
        line.skipBlanks()
        if line.take(UInt8(ascii: "{")) {
            while true {
                line.skipBlanks()
                if line.take(UInt8(ascii: "}")) { break }
                guard let labelName = line.name(allowingColon: false) else { throw .invalidLabelName }
                line.skipBlanks()
                guard line.take(UInt8(ascii: "=")) else { throw .malformedLabels }
                line.skipBlanks()
                let value = try line.quotedValue()
                guard !labels.contains(where: { $0.name == labelName }) else { throw .duplicateLabel(labelName) }
                labels.append(MetricLabel(labelName, value))
                line.skipBlanks()
                if line.take(UInt8(ascii: ",")) { continue }
                guard line.take(UInt8(ascii: "}")) else { throw .malformedLabels }
                break
            }
            line.skipBlanks()
        }
        guard !line.atEnd else { throw .missingValue }
        let valueToken = line.token()
        guard let value = Self.number(valueToken) else { throw .invalidValue(String(decoding: valueToken, as: UTF8.self)) }
        line.skipBlanks()
        var timestamp: Int64?
        if !line.atEnd {
            let token = line.token()
            guard let milliseconds = Int64(String(decoding: token, as: UTF8.self)) else {
                throw .invalidTimestamp(String(decoding: token, as: UTF8.self))
            }
            timestamp = milliseconds
            line.skipBlanks()
            guard line.atEnd else { throw .unexpectedText(String(decoding: line.token(), as: UTF8.self)) }
        }
        let index = familyIndex(forSample: name)
        if exposition.families[index].type == .histogram, name.hasSuffix("_bucket") {
            guard let bound = labels.first(where: { $0.name == "le" })?.value else { throw .missingBucketBound(name) }
            guard Self.number(ArraySlice(bound.utf8)) != nil else { throw .invalidBucketBound(bound) }
        }
        exposition.families[index].samples.append(
            MetricSample(name: name, labels: labels, value: value, timestampMilliseconds: timestamp))
    }

    /// A value as Go's strconv.ParseFloat reads it: decimal or hex floats, `NaN`, `Inf`, `+Inf`, `-Inf`.
    static func number(_ token: ArraySlice<UInt8>) -> Double? {
        // Swift's Double(String) is strtod over the whole token: the same grammar, case-insensitive
        // inf/nan included. Refuse what strtod would take but the format does not: blanks and NULs.
        guard !token.isEmpty, !token.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return nil }
        return Double(String(decoding: token, as: UTF8.self))
    }

    /// The family a HELP or TYPE line names, created (untyped, empty) if new.
    private mutating func familyIndex(declaring name: String) -> Int {
        if let index = indexByName[name] { return index }
        exposition.families.append(MetricFamily(name: name, type: .untyped))
        indexByName[name] = exposition.families.count - 1
        return exposition.families.count - 1
    }

    /// The family a sample belongs to: its own name, or a histogram/summary it is a part of
    /// (`x_bucket`, `x_sum`, `x_count`), or a counter declared without the `_total` its samples
    /// carry (OpenMetrics' spelling, which some 0.0.4 writers borrow); otherwise a new untyped family.
    private mutating func familyIndex(forSample name: String) -> Int {
        if let index = indexByName[name] { return index }
        for suffix in ["_bucket", "_sum", "_count", "_total"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let index = indexByName[base] {
                let type = exposition.families[index].type
                switch suffix {
                case "_bucket": if type == .histogram { return index }
                case "_total": if type == .counter { return index }
                default: if type == .histogram || type == .summary { return index }
                }
            }
        }
        return familyIndex(declaring: name)
    }
}
