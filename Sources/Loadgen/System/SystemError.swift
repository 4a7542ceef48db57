import CEpoll
import Glibc

/// A failed system call: the call's name and the errno it left.
///
/// Every syscall is wrapped once (see `Syscall.swift`); callers never see `-1`.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name of the failing call, e.g. `"epoll_ctl"`.
    public let call: String
    /// The `errno` value.
    public let errno: Int32

    /// The failure of `call` with `errno`.
    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// Builds the error from the current `errno`.
    static func current(_ call: String) -> SystemError {
        SystemError(call: call, errno: Glibc.errno)
    }

    /// `call: strerror(errno)`, as one line.
    public var description: String {
        "\(call): \(Self.message(for: errno)) (errno \(errno))"
    }

    /// The C library's text for an errno, e.g. "Connection refused".
    public static func message(for errno: Int32) -> String {
        guard let text = strerror(errno) else { return "error \(errno)" }
        return String(cString: text)
    }
}
