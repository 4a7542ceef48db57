import Glibc

/// What a call that returns -1 on failure did, once `EINTR` is retried away.
package enum SyscallResult<Value> {
    case done(Value)
    /// `EAGAIN`: a nonblocking call found nothing to do now.
    case wouldBlock
    case failed(errno: Int32)
}

/// The one loop around a syscall: runs `body` again while it fails with `EINTR`, and tells apart
/// success, `EAGAIN` and any other errno. Every wrapper in System/ goes through it (or `syscall`).
@inline(__always)
func retryingInterrupts<T: FixedWidthInteger>(_ body: () -> T) -> SyscallResult<T> {
    while true {
        let result = body()
        if result != -1 { return .done(result) }
        let code = errno
        if code == EINTR { continue }
        return code == EAGAIN ? .wouldBlock : .failed(errno: code)
    }
}

/// Runs a syscall that returns -1 on failure, retrying `EINTR`, and throws a `SystemError` naming it.
@inline(__always)
func syscall<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SystemError) -> T {
    switch retryingInterrupts(body) {
    case .done(let result): return result
    case .wouldBlock: throw SystemError(call: name, errno: EAGAIN)
    case .failed(let code): throw SystemError(call: name, errno: code)
    }
}
