/// One loop's side of the kernel receive timestamps: the control buffer `recvmsg` fills, the
/// offset from the kernel's clock to the loop's, and which of the two stamps response times
/// (`TimestampSource`).
///
/// The kernel stamps received segments with CLOCK_REALTIME; the loop times everything on
/// CLOCK_MONOTONIC, which NTP can slew against it. So the offset between them is read again at
/// every batch of events that has reads in it (two vDSO clock reads), and a stamp is moved onto
/// the monotonic clock with the offset of its own batch: a batch lasts milliseconds, and even a
/// clock slewed at chrony's fastest (8%) moves less than that against the other in one. A step of
/// the wall clock inside a batch could put a stamp outside the request; stamps are clamped to the
/// interval from the request's start to the read.
struct ReceiveClock {
    let control: ReceiveControlBuffer
    let source: TimestampSource
    /// CLOCK_REALTIME - CLOCK_MONOTONIC, in wrapping arithmetic.
    private var realtimeOffset: UInt64 = 0

    init(source: TimestampSource) {
        control = .allocate()
        self.source = source
    }

    func deallocate() { control.deallocate() }

    /// A batch of events is about to be handled.
    @inline(__always)
    mutating func batchBegins() {
        realtimeOffset = Clock.realtimeNanoseconds() &- Clock.monotonicNanoseconds()
    }

    /// A read returned bytes at `now` (the loop's clock) with the kernel's `kernelStamp` (0: none)
    /// for a request that started at `start`: the kernel's receive time on the loop's clock, or
    /// nil when the read carried no stamp.
    @inline(__always)
    func arrival(kernelStamp: UInt64, now: UInt64, start: UInt64) -> UInt64? {
        guard kernelStamp != 0 else { return nil }
        return min(max(kernelStamp &- realtimeOffset, start), now)
    }
}

/// When the bytes of one read count as arrived, for every event found in them (a head, token
/// events, the end of the response): the kernel's receive time of the read's last segment, or,
/// with user stamps (or a read without a stamp), the loop's clock as it reaches each event.
struct ReadStamp {
    /// 0: read the clock at each event.
    private let nanoseconds: UInt64

    init(arrival: UInt64?) { nanoseconds = arrival ?? 0 }

    @inline(__always)
    func eventTime() -> UInt64 { nanoseconds != 0 ? nanoseconds : Clock.monotonicNanoseconds() }
}
