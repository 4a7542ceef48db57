/// Why HTTPS cannot be set up: OpenSSL missing, or a certificate, key or CA file it refuses.
/// Each is one line for a human (`description`). Failures of one connection are `TLSFailure`.
public enum TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A library could not be opened (not installed, or not OpenSSL 3).
    case libraryUnavailable(library: String, reason: String)
    /// The library opened but lacks a function loadgen calls.
    case symbolMissing(symbol: String, library: String)
    /// Setting up a TLS context failed at `step` (e.g. "loading the CA file ca.pem") with
    /// OpenSSL's reason.
    case configuration(step: String, reason: String)
    /// OpenSSL could not allocate the state of one connection.
    case connectionSetup(reason: String)

    /// The error as one line for a human.
    public var description: String {
        switch self {
        case .libraryUnavailable(let library, let reason):
            "https needs the system's OpenSSL 3, but \(library) could not be loaded: \(reason) (install OpenSSL 3, e.g. the libssl3 package)"
        case .symbolMissing(let symbol, let library):
            "https needs the system's OpenSSL 3, but \(library) has no function \(symbol)"
        case .configuration(let step, let reason):
            "TLS setup failed \(step): \(reason)"
        case .connectionSetup(let reason):
            "TLS connection setup failed: \(reason)"
        }
    }
}
