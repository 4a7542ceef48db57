/// The parts of a `LoadPlan` every event loop reads, resolved and serialized once before the run.
struct LoadPlanSnapshot: Sendable {
    let request: SharedBytes
    let address: SocketAddress
    let requestTimeoutNanoseconds: UInt64
    let connectTimeoutNanoseconds: UInt64
    let drainNanoseconds: UInt64
    let warmupNanoseconds: UInt64
    let durationNanoseconds: UInt64?

    init(plan: LoadPlan, request: SharedBytes, address: SocketAddress) {
        self.request = request
        self.address = address
        requestTimeoutNanoseconds = Self.nanoseconds(plan.requestTimeoutSeconds)
        connectTimeoutNanoseconds = Self.nanoseconds(plan.connectTimeoutSeconds)
        drainNanoseconds = Self.nanoseconds(plan.drainSeconds)
        warmupNanoseconds = Self.nanoseconds(plan.warmupSeconds)
        if case .duration(let seconds) = plan.stop {
            durationNanoseconds = Self.nanoseconds(seconds)
        } else {
            durationNanoseconds = nil
        }
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 {
        // Clamp absurd values (e.g. a timeout of 1e300 s) instead of trapping on conversion.
        UInt64(min(max(seconds, 0), 1e9) * 1e9)
    }
}

/// Immutable bytes shared read-only by every event loop for the length of a run.
///
/// Allocated once, written before the loops start and freed after they are joined, which is what
/// makes the `@unchecked Sendable` true.
final class SharedBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init(_ source: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: 64)
        source.withUnsafeBytes { storage.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(rebasing: storage[0..<source.count])
    }

    deinit { UnsafeMutableRawBufferPointer(mutating: bytes).deallocate() }
}
