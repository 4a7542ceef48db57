/// Failure counts by class. Fixed storage (no dictionary) so the hot path only increments.
public struct FailureCounts: Sendable, Equatable {
    public var connect: UInt64 = 0
    public var tls: UInt64 = 0
    public var timeout: UInt64 = 0
    public var connectionClosed: UInt64 = 0
    public var malformedResponse: UInt64 = 0
    public var cancelled: UInt64 = 0
    public var empty: UInt64 = 0
    public var invalidJSON: UInt64 = 0
    public var responseTooLarge: UInt64 = 0
    /// Responses by status code, for codes >= 400 (index = code - 400, codes 400...999).
    var httpStatus: [UInt64] = Array(repeating: 0, count: 600)

    public init() {}

    @inline(__always)
    mutating func add(_ failure: FailureClass) {
        switch failure {
        case .connect: connect &+= 1
        case .tls: tls &+= 1
        case .timeout: timeout &+= 1
        case .connectionClosed: connectionClosed &+= 1
        case .malformedResponse: malformedResponse &+= 1
        case .cancelled: cancelled &+= 1
        case .empty: empty &+= 1
        case .invalidJSON: invalidJSON &+= 1
        case .responseTooLarge: responseTooLarge &+= 1
        case .httpStatus(let code):
            let index = min(max(code, 400), 999) - 400
            httpStatus[index] &+= 1
        }
    }

    mutating func merge(_ other: FailureCounts) {
        connect += other.connect
        tls += other.tls
        timeout += other.timeout
        connectionClosed += other.connectionClosed
        malformedResponse += other.malformedResponse
        cancelled += other.cancelled
        empty += other.empty
        invalidJSON += other.invalidJSON
        responseTooLarge += other.responseTooLarge
        for index in 0..<httpStatus.count { httpStatus[index] += other.httpStatus[index] }
    }

    /// Count of responses with this status code (>= 400).
    public func count(status: Int) -> UInt64 {
        guard status >= 400, status <= 999 else { return 0 }
        return httpStatus[status - 400]
    }

    public var total: UInt64 {
        connect + tls + timeout + connectionClosed + malformedResponse + cancelled + empty + invalidJSON + responseTooLarge
            + httpStatus.reduce(0, +)
    }

    /// Non-zero classes in a stable order, for reports.
    public var byClass: [(failure: FailureClass, count: UInt64)] {
        var rows: [(FailureClass, UInt64)] = []
        if connect > 0 { rows.append((.connect, connect)) }
        if tls > 0 { rows.append((.tls, tls)) }
        if timeout > 0 { rows.append((.timeout, timeout)) }
        if connectionClosed > 0 { rows.append((.connectionClosed, connectionClosed)) }
        if malformedResponse > 0 { rows.append((.malformedResponse, malformedResponse)) }
        for (index, count) in httpStatus.enumerated() where count > 0 { rows.append((.httpStatus(index + 400), count)) }
        if empty > 0 { rows.append((.empty, empty)) }
        if invalidJSON > 0 { rows.append((.invalidJSON, invalidJSON)) }
        if responseTooLarge > 0 { rows.append((.responseTooLarge, responseTooLarge)) }
        if cancelled > 0 { rows.append((.cancelled, cancelled)) }
        return rows
    }
}
