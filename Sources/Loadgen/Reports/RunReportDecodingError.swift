/// Why a JSON value is not a usable `loadgen run --json` result. Each case prints as one line.
public enum RunReportDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not JSON (`RunReportDecoder.result(fromJSONText:)`), with the parser's reason.
    case invalidJSON(String)
    /// Not an object, or lacking the members every run result has (`requests`, `succeeded`, `errors`).
    case notARunReport(String)
    /// A member a run result always carries is absent.
    case missingField(String)
    /// A member holds the wrong kind of value.
    case badField(String, expected: String)
    /// A `*_histogram` member does not decode (`LatencyHistogram(encoded:)` refused it).
    case corruptHistogram(String)
    /// The members contradict each other (e.g. the latency histogram's count is not `succeeded`).
    case inconsistent(String)
    /// No `started_at`/`ended_at`: written by a loadgen older than `merge`, so there is no wall-clock
    /// window to merge over.
    case noWallClockWindow

    /// The reason as one line, for the file name to precede.
    public var description: String {
        switch self {
        case .invalidJSON(let reason): "invalid JSON: \(reason)"
        case .notARunReport(let reason): "not a loadgen run --json result (\(reason))"
        case .missingField(let name): "no '\(name)' member"
        case .badField(let name, let expected): "'\(name)' is not \(expected)"
        case .corruptHistogram(let name): "'\(name)' is missing or corrupt"
        case .inconsistent(let reason): "inconsistent result: \(reason)"
        case .noWallClockWindow: "no 'started_at'/'ended_at' (written by a loadgen too old to merge; run it again)"
        }
    }
}
