/// One non-blocking TLS session over a connected, non-blocking TCP socket the caller owns.
///
/// Made for the event loop: 16 bytes (the `SSL *` and the function table), no class, no
/// existential, so it can live inside a connection's slot. Reads go into the caller's buffer
/// and writes come from the caller's pointer and length; OpenSSL itself keeps its record
/// buffers per session (allocated at the handshake, reused afterwards). Every call returns at
/// once; `wantRead`/`wantWrite` say which readiness to wait for before calling again.
///
/// Ownership is by convention, as with `FileDescriptor`: whoever made the connection calls
/// `close()` exactly once, before closing the socket.
package struct TLSConnection {
    private let ssl: OpaquePointer
    private let api: UnsafePointer<OpenSSLFunctions>

    /// A client session for `serverName` over `socket`, without resumption.
    init(client context: TLSClientContext, socket: FileDescriptor, serverName: TLSServerName) throws(TLSError) {
        try self.init(client: context, socket: socket, serverName: serverName, sessions: nil)
    }

    /// A client session that offers the session kept in `sessions` (if any) and keeps the ones
    /// the server issues there.
    init(client context: TLSClientContext, socket: FileDescriptor, serverName: TLSServerName,
                 sessions: borrowing TLSSessionCache) throws(TLSError) {
        try self.init(client: context, socket: socket, serverName: serverName, sessions: sessions.storage)
    }

    /// An event loop's client session: the BIO reads and writes the descriptor in `socketRecord`
    /// (which must stay at its address until `close()`), offering and keeping sessions in `sessions`.
    init(client context: TLSClientContext, socketRecord: UnsafeMutablePointer<TLSSocketRecord>, serverName: TLSServerName,
                 sessions: borrowing TLSSessionCache) throws(TLSError) {
        let api = context.openSSL.api
        let ssl = try Self.makeSSL(context.context, api: api) { TLSSocketBIO.make(record: socketRecord, api: api) }
        try self.init(client: context, ssl: ssl, serverName: serverName, sessions: sessions.storage)
    }

    private init(client context: TLSClientContext, socket: FileDescriptor, serverName: TLSServerName,
                 sessions: UnsafeMutablePointer<TLSSessionCache.Storage>?) throws(TLSError) {
        let api = context.openSSL.api
        let ssl = try Self.makeSSL(context.context, api: api) { TLSSocketBIO.make(socket: socket.rawValue, api: api) }
        try self.init(client: context, ssl: ssl, serverName: serverName, sessions: sessions)
    }

    /// Configures a new client `ssl` (freed here if that fails).
    private init(client context: TLSClientContext, ssl: OpaquePointer, serverName: TLSServerName,
                 sessions: UnsafeMutablePointer<TLSSessionCache.Storage>?) throws(TLSError) {
        let api = context.openSSL.api
        do throws(TLSError) {
            try Self.setServerName(serverName, on: ssl, verifying: context.verifiesPeer, api: api)
            if let sessions {
                guard api.pointee.SSL_set_ex_data(ssl, 0, UnsafeMutableRawPointer(sessions)) == 1 else {
                    throw Self.setupError("attaching the session cache", api)
                }
                TLSSessionCache.offer(sessions, to: ssl, api: api)
            }
        } catch {
            api.pointee.SSL_free(ssl)
            throw error
        }
        api.pointee.SSL_set_connect_state(ssl)
        self.ssl = ssl
        self.api = api
    }

    /// A server session over an accepted `socket`.
    package init(server context: TLSServerContext, socket: FileDescriptor) throws(TLSError) {
        let api = context.openSSL.api
        ssl = try Self.makeSSL(context.context, api: api) { TLSSocketBIO.make(socket: socket.rawValue, api: api) }
        api.pointee.SSL_set_accept_state(ssl)
        self.api = api
    }

    /// A new SSL over the BIO `makeBIO` returns.
    private static func makeSSL(_ context: OpaquePointer, api: UnsafePointer<OpenSSLFunctions>,
                                makeBIO: () -> OpaquePointer?) throws(TLSError) -> OpaquePointer {
        api.pointee.ERR_clear_error()
        guard let bio = makeBIO() else { throw setupError("making the socket BIO", api) }
        guard let ssl = api.pointee.SSL_new(context) else {
            _ = api.pointee.BIO_free(bio)
            throw setupError("SSL_new", api)
        }
        // One BIO for both directions: SSL_set_bio takes the single reference.
        api.pointee.SSL_set_bio(ssl, bio, bio)
        return ssl
    }

    /// SNI and the name the certificate must carry (RFC 6125 matching by OpenSSL). With
    /// `--insecure` the name is still sent (virtual hosts need it) but not checked.
    private static func setServerName(_ name: TLSServerName, on ssl: OpaquePointer, verifying: Bool,
                                      api: UnsafePointer<OpenSSLFunctions>) throws(TLSError) {
        switch name {
        case .dnsName(let host):
            let sent = host.withCString { text in
                api.pointee.SSL_ctrl(ssl, OpenSSLConstant.SSL_CTRL_SET_TLSEXT_HOSTNAME,
                                     Int(OpenSSLConstant.TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: text))
            }
            guard sent == 1 else { throw setupError("setting the server name '\(host)'", api) }
            if verifying, api.pointee.SSL_set1_host(ssl, host) != 1 {
                throw setupError("setting the host name '\(host)' to verify", api)
            }
        case .ipAddress(let address):
            if verifying, api.pointee.X509_VERIFY_PARAM_set1_ip_asc(api.pointee.SSL_get0_param(ssl), address) != 1 {
                throw setupError("setting the address '\(address)' to verify", api)
            }
        }
    }

    private static func setupError(_ step: String, _ api: UnsafePointer<OpenSSLFunctions>) -> TLSError {
        .connectionSetup(reason: "\(step): \(OpenSSLErrorQueue.text(OpenSSLErrorQueue.takeFirst(api), api))")
    }

    // MARK: Handshake

    /// Advances the handshake as far as the socket allows.
    package func handshake() -> TLSHandshakeStep {
        let rc = api.pointee.SSL_do_handshake(ssl)
        if rc == 1 { return .done }
        let error = api.pointee.SSL_get_error(ssl, rc)
        switch error {
        case OpenSSLConstant.SSL_ERROR_WANT_READ: return .wantRead
        case OpenSSLConstant.SSL_ERROR_WANT_WRITE: return .wantWrite
        default: return .failed(TLSFailure.capture(ssl, sslError: error, api: api))
        }
    }

    /// The completed handshake resumed a kept session (no certificate exchange).
    var isResumed: Bool { api.pointee.SSL_session_reused(ssl) == 1 }

    /// The ALPN protocol the server chose ("http/1.1"), nil if it chose none.
    var negotiatedProtocol: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        api.pointee.SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    /// "TLSv1.3" or "TLSv1.2" once the handshake is done.
    var protocolVersion: String {
        api.pointee.SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
    }

    /// Server side: the SNI name the client sent, nil if none.
    var requestedServerName: String? {
        api.pointee.SSL_get_servername(ssl, OpenSSLConstant.TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    }

    /// The peer presented a certificate (server side: the client's, under mTLS).
    var peerPresentedCertificate: Bool { api.pointee.SSL_get0_peer_certificate(ssl) != nil }

    // MARK: Data

    /// Reads decrypted bytes into `buffer`.
    ///
    /// After `.transferred`, check `hasBufferedInput` before waiting on epoll: OpenSSL may
    /// already hold the next bytes (read-ahead, or a record larger than `buffer`), and the
    /// socket will not become readable again for bytes that have left it.
    @inline(__always)
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        var count = 0
        if api.pointee.SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 { return .transferred(count) }
        return incomplete()
    }

    /// OpenSSL holds received bytes not yet returned by `read` (decrypted, or a partial record).
    @inline(__always)
    package var hasBufferedInput: Bool { api.pointee.SSL_has_pending(ssl) == 1 }

    /// Encrypts and sends `bytes`; may be partial (one 16 KiB record at a time). After
    /// `wantWrite`/`wantRead`, call again with the same bytes (the same content; the address may
    /// differ).
    @inline(__always)
    package func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        guard bytes.count > 0 else { return .transferred(0) }
        var count = 0
        if api.pointee.SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count) == 1 { return .transferred(count) }
        return incomplete()
    }

    /// Sends three pieces as one TLS record where they fit: copies them, in order, into
    /// `scratch` (as much as fits) and writes that. One record and one `send` for a request the
    /// engine keeps as template head, patched number and tail; writing each piece would cost
    /// three records and three syscalls. Retry rules are those of `write`: after a want, call
    /// again with the same pieces (scratch may be reused by other connections in between).
    @inline(__always)
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, _ third: UnsafeRawBufferPointer,
                       through scratch: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        var used = 0
        Self.append(first, to: scratch, at: &used)
        Self.append(second, to: scratch, at: &used)
        Self.append(third, to: scratch, at: &used)
        return write(UnsafeRawBufferPointer(rebasing: scratch[0..<used]))
    }

    @inline(__always)
    private static func append(_ piece: UnsafeRawBufferPointer, to scratch: UnsafeMutableRawBufferPointer, at used: inout Int) {
        let count = min(piece.count, scratch.count - used)
        guard count > 0 else { return }
        (scratch.baseAddress! + used).copyMemory(from: piece.baseAddress!, byteCount: count)
        used += count
    }

    /// Maps a read or write that returned no bytes.
    private func incomplete() -> TLSIOResult {
        let error = api.pointee.SSL_get_error(ssl, 0)
        switch error {
        case OpenSSLConstant.SSL_ERROR_WANT_READ: return .wantRead
        case OpenSSLConstant.SSL_ERROR_WANT_WRITE: return .wantWrite
        case OpenSSLConstant.SSL_ERROR_ZERO_RETURN: return .closed
        default:
            let failure = TLSFailure.capture(ssl, sslError: error, api: api)
            return failure.isUnexpectedEOF ? .closed : .failed(failure)
        }
    }

    // MARK: Closing

    /// Sends close_notify when the session is healthy (best effort, never waits for the peer's),
    /// then frees the session. The socket stays open: its owner closes it next.
    package func close() {
        if api.pointee.SSL_is_init_finished(ssl) == 1 { _ = api.pointee.SSL_shutdown(ssl) }
        api.pointee.SSL_free(ssl)
        // A shutdown into a closed socket queues errors; the next connection needs an empty queue.
        api.pointee.ERR_clear_error()
    }
}
