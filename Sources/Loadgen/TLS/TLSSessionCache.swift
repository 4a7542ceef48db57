/// The last resumable session a server gave this client, so the next connection to the same
/// target resumes it (an abbreviated handshake: no certificate chain sent or verified).
///
/// One per target per event loop: it is touched only by the loop's thread (OpenSSL calls
/// `keepNewSession` from inside that thread's `SSL_do_handshake`/`SSL_read`), so it needs no
/// lock. TLS 1.3 servers send their tickets after the handshake, so a session usually arrives
/// with the first response read, not at handshake end. The cache must outlive every connection
/// made with it (connections point at its slot).
struct TLSSessionCache: ~Copyable {
    /// Where the hook stores the session; its address is handed to each connection's SSL.
    let slot: UnsafeMutablePointer<OpaquePointer?>
    private let api: UnsafePointer<OpenSSLFunctions>

    init(openSSL: OpenSSL) {
        api = openSSL.api
        slot = .allocate(capacity: 1)
        slot.initialize(to: nil)
    }

    deinit {
        if let session = slot.pointee { api.pointee.SSL_SESSION_free(session) }
        slot.deallocate()
    }

    /// True once a server has issued a session this cache can offer.
    var holdsSession: Bool { slot.pointee != nil }

    /// Forgets the kept session (e.g. after a resumption the server refused).
    func forget() {
        if let session = slot.pointee { api.pointee.SSL_SESSION_free(session) }
        slot.pointee = nil
    }

    /// OpenSSL's new-session hook (set on every client context): keeps the newest resumable
    /// session in the cache of the connection's SSL (ex-data index 0, OpenSSL's "app data"),
    /// taking OpenSSL's reference (returns 1). Connections made without a cache return 0 and
    /// OpenSSL frees the session.
    static let keepNewSession: OpenSSLFunctions.NewSession = { ssl, session in
        guard let api = OpenSSL.loadedAPI, let session,
              let raw = api.pointee.SSL_get_ex_data(ssl, 0),
              api.pointee.SSL_SESSION_is_resumable(session) == 1 else { return 0 }
        let slot = raw.assumingMemoryBound(to: OpaquePointer?.self)
        if let previous = slot.pointee { api.pointee.SSL_SESSION_free(previous) }
        slot.pointee = session
        return 1
    }
}
