/// A dataset or trace file that cannot be used, as one line: the file, where in it, and what is
/// wrong ("data/sharegpt.json: conversation 17 (line 40): 'value' must be a string, got a number").
public struct DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    /// "line 3", "conversation 17 (line 40)", or empty when the whole file is meant.
    public let location: String
    public let problem: String

    public init(path: String, location: String = "", problem: String) {
        self.path = path
        self.location = location
        self.problem = problem
    }

    public var description: String { location.isEmpty ? "\(path): \(problem)" : "\(path): \(location): \(problem)" }
}
