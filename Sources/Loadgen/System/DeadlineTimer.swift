import CEpoll

/// A timerfd on CLOCK_MONOTONIC that fires once at an absolute time: an event loop registers it
/// with epoll to wake at a scheduled send time with microsecond precision (epoll_wait's own
/// timeout is in whole milliseconds, far too coarse for thousands of arrivals per second).
package struct DeadlineTimer {
    package let descriptor: FileDescriptor
    /// The time it is armed for, so re-arming for the same time costs no syscall.
    private var armedFor: UInt64 = 0

    package init() throws(SystemError) {
        descriptor = FileDescriptor(rawValue: try syscall("timerfd_create") { CEpoll_timerfd_create() })
    }

    package func close() { descriptor.close() }

    /// Fires at `monotonicNanoseconds` (at once if that has passed).
    package mutating func arm(at monotonicNanoseconds: UInt64) {
        guard monotonicNanoseconds != armedFor else { return }
        // Only EINVAL/EBADF are possible here, both programming errors; the loop's periodic sweep
        // still wakes it, so a failure would make sends late, never lost.
        _ = CEpoll_timerfd_settime_absolute(descriptor.rawValue, monotonicNanoseconds)
        armedFor = monotonicNanoseconds
    }

    /// Stops it firing (if it has not yet).
    package mutating func disarm() {
        _ = CEpoll_timerfd_disarm(descriptor.rawValue)
        armedFor = 0
    }

    /// It fired, and will be armed or disarmed before the next wait: `timerfd_settime` clears
    /// the expiry, so the descriptor stops being readable without a read (echo-server's token
    /// timer, one syscall less per wakeup). Forgets the armed time, so the next `arm` is a call.
    package mutating func expired() {
        armedFor = 0
    }

    /// Consumes the expiry so the descriptor stops being readable.
    package mutating func acknowledge() {
        _ = descriptor.readCounter()
        armedFor = 0
    }
}
