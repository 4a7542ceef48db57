import Loadgen

/// When a request reached echo-server: the kernel's receive timestamp of the read that completed
/// it (SO_TIMESTAMPNS on every accepted plain-HTTP socket, read with `recvmsg`), on the loop's
/// monotonic clock.
///
/// A stream's TTFT and ITL run from there, not from when the loop got round to the request. When
/// 1,000 or 2,000 clients send at once, the last request of the burst waits in its socket for the
/// loop to answer the ones before it (milliseconds at 2,000); timing the stream from the read
/// would add that wait to every token of the stream, and a client measuring from its send would
/// see the server late by it while the server's timers were on time. From the kernel stamp the
/// wait is absorbed in the TTFT (as long as it is shorter), and what is left of it shows as
/// lateness; the wait itself is counted as the request read lag.
///
/// The kernel stamps with CLOCK_REALTIME; the offset to CLOCK_MONOTONIC is read at every batch
/// of events (as the client's `ReceiveClock` does). A stamp that lands after the read or more
/// than `maximumWaitNanoseconds` before it (a step of the wall clock between the packet and the
/// read) is not believed: the read's own time is used.
struct RequestArrival {
    let control: ReceiveControlBuffer
    /// CLOCK_REALTIME - CLOCK_MONOTONIC, in wrapping arithmetic.
    private var realtimeOffset: UInt64 = 0
    static let maximumWaitNanoseconds: UInt64 = 10_000_000_000

    init() {
        control = .allocate()
    }

    func deallocate() { control.deallocate() }

    /// A batch of events is about to be handled.
    @inline(__always)
    mutating func batchBegins() {
        realtimeOffset = Clock.realtimeNanoseconds() &- Clock.monotonicNanoseconds()
    }

    /// The arrival on the monotonic clock of bytes read at `now` with the kernel's `kernelStamp`
    /// (0: none came; then `now`).
    @inline(__always)
    func arrival(kernelStamp: UInt64, now: UInt64) -> UInt64 {
        Self.arrival(kernelStamp: kernelStamp, realtimeOffset: realtimeOffset, now: now)
    }

    @inline(__always)
    static func arrival(kernelStamp: UInt64, realtimeOffset: UInt64, now: UInt64) -> UInt64 {
        guard kernelStamp != 0 else { return now }
        let stamp = kernelStamp &- realtimeOffset
        guard stamp <= now, now - stamp <= maximumWaitNanoseconds else { return now }
        return stamp
    }
}
