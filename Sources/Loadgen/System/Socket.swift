import CEpoll
import Glibc

/// TCP socket operations, each syscall wrapped once.
package enum Socket {
    /// Outcome of starting a nonblocking connect.
    package enum ConnectStart: Equatable {
        case connected
        case inProgress
        case failed(errno: Int32)
    }

    /// Creates a nonblocking TCP socket with TCP_NODELAY (requests are small and latency matters).
    package static func makeTCP(family: Int32) throws(SystemError) -> FileDescriptor {
        let fd = FileDescriptor(rawValue: try syscall("socket") { CEpoll_socket_tcp(family) })
        setNoDelay(fd)
        return fd
    }

    /// TCP_NODELAY: each write goes out at once instead of waiting to be coalesced (Nagle).
    /// Best effort: it fails only on a descriptor that is not a TCP socket.
    package static func setNoDelay(_ fd: FileDescriptor) {
        _ = CEpoll_set_nodelay(fd.rawValue)
    }

    /// SO_LINGER with a zero timeout: closing the socket then sends RST instead of FIN (for
    /// injecting resets). Best effort, as `setNoDelay`.
    package static func resetOnClose(_ fd: FileDescriptor) {
        _ = CEpoll_set_linger_zero(fd.rawValue)
    }

    @inline(__always)
    package static func startConnect(_ fd: FileDescriptor, to address: SocketAddress) -> ConnectStart {
        var address = address.storage
        switch retryingInterrupts({ CEpoll_connect(fd.rawValue, &address) }) {
        case .done: return .connected
        case .wouldBlock: return .inProgress
        case .failed(let code): return code == EINPROGRESS ? .inProgress : .failed(errno: code)
        }
    }

    /// The result of a nonblocking connect once the socket is writable: 0 or the errno.
    package static func pendingError(_ fd: FileDescriptor) -> Int32 {
        let code = CEpoll_socket_error(fd.rawValue)
        return code < 0 ? errno : code
    }

    /// A listening socket on `address` with SO_REUSEADDR (and SO_REUSEPORT when asked).
    package static func listen(on address: SocketAddress, backlog: Int32 = 65_535, reusePort: Bool = false) throws(SystemError) -> FileDescriptor {
        let fd = try makeTCP(family: address.family)
        do {
            _ = try syscall("setsockopt(SO_REUSEADDR)") { CEpoll_set_reuseaddr(fd.rawValue) }
            if reusePort { _ = try syscall("setsockopt(SO_REUSEPORT)") { CEpoll_set_reuseport(fd.rawValue) } }
            var storage = address.storage
            _ = try syscall("bind") { CEpoll_bind(fd.rawValue, &storage) }
            _ = try syscall("listen") { Glibc.listen(fd.rawValue, backlog) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    package static func localAddress(_ fd: FileDescriptor) throws(SystemError) -> SocketAddress {
        var storage = CEpoll_address()
        _ = try syscall("getsockname") { CEpoll_local_address(fd.rawValue, &storage) }
        return SocketAddress(storage: storage)
    }

    /// Accepts one connection (nonblocking, close-on-exec); nil when none is pending.
    package static func accept(_ listener: FileDescriptor) throws(SystemError) -> FileDescriptor? {
        switch retryingInterrupts({ CEpoll_accept(listener.rawValue) }) {
        case .done(let fd): return FileDescriptor(rawValue: fd)
        case .wouldBlock: return nil
        case .failed(let code): throw SystemError(call: "accept4", errno: code)
        }
    }
}
