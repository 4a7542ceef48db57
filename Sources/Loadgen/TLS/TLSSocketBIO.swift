import CEpoll
import Glibc

/// The BIO through which OpenSSL reads and writes a connection's socket, instead of the socket BIO
/// `SSL_set_fd` would make.
///
/// Two reasons to own it: writes go out with `MSG_NOSIGNAL`, so a vanished peer is `EPIPE` and
/// never SIGPIPE even in a process that has not ignored it (loadgen is a library too); and every
/// byte OpenSSL receives passes through `socketRead`, the one place where a later change can
/// read with `recvmsg` and keep the kernel's receive timestamp (`SO_TIMESTAMPNS`) of the bytes
/// that carried a response. The descriptor is kept in the BIO's data pointer (as fd + 1, so
/// descriptor 0 is not a null pointer); the BIO never closes it: the connection's owner does.
enum TLSSocketBIO {
    /// A BIO over `socket`, or nil if OpenSSL could not allocate it. `SSL_set_bio` hands it to
    /// the SSL, which frees it.
    static func make(socket: Int32, api: UnsafePointer<OpenSSLFunctions>) -> OpaquePointer? {
        guard let method = socketBIOMethod?.pointer, let bio = api.pointee.BIO_new(method) else { return nil }
        api.pointee.BIO_set_data(bio, UnsafeMutableRawPointer(bitPattern: Int(socket) + 1))
        api.pointee.BIO_set_init(bio, 1)
        return bio
    }
}

/// The BIO method, made once for the process (a `BIO_METHOD` is immutable once filled in).
private let socketBIOMethod: TLSSocketBIOMethod? = {
    guard let api = OpenSSL.loadedAPI else { return nil }
    let index = api.pointee.BIO_get_new_index()
    guard index > 0, let method = api.pointee.BIO_meth_new(index | OpenSSLConstant.BIO_TYPE_SOURCE_SINK, "loadgen socket") else { return nil }
    guard api.pointee.BIO_meth_set_read(method, socketRead) == 1,
          api.pointee.BIO_meth_set_write(method, socketWrite) == 1,
          api.pointee.BIO_meth_set_ctrl(method, socketControl) == 1 else { return nil }
    return TLSSocketBIOMethod(pointer: method)
}()

private struct TLSSocketBIOMethod: @unchecked Sendable {
    // @unchecked: the method is never modified after it is made, and OpenSSL reads it from any thread.
    let pointer: OpaquePointer
}

@inline(__always)
private func descriptor(of bio: OpaquePointer?, _ api: UnsafePointer<OpenSSLFunctions>) -> Int32 {
    Int32(truncatingIfNeeded: Int(bitPattern: api.pointee.BIO_get_data(bio)) - 1)
}

/// Clears the retry flags, then sets "retry read/write" when the socket would block, so OpenSSL
/// reports SSL_ERROR_WANT_READ / WANT_WRITE instead of a failure.
private let retryFlags = OpenSSLConstant.BIO_FLAGS_READ | OpenSSLConstant.BIO_FLAGS_WRITE
    | OpenSSLConstant.BIO_FLAGS_IO_SPECIAL | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY

private let socketRead: OpenSSLFunctions.BIORead = { bio, buffer, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    let fd = descriptor(of: bio, api)
    api.pointee.BIO_clear_flags(bio, retryFlags)
    switch retryingInterrupts({ Glibc.read(fd, buffer, Int(count)) }) {
    case .done(let n): return Int32(n)
    case .wouldBlock:
        api.pointee.BIO_set_flags(bio, OpenSSLConstant.BIO_FLAGS_READ | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY)
        return -1
    case .failed: return -1
    }
}

private let socketWrite: OpenSSLFunctions.BIOWrite = { bio, bytes, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    let fd = descriptor(of: bio, api)
    api.pointee.BIO_clear_flags(bio, retryFlags)
    switch retryingInterrupts({ CEpoll_send(fd, bytes, Int(count)) }) {
    case .done(let n): return Int32(n)
    case .wouldBlock:
        api.pointee.BIO_set_flags(bio, OpenSSLConstant.BIO_FLAGS_WRITE | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY)
        return -1
    case .failed: return -1
    }
}

/// Only flush needs an answer: the record layer calls it after each write and treats 0 as
/// failure. Writes go straight to the socket, so there is nothing to flush.
private let socketControl: OpenSSLFunctions.BIOControl = { _, command, _, _ in
    command == OpenSSLConstant.BIO_CTRL_FLUSH ? 1 : 0
}
