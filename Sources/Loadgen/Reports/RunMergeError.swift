/// Why results cannot be merged. Each case prints as one line.
public enum RunMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No results were given.
    case noParts
    /// More than `RunMerge.maximumParts` results were given.
    case tooManyParts(Int)
    /// Part `part` (0-based) was measured against other `--slo` objectives than part 0, so their
    /// good requests do not add up.
    case differentObjectives(part: Int)
    /// Part `part` is the same measurement as part `of` (same start and counts): a file given twice.
    case duplicate(part: Int, of: Int)
    /// Part `part` sent another kind of request than part 0 (plain HTTP, OpenAI, OpenAI streamed):
    /// their latencies and tokens measure different things.
    case differentWorkloads(part: Int, kind: String, firstKind: String)

    /// The reason as one line, results numbered from 1.
    public var description: String {
        switch self {
        case .noParts: "nothing to merge"
        case .tooManyParts(let count): "\(count) results to merge, at most \(RunMerge.maximumParts)"
        case .differentObjectives(let part): "result \(part + 1) used other --slo objectives than result 1"
        case .duplicate(let part, let of): "result \(part + 1) is the same run as result \(of + 1) (same started_at and counts): given twice"
        case .differentWorkloads(let part, let kind, let first): "result \(part + 1) is a \(kind) run and result 1 a \(first) run: they measure different things"
        }
    }
}
