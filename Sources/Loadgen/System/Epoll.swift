import CEpoll
import Glibc

/// One epoll instance and the event array it fills.
///
/// `struct epoll_event` is packed on x86-64, so the array is raw bytes sized by C and read only
/// through CEpoll's accessors.
package struct Epoll: ~Copyable {
    package let descriptor: FileDescriptor
    private let events: UnsafeMutableRawPointer
    package let capacity: Int

    package init(capacity: Int = 1024) throws(SystemError) {
        let fd = try syscall("epoll_create1") { CEpoll_create() }
        descriptor = FileDescriptor(rawValue: fd)
        self.capacity = capacity
        events = UnsafeMutableRawPointer.allocate(
            byteCount: CEpoll_event_size() * capacity, alignment: 16)
    }

    deinit {
        events.deallocate()
        descriptor.close()
    }

    package static let readable = CEpoll_EPOLLIN
    package static let writable = CEpoll_EPOLLOUT
    package static let error = CEpoll_EPOLLERR
    package static let hangup = CEpoll_EPOLLHUP

    package func add(_ fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl") { CEpoll_ctl(descriptor.rawValue, CEpoll_EPOLL_CTL_ADD, fd, events, data) }
    }

    package func modify(_ fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl") { CEpoll_ctl(descriptor.rawValue, CEpoll_EPOLL_CTL_MOD, fd, events, data) }
    }

    package func remove(_ fd: Int32) {
        // Closing a descriptor removes it from the interest list anyway; this is for fds kept open.
        _ = CEpoll_ctl(descriptor.rawValue, CEpoll_EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever). Returns the number of ready events;
    /// EINTR returns 0 so the caller re-checks its clocks.
    package func wait(timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let n = CEpoll_wait(descriptor.rawValue, events, Int32(capacity), timeoutMilliseconds)
        if n >= 0 { return Int(n) }
        let code = errno
        if code == EINTR { return 0 }
        throw SystemError(call: "epoll_wait", errno: code)
    }

    @inline(__always)
    package func flags(at index: Int) -> UInt32 { CEpoll_event_flags(events, Int32(index)) }

    @inline(__always)
    package func data(at index: Int) -> UInt64 { CEpoll_event_data(events, Int32(index)) }
}
