/// The named ways a started request can fail. Every request ends in success or exactly one of these.
public enum FailureClass: Sendable, Equatable, Hashable {
    /// The connection for it could not be opened (refused, unreachable, connect timeout, no descriptors).
    case connect
    /// HTTPS: the TLS handshake failed (certificate verification, hostname mismatch, a refused
    /// client certificate, a peer that is not TLS, no handshake within the connect timeout), or
    /// a TLS record could not be read (`RunResult.tlsFailureExample` keeps OpenSSL's reason).
    case tls
    /// No complete response within the request timeout.
    case timeout
    /// The connection was closed or reset before the response completed (includes failed writes).
    case connectionClosed
    /// The response broke HTTP/1.1 framing (bad status line, bad chunk size, header limits, ...).
    case malformedResponse
    /// A complete response with status >= 400.
    case httpStatus(Int)
    /// OpenAI workloads: an HTTP 200 with no choice, no text and no completion tokens (the seeds'
    /// client counted these as successes).
    case empty
    /// OpenAI workloads: an HTTP 200 whose body is not valid JSON.
    case invalidJSON
    /// The response grew past `LoadPlan.maxResponseBytes`; the connection was closed.
    case responseTooLarge
    /// Still in flight when the run was stopped (Ctrl-C, or the drain time after a duration ran out).
    case cancelled

    /// The key used in JSON and tables: `connect`, `tls`, `timeout`, `closed`, `malformed`,
    /// `http_503`, `empty`, `invalid_json`, `too_large`, `cancelled`.
    public var name: String {
        switch self {
        case .connect: "connect"
        case .tls: "tls"
        case .timeout: "timeout"
        case .connectionClosed: "closed"
        case .malformedResponse: "malformed"
        case .httpStatus(let code): "http_\(code)"
        case .empty: "empty"
        case .invalidJSON: "invalid_json"
        case .responseTooLarge: "too_large"
        case .cancelled: "cancelled"
        }
    }
}
