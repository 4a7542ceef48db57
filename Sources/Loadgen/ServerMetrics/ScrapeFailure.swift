import HTTPWire

/// Why one scrape of a metrics endpoint gave no figures. The run goes on; the recording keeps
/// the failure with its time so reports can say what is missing and why.
enum ScrapeFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// No TCP connection (refused, unreachable, unresolvable host).
    case connect(errno: Int32)
    /// https: no TLS session (verification, handshake, or the TLS setup itself), with OpenSSL's reason.
    case tls(reason: String)
    /// No complete answer within the scrape timeout (a stalled endpoint).
    case timedOut(seconds: Double)
    /// An answer other than 200.
    case status(Int)
    /// The connection closed before the answer was complete.
    case closed
    /// Bytes that are not an HTTP/1.1 response.
    case malformedHTTP(WireError)
    /// A body over the scraper's size limit (a runaway or hostile endpoint).
    case tooLarge(limitBytes: Int)
    /// A 200 whose body is not the Prometheus text format.
    case unparsable(PrometheusParseError)
    /// A 200 in the format with no samples at all.
    case empty

    /// A short class name, for counting failures by kind in reports.
    var kind: String {
        switch self {
        case .connect: "connect"
        case .tls: "tls"
        case .timedOut: "timeout"
        case .status(let code): "HTTP \(code)"
        case .closed: "closed"
        case .malformedHTTP: "malformed HTTP"
        case .tooLarge: "too large"
        case .unparsable: "not Prometheus text"
        case .empty: "empty"
        }
    }

    var description: String {
        switch self {
        case .connect(let errno): "cannot connect: \(SystemError.message(for: errno))"
        case .tls(let reason): "TLS failed: \(reason)"
        case .timedOut(let seconds): "no complete answer in \(Format.fixed(seconds, decimals: 3, trimZeros: true)) s"
        case .status(let code): "answered HTTP \(code)"
        case .closed: "connection closed before the answer completed"
        case .malformedHTTP(let error): "malformed HTTP answer: \(error)"
        case .tooLarge(let limit): "answer larger than \(limit) bytes"
        case .unparsable(let error): "not Prometheus text: \(error)"
        case .empty: "no samples in the answer"
        }
    }
}
