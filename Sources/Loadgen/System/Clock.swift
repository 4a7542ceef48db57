import Glibc

/// Monotonic and wall-clock time in nanoseconds.
package enum Clock {
    /// CLOCK_MONOTONIC in nanoseconds: a vDSO call, no syscall, about 20 ns.
    @inline(__always)
    package static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// CLOCK_REALTIME in nanoseconds: the clock the kernel's receive timestamps are on.
    @inline(__always)
    package static func realtimeNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// CPU time of the calling thread (user and system) in nanoseconds. A syscall, not vDSO:
    /// read at the start and end of a run, not per request.
    package static func threadCPUNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// `seconds` as nanoseconds, clamped to 0...1e9 s (about 32 years) so that an absurd flag
    /// value waits a very long time instead of trapping on the conversion or the addition.
    package static func nanoseconds(seconds: Double) -> UInt64 {
        guard !seconds.isNaN else { return 0 }
        return UInt64(min(max(seconds, 0), 1e9) * 1e9)
    }

    /// Seconds since the Unix epoch (CLOCK_REALTIME), for timestamps in reports.
    package static func wallSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
