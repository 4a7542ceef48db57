/// Everything that stops a run before or while it starts, as one line for a human.
public enum LoadgenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A URL loadgen cannot drive (only `http://` and `https://` are supported).
    case invalidURL(String, reason: String)
    /// A plan value out of range, e.g. concurrency 0.
    case invalidPlan(String)
    /// The soft and hard RLIMIT_NOFILE are below what the run needs.
    case tooFewDescriptors(needed: Int, allowed: Int)
    /// The target host did not resolve.
    case unresolvableHost(String)
    /// A system call failed while setting the run up.
    case system(SystemError)
    /// The request could not be serialized (e.g. a CR/LF in a header).
    case invalidRequest(String)
    /// SIGINT or SIGTERM arrived before anything was measured (e.g. while waiting for a server).
    case interrupted(signal: Int32)
    /// A result file could not be written: the run stops rather than measure on unsaved.
    case resultsNotWritten(directory: String, SystemError)
    /// https could not be set up: OpenSSL missing, or a certificate, key or CA file refused.
    case tls(TLSError)
    /// Prompts of exactly the asked-for tokens could not be built (`ExactPrompts`).
    case promptsNotBuilt(String)
    /// A dataset or trace file that is malformed, or that nothing in passed the filters.
    case dataset(DatasetError)

    /// The error as one line for a human, with what to do when there is something to do.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "invalid URL '\(url)': \(reason)"
        case .invalidPlan(let reason):
            reason
        case .tooFewDescriptors(let needed, let allowed):
            "this run needs \(needed) file descriptors but the limit allows \(allowed); raise it (ulimit -n \(needed)) or lower --concurrency"
        case .unresolvableHost(let host):
            "cannot resolve host '\(host)'"
        case .system(let error):
            error.description
        case .invalidRequest(let reason):
            "invalid request: \(reason)"
        case .interrupted(let signal):
            "interrupted by \(Self.signalName(signal))"
        case .resultsNotWritten(let directory, let error):
            "cannot write results to \(directory): \(error)"
        case .tls(let error):
            error.description
        case .promptsNotBuilt(let reason):
            "cannot build exact prompts: \(reason)"
        case .dataset(let error):
            error.description
        }
    }
}

extension LoadgenError {
    /// "SIGINT", "SIGTERM" or "signal N".
    static func signalName(_ signal: Int32) -> String {
        signal == 15 ? "SIGTERM" : signal == 2 ? "SIGINT" : "signal \(signal)"
    }
}
