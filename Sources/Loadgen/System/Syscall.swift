import CEpoll
import Glibc

/// Runs a syscall that returns -1 on failure, retrying `EINTR`, and throws a `SystemError` naming it.
@inline(__always)
func syscall<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = CEpoll_errno()
        if code == CEpoll_EINTR { continue }
        throw SystemError(call: name, errno: code)
    }
}
