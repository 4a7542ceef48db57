/// Failure counts by class: one counter per entry of `FailureClass.all`, in one array allocated
/// with the result, so counting a failure is an index and an increment (no dictionary, no
/// allocation) and totals, merges and report rows are loops over the one list.
public struct FailureCounts: Sendable, Equatable {
    /// Indexed by `FailureClass.slot`.
    private var counts = [UInt64](repeating: 0, count: FailureClass.all.count)

    /// No failures.
    public init() {}

    /// Counts one failure (the engine's call, once per failed request).
    @inline(__always)
    mutating func add(_ failure: FailureClass) {
        counts[failure.slot] &+= 1
    }

    /// Adds `count` failures of one class at once (reading a report back, not the hot path).
    mutating func add(_ failure: FailureClass, count: UInt64) {
        counts[failure.slot] += count
    }

    mutating func merge(_ other: FailureCounts) {
        for slot in counts.indices { counts[slot] += other.counts[slot] }
    }

    /// Failures of this class (`failures[.timeout]`, `failures[.httpStatus(503)]`).
    public subscript(_ failure: FailureClass) -> UInt64 {
        counts[failure.slot]
    }

    /// Count of responses with this status code (0 outside 400...999).
    public func count(status: Int) -> UInt64 {
        FailureClass.statusCodes.contains(status) ? self[.httpStatus(status)] : 0
    }

    /// All failures.
    public var total: UInt64 { counts.reduce(0, +) }

    /// Failures the server caused (`FailureClass.isResponse`).
    public var responses: UInt64 {
        zip(FailureClass.all, counts).reduce(0) { $0 + ($1.0.isResponse ? $1.1 : 0) }
    }

    /// Non-zero classes in report order (`FailureClass.all`).
    public var byClass: [(failure: FailureClass, count: UInt64)] {
        zip(FailureClass.all, counts).filter { $0.1 > 0 }.map { (failure: $0.0, count: $0.1) }
    }
}
