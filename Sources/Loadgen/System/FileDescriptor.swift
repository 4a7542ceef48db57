import CEpoll
import Glibc

/// A raw file descriptor with the few operations loadgen needs.
///
/// A thin value type in the spirit of swift-system's `FileDescriptor`: it costs nothing at run time
/// and keeps `-1` checks out of callers. Ownership is by convention: whoever opened it closes it.
package struct FileDescriptor: Hashable, Sendable {
    package let rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }

    package func close() {
        // Linux releases the descriptor even when close() reports EINTR; never retry it.
        _ = Glibc.close(rawValue)
    }

    /// Reads into `buffer`. Hot path: no error value is built for the expected outcomes.
    @inline(__always)
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> IOOutcome {
        IOOutcome(retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }, zeroIsEndOfFile: true)
    }

    /// Sends bytes with MSG_NOSIGNAL (a vanished peer is EPIPE, never SIGPIPE).
    @inline(__always)
    package func send(_ bytes: UnsafeRawBufferPointer) -> IOOutcome {
        IOOutcome(retryingInterrupts { CEpoll_send(rawValue, bytes.baseAddress, bytes.count) }, zeroIsEndOfFile: false)
    }

    /// Sends three pieces as one message (sendmsg with MSG_NOSIGNAL).
    @inline(__always)
    package func send(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                      _ third: UnsafeRawBufferPointer) -> IOOutcome {
        let result = retryingInterrupts {
            CEpoll_send3(rawValue, first.baseAddress, first.count, second.baseAddress, second.count,
                         third.baseAddress, third.count)
        }
        return IOOutcome(result, zeroIsEndOfFile: false)
    }

    /// Reads the 8-byte counter of an eventfd or timerfd, which resets it; nil when there was
    /// nothing to read (a nonblocking descriptor whose counter is 0) or on error.
    package func readCounter() -> UInt64? {
        var counter: UInt64 = 0
        let size = MemoryLayout<UInt64>.size
        guard case .done(size) = retryingInterrupts({ Glibc.read(rawValue, &counter, size) }) else { return nil }
        return counter
    }

    /// Adds `value` to an eventfd's counter, making it readable. Fails only if the counter would
    /// overflow (it cannot, at one per finished loop) or the descriptor is not an eventfd.
    package func addToCounter(_ value: UInt64) {
        var value = value
        _ = retryingInterrupts { Glibc.write(rawValue, &value, MemoryLayout<UInt64>.size) }
    }

    /// Writes all of `bytes`, blocking-style (for the few non-hot descriptors such as stdout pipes).
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let base = bytes.baseAddress! + offset
            let remaining = bytes.count - offset
            let n = try syscall("write") { Glibc.write(rawValue, base, remaining) }
            offset += n
        }
    }
}

/// The result of one nonblocking read or send.
package enum IOOutcome: Equatable, Sendable {
    case transferred(Int)
    case wouldBlock
    case endOfFile
    case failed(errno: Int32)

    /// A read's or send's count: for a read, 0 means the peer closed.
    @inline(__always)
    init(_ result: SyscallResult<Int>, zeroIsEndOfFile: Bool) {
        switch result {
        case .done(let count): self = zeroIsEndOfFile && count == 0 ? .endOfFile : .transferred(count)
        case .wouldBlock: self = .wouldBlock
        case .failed(let code): self = .failed(errno: code)
        }
    }
}
