/// A bad command line: printed as one line, exit code 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
