/// The named ways a started request can fail. Every request ends in success or exactly one of these.
public enum FailureClass: Sendable, Equatable, Hashable {
    /// The connection for it could not be opened (refused, unreachable, connect timeout, no descriptors).
    case connect
    /// No complete response within the request timeout.
    case timeout
    /// The connection was closed or reset before the response completed (includes failed writes).
    case connectionClosed
    /// The response broke HTTP/1.1 framing (bad status line, bad chunk size, header limits, ...).
    case malformedResponse
    /// A complete response with status >= 400.
    case httpStatus(Int)
    /// Still in flight when the run was stopped (Ctrl-C, or the drain time after a duration ran out).
    case cancelled

    /// The key used in JSON and tables: `connect`, `timeout`, `closed`, `malformed`, `http_503`, `cancelled`.
    public var name: String {
        switch self {
        case .connect: "connect"
        case .timeout: "timeout"
        case .connectionClosed: "closed"
        case .malformedResponse: "malformed"
        case .httpStatus(let code): "http_\(code)"
        case .cancelled: "cancelled"
        }
    }
}
