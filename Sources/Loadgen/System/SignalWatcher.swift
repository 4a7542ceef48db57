import CEpoll
import Glibc

/// SIGINT and SIGTERM delivered as readable events on a signalfd, never to an async handler.
///
/// A `signal()` handler writing shared state is a data race in Swift 6; a signalfd turns the
/// signal into an ordinary descriptor that the owner polls. Create it on the main thread before
/// starting any other thread, so every thread inherits the blocked mask.
public final class SignalWatcher: Sendable {
    package let descriptor: FileDescriptor

    /// Blocks SIGINT and SIGTERM in this thread (threads started after it inherit the mask) and opens the
    /// signalfd that reports them.
    public init() throws(SystemError) {
        let fd = try syscall("signalfd") { CEpoll_signalfd_int_term() }
        descriptor = FileDescriptor(rawValue: fd)
    }

    deinit { descriptor.close() }

    /// SIGINT and SIGTERM with their default action (end the process), unblocked: for commands
    /// that do not watch them, since a process may inherit them blocked (libdispatch threads
    /// block signals, and children inherit the mask) and would then ignore Ctrl-C.
    public static func restoreDefaults() {
        _ = CEpoll_default_int_term()
    }

    /// Waits up to `milliseconds` for a signal or for `other` to become readable.
    /// Returns the signal number (SIGINT = 2, SIGTERM = 15) if one arrived.
    public func wait(milliseconds: Int32, alsoWatching other: Int32 = -1) -> Int32? {
        var fds = [pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, other >= 0 ? 2 : 1, milliseconds)
        guard n > 0, fds[0].revents != 0 else { return nil }
        let signal = CEpoll_signalfd_read(descriptor.rawValue)
        return signal > 0 ? signal : nil
    }
}
