/// Why results cannot be merged. Each case prints as one line.
public enum RunMergeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No results were given.
    case noParts
    /// More than `RunMerge.maximumParts` results were given.
    case tooManyParts(Int)
    /// Part `part` (0-based) was measured against other `--slo` objectives than part 0, so their
    /// good requests do not add up.
    case differentObjectives(part: Int)

    public var description: String {
        switch self {
        case .noParts: "nothing to merge"
        case .tooManyParts(let count): "\(count) results to merge, at most \(RunMerge.maximumParts)"
        case .differentObjectives(let part): "result \(part + 1) used other --slo objectives than result 1"
        }
    }
}
