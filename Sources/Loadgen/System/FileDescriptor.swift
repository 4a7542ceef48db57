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
        while true {
            let n = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
            if n > 0 { return .transferred(n) }
            if n == 0 { return .endOfFile }
            let code = CEpoll_errno()
            if code == CEpoll_EINTR { continue }
            if code == CEpoll_EAGAIN { return .wouldBlock }
            return .failed(errno: code)
        }
    }

    /// Sends bytes with MSG_NOSIGNAL (a vanished peer is EPIPE, never SIGPIPE).
    @inline(__always)
    package func send(_ bytes: UnsafeRawBufferPointer) -> IOOutcome {
        while true {
            let n = CEpoll_send(rawValue, bytes.baseAddress, bytes.count)
            if n >= 0 { return .transferred(n) }
            let code = CEpoll_errno()
            if code == CEpoll_EINTR { continue }
            if code == CEpoll_EAGAIN { return .wouldBlock }
            return .failed(errno: code)
        }
    }

    /// Sends three pieces as one message (sendmsg with MSG_NOSIGNAL).
    @inline(__always)
    package func send(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                      _ third: UnsafeRawBufferPointer) -> IOOutcome {
        while true {
            let n = CEpoll_send3(rawValue, first.baseAddress, first.count, second.baseAddress, second.count,
                                 third.baseAddress, third.count)
            if n >= 0 { return .transferred(n) }
            let code = CEpoll_errno()
            if code == CEpoll_EINTR { continue }
            if code == CEpoll_EAGAIN { return .wouldBlock }
            return .failed(errno: code)
        }
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
}
