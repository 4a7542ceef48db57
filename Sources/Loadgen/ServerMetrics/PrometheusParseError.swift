/// Text that is not the Prometheus exposition format: the 1-based line where parsing stopped and
/// what was wrong there, so a scrape of an HTML error page or a truncated body is recorded as
/// "line 1: '<html>' is not a metric name" rather than as silently empty.
struct PrometheusParseError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Reason: Error, Equatable, Sendable {
        /// A sample or a HELP/TYPE line whose name is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        case invalidMetricName
        /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`.
        case invalidLabelName
        /// The same label twice in one sample.
        case duplicateLabel(String)
        /// Inside `{...}`: something other than `=`, a quoted value, `,` or `}` where one is due.
        case malformedLabels
        /// A label value with no closing quote on its line.
        case unterminatedLabelValue
        /// A backslash in a label value followed by anything but `\`, `"` or `n`.
        case invalidEscape
        case missingValue
        case invalidValue(String)
        case invalidTimestamp(String)
        /// More text after the value and timestamp.
        case unexpectedText(String)
        /// `# TYPE x` with a type the format does not have.
        case invalidType(String)
        /// A second `# TYPE` line for one name, or a TYPE line after that name's samples (both
        /// make the family's type ambiguous; Go's expfmt refuses them too).
        case duplicateType(String)
        case typeAfterSamples(String)
        case duplicateHelp(String)
        /// A histogram `_bucket` sample without an `le` label, or with one that is not a number.
        case missingBucketBound(String)
        case invalidBucketBound(String)
        /// Bytes that are not UTF-8 in a name, label value or help text.
        case invalidUTF8
    }

    let line: Int
    let reason: Reason
    /// The start of the offending line (at most 60 characters), for the one-line message.
    let excerpt: String

    init(line: Int, reason: Reason, excerpt: String = "") {
        self.line = line
        self.reason = reason
        self.excerpt = excerpt
    }

    var description: String {
        let quoted = excerpt.isEmpty ? "" : " in '\(excerpt)'"
        let text: String
        switch reason {
        case .invalidMetricName: text = "not a metric name"
        case .invalidLabelName: text = "not a label name"
        case .duplicateLabel(let name): text = "label '\(name)' given twice"
        case .malformedLabels: text = "malformed label set"
        case .unterminatedLabelValue: text = "label value without a closing quote"
        case .invalidEscape: text = "invalid escape in a label value (only \\\\, \\\" and \\n exist)"
        case .missingValue: text = "sample without a value"
        case .invalidValue(let value): text = "'\(value)' is not a sample value"
        case .invalidTimestamp(let value): text = "'\(value)' is not a timestamp in milliseconds"
        case .unexpectedText(let value): text = "unexpected '\(value)' after the value"
        case .invalidType(let value): text = "'\(value)' is not a metric type"
        case .duplicateType(let name): text = "second TYPE line for '\(name)'"
        case .typeAfterSamples(let name): text = "TYPE line for '\(name)' after its samples"
        case .duplicateHelp(let name): text = "second HELP line for '\(name)'"
        case .missingBucketBound(let name): text = "histogram bucket '\(name)' without an 'le' label"
        case .invalidBucketBound(let value): text = "bucket bound le=\"\(value)\" is not a number"
        case .invalidUTF8: text = "bytes that are not UTF-8"
        }
        return "line \(line): \(text)\(quoted)"
    }
}
