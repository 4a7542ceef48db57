import CEpoll
import Glibc

/// The BIO through which OpenSSL reads and writes a connection's socket, instead of the socket BIO
/// `SSL_set_fd` would make.
///
/// Two reasons to own it: writes go out with `MSG_NOSIGNAL`, so a vanished peer is `EPIPE` and
/// never SIGPIPE even in a process that has not ignored it (loadgen is a library too); and every
/// byte OpenSSL receives passes through one read callback, the place where a read with `recvmsg`
/// can keep the kernel's receive timestamp (`SO_TIMESTAMPNS`) of the bytes that carried a
/// response. The BIO never closes the descriptor: the connection's owner does.
///
/// Two kinds, one BIO method each: a bare descriptor kept in the data pointer (as fd + 1, so
/// descriptor 0 is not a null pointer), for the blocking fetches, the servers and the tests; and
/// a `TLSSocketRecord` the data pointer addresses, for the event loops' connections.
enum TLSSocketBIO {
    /// A BIO over `socket`, or nil if OpenSSL could not allocate it. `SSL_set_bio` hands it to
    /// the SSL, which frees it.
    static func make(socket: Int32, api: UnsafePointer<OpenSSLFunctions>) -> OpaquePointer? {
        make(socketBIOMethod, data: UnsafeMutableRawPointer(bitPattern: Int(socket) + 1), api: api)
    }

    /// A BIO over the descriptor in `record`, which must stay at its address while the BIO lives.
    static func make(record: UnsafeMutablePointer<TLSSocketRecord>, api: UnsafePointer<OpenSSLFunctions>) -> OpaquePointer? {
        make(recordBIOMethod, data: UnsafeMutableRawPointer(record), api: api)
    }

    private static func make(_ method: TLSSocketBIOMethod?, data: UnsafeMutableRawPointer?, api: UnsafePointer<OpenSSLFunctions>) -> OpaquePointer? {
        guard let method = method?.pointer, let bio = api.pointee.BIO_new(method) else { return nil }
        api.pointee.BIO_set_data(bio, data)
        api.pointee.BIO_set_init(bio, 1)
        return bio
    }
}

/// The BIO methods, made once for the process (a `BIO_METHOD` is immutable once filled in).
private let socketBIOMethod = TLSSocketBIOMethod.make(name: "loadgen socket", read: descriptorRead, write: descriptorWrite)
private let recordBIOMethod = TLSSocketBIOMethod.make(name: "loadgen socket record", read: recordRead, write: recordWrite)

private struct TLSSocketBIOMethod: @unchecked Sendable {
    // @unchecked: the method is never modified after it is made, and OpenSSL reads it from any thread.
    let pointer: OpaquePointer

    static func make(name: String, read: OpenSSLFunctions.BIORead, write: OpenSSLFunctions.BIOWrite) -> TLSSocketBIOMethod? {
        guard let api = OpenSSL.loadedAPI else { return nil }
        let index = api.pointee.BIO_get_new_index()
        guard index > 0, let method = api.pointee.BIO_meth_new(index | OpenSSLConstant.BIO_TYPE_SOURCE_SINK, name) else { return nil }
        guard api.pointee.BIO_meth_set_read(method, read) == 1,
              api.pointee.BIO_meth_set_write(method, write) == 1,
              api.pointee.BIO_meth_set_ctrl(method, socketControl) == 1 else { return nil }
        return TLSSocketBIOMethod(pointer: method)
    }
}

/// Clears the retry flags, then sets "retry read/write" when the socket would block, so OpenSSL
/// reports SSL_ERROR_WANT_READ / WANT_WRITE instead of a failure.
private let retryFlags = OpenSSLConstant.BIO_FLAGS_READ | OpenSSLConstant.BIO_FLAGS_WRITE
    | OpenSSLConstant.BIO_FLAGS_IO_SPECIAL | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY

@inline(__always)
private func descriptor(of bio: OpaquePointer?, _ api: UnsafePointer<OpenSSLFunctions>) -> Int32 {
    Int32(truncatingIfNeeded: Int(bitPattern: api.pointee.BIO_get_data(bio)) - 1)
}

@inline(__always)
private func record(of bio: OpaquePointer?, _ api: UnsafePointer<OpenSSLFunctions>) -> UnsafeMutablePointer<TLSSocketRecord> {
    api.pointee.BIO_get_data(bio).unsafelyUnwrapped.assumingMemoryBound(to: TLSSocketRecord.self)
}

private let descriptorRead: OpenSSLFunctions.BIORead = { bio, buffer, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    return readSocket(descriptor(of: bio, api), buffer, count, bio, api)
}

private let descriptorWrite: OpenSSLFunctions.BIOWrite = { bio, bytes, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    return writeSocket(descriptor(of: bio, api), bytes, count, bio, api)
}

/// The event loops' read: the one place their TLS connections receive bytes, with recvmsg, so
/// the kernel's receive time of the latest bytes is kept in `record.latestReceiveNanoseconds`
/// (left as it was when nothing arrives, as `FileDescriptor.receive` does).
private let recordRead: OpenSSLFunctions.BIORead = { bio, buffer, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    let record = record(of: bio, api)
    guard let control = record.pointee.control else { return readSocket(record.pointee.fd, buffer, count, bio, api) }
    api.pointee.BIO_clear_flags(bio, retryFlags)
    let target = UnsafeMutableRawBufferPointer(start: buffer, count: Int(count))
    switch FileDescriptor(rawValue: record.pointee.fd).receive(into: target, control: control,
                                                               kernelStamp: &record.pointee.latestReceiveNanoseconds) {
    case .transferred(let n): return Int32(n)
    case .endOfFile: return 0
    case .wouldBlock:
        api.pointee.BIO_set_flags(bio, OpenSSLConstant.BIO_FLAGS_READ | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY)
        return -1
    case .failed: return -1
    }
}

private let recordWrite: OpenSSLFunctions.BIOWrite = { bio, bytes, count in
    guard let api = OpenSSL.loadedAPI else { return -1 }
    return writeSocket(record(of: bio, api).pointee.fd, bytes, count, bio, api)
}

@inline(__always)
private func readSocket(_ fd: Int32, _ buffer: UnsafeMutablePointer<CChar>?, _ count: Int32,
                        _ bio: OpaquePointer?, _ api: UnsafePointer<OpenSSLFunctions>) -> Int32 {
    api.pointee.BIO_clear_flags(bio, retryFlags)
    switch retryingInterrupts({ Glibc.read(fd, buffer, Int(count)) }) {
    case .done(let n): return Int32(n)
    case .wouldBlock:
        api.pointee.BIO_set_flags(bio, OpenSSLConstant.BIO_FLAGS_READ | OpenSSLConstant.BIO_FLAGS_SHOULD_RETRY)
        return -1
    case .failed: return -1
    }
}

@inline(__always)
private func writeSocket(_ fd: Int32, _ bytes: UnsafePointer<CChar>?, _ count: Int32,
                         _ bio: OpaquePointer?, _ api: UnsafePointer<OpenSSLFunctions>) -> Int32 {
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
