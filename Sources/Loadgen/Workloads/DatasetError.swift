/// A dataset or trace file that cannot be used, as one line: the file, where in it, and what is
/// wrong ("data/sharegpt.json: conversation 17 (line 40): 'value' must be a string, got a number").
public struct DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// "line 3", "conversation 17 (line 40)", or empty when the whole file is meant.
    public let location: String
    /// What is wrong there.
    public let problem: String

    /// The error of `path` at `location`.
    public init(path: String, location: String = "", problem: String) {
        self.path = path
        self.location = location
        self.problem = problem
    }

    /// `path: location: problem`, as one line.
    public var description: String { location.isEmpty ? "\(path): \(problem)" : "\(path): \(location): \(problem)" }
}
