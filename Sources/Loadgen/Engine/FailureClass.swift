/// The named ways a started request can fail. Every request ends in success or exactly one of these.
///
/// The classes are listed once, in `all`: `FailureCounts` keeps one counter per entry, and its
/// total, merge and rows, the reports' `errors` keys and the decoder all walk that list. A new
/// class is a case here, its place in `all`, and its `name` (the compiler asks for the switches).
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
    /// A complete response with status >= 400 (counted per code, 400...999; others count as 999).
    case httpStatus(Int)
    /// OpenAI workloads: an HTTP 200 with no choice, no text and no completion tokens (the seeds'
    /// client counted these as successes).
    case empty
    /// OpenAI workloads: an HTTP 200 whose body is not valid JSON.
    case invalidJSON
    /// The response grew past `LoadPlan.maxResponseBytes`; the connection was closed.
    case responseTooLarge
    /// Multi-turn sessions: the answer outgrew the room its session's request buffer keeps for
    /// it (`MultiTurnSessions.answerBytesPerToken` per output token); the session stops.
    case answerTooLong
    /// Still in flight when the run was stopped (Ctrl-C, or the drain time after a duration ran out).
    case cancelled

    /// The status codes counted one by one.
    static let statusCodes = 400...999

    /// Every class, in the order reports list them: the status codes ascending between
    /// `malformedResponse` and `empty`.
    static let all: [FailureClass] = [.connect, .tls, .timeout, .connectionClosed, .malformedResponse]
        + statusCodes.map { .httpStatus($0) } + [.empty, .invalidJSON, .responseTooLarge, .answerTooLong, .cancelled]

    /// This class's index in `all`, which is its counter in `FailureCounts`: a switch and a clamp,
    /// O(1) and allocation-free, because the engine counts through it (a test checks
    /// `all[failure.slot] == failure` for every class).
    @inline(__always)
    var slot: Int {
        switch self {
        case .connect: 0
        case .tls: 1
        case .timeout: 2
        case .connectionClosed: 3
        case .malformedResponse: 4
        case .httpStatus(let code): 5 + min(max(code, Self.statusCodes.lowerBound), Self.statusCodes.upperBound) - Self.statusCodes.lowerBound
        case .empty: 5 + Self.statusCodes.count
        case .invalidJSON: 6 + Self.statusCodes.count
        case .responseTooLarge: 7 + Self.statusCodes.count
        case .answerTooLong: 8 + Self.statusCodes.count
        case .cancelled: 9 + Self.statusCodes.count
        }
    }

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
        case .answerTooLong: "answer_too_long"
        case .cancelled: "cancelled"
        }
    }

    /// The class a report key names (`name` read back); nil for anything else.
    init?(name: String) {
        if name.hasPrefix("http_") {
            guard let code = Int(name.dropFirst(5)), Self.statusCodes.contains(code) else { return nil }
            self = .httpStatus(code)
            return
        }
        guard let named = Self.byName[name] else { return nil }
        self = named
    }

    /// The classes without a status code, by key.
    private static let byName = Dictionary(uniqueKeysWithValues: all.compactMap { failure -> (String, FailureClass)? in
        if case .httpStatus = failure { return nil }
        return (failure.name, failure)
    })

    /// True when the server ended the request (an answer, an error status, a close, a broken
    /// response); false for the failures that happen when a timer the client chose fires
    /// (connect, timeout) or the client stops (cancelled), and for a connection that could not be
    /// set up (tls: it carried no request). Only responses end the measured window.
    public var isResponse: Bool {
        switch self {
        case .connect, .tls, .timeout, .cancelled: false
        case .connectionClosed, .malformedResponse, .httpStatus, .empty, .invalidJSON, .responseTooLarge, .answerTooLong: true
        }
    }
}
