/// The resumable sessions a server gave this client, so the next connections to the same target
/// resume one (an abbreviated handshake: no certificate chain sent or verified).
///
/// A small stack, newest on top, rather than the last session alone: a TLS 1.3 ticket is for one
/// connection (RFC 8446 appendix C.4), and OpenSSL marks a session it has resumed not resumable,
/// so connections that start before the previous one's new tickets arrived would find only a
/// spent ticket and make a full handshake (a fifth of the connections at 4 in flight, before
/// this was a stack). A TLS 1.3 server sends two tickets per connection, so the stack stays
/// full while connections come and go. Each connection takes the newest ticket; the last one left
/// is offered again rather than taken (a TLS 1.2 session stays resumable, and a TLS 1.2 server
/// issues no new one on resumption). Spent sessions are dropped when found.
///
/// One per target per event loop: it is touched only by the loop's thread (OpenSSL calls
/// `keepNewSession` from inside that thread's `SSL_do_handshake`/`SSL_read`), so it needs no
/// lock. TLS 1.3 servers send their tickets after the handshake, so a session usually arrives
/// with the first response read, not at handshake end. The cache must outlive every connection
/// made with it (connections point at its storage).
struct TLSSessionCache: ~Copyable {
    /// What the hook reaches through each connection's SSL (ex-data index 0).
    struct Storage {
        let sessions: UnsafeMutablePointer<OpaquePointer?>
        let capacity: Int
        var count = 0
    }

    let storage: UnsafeMutablePointer<Storage>
    private let api: UnsafePointer<OpenSSLFunctions>

    /// Sessions kept: more than a loop's connections take between two of the server's tickets.
    static let defaultCapacity = 16

    init(openSSL: OpenSSL, capacity: Int = TLSSessionCache.defaultCapacity) {
        api = openSSL.api
        let sessions = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: max(capacity, 1))
        sessions.initialize(repeating: nil, count: max(capacity, 1))
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(sessions: sessions, capacity: max(capacity, 1)))
    }

    deinit {
        forget()
        storage.pointee.sessions.deallocate()
        storage.deallocate()
    }

    /// True once a server has issued a session this cache can offer.
    var holdsSession: Bool { storage.pointee.count > 0 }

    /// Forgets every kept session (e.g. after a resumption the server refused).
    func forget() {
        for index in 0..<storage.pointee.count {
            api.pointee.SSL_SESSION_free(storage.pointee.sessions[index])
            storage.pointee.sessions[index] = nil
        }
        storage.pointee.count = 0
    }

    /// Sets the newest resumable session of `storage` on a new client `ssl`, if there is one.
    static func offer(_ storage: UnsafeMutablePointer<Storage>, to ssl: OpaquePointer, api: UnsafePointer<OpenSSLFunctions>) {
        let sessions = storage.pointee.sessions
        while storage.pointee.count > 0 {
            let top = storage.pointee.count - 1
            guard let session = sessions[top] else { return }
            guard api.pointee.SSL_SESSION_is_resumable(session) == 1 else {
                // Spent (resumed once under TLS 1.3): never offered again.
                api.pointee.SSL_SESSION_free(session)
                sessions[top] = nil
                storage.pointee.count = top
                continue
            }
            // SSL_set_session takes its own reference; a session the server no longer accepts
            // only costs a full handshake.
            _ = api.pointee.SSL_set_session(ssl, session)
            if top > 0 {
                api.pointee.SSL_SESSION_free(session)
                sessions[top] = nil
                storage.pointee.count = top
            }
            return
        }
    }

    /// OpenSSL's new-session hook (set on every client context): pushes the new resumable session
    /// on the stack of the connection's cache (ex-data index 0, OpenSSL's "app data"), taking
    /// OpenSSL's reference (returns 1), and drops the oldest when the stack is full. Connections
    /// made without a cache return 0 and OpenSSL frees the session.
    static let keepNewSession: OpenSSLFunctions.NewSession = { ssl, session in
        guard let api = OpenSSL.loadedAPI, let session,
              let raw = api.pointee.SSL_get_ex_data(ssl, 0),
              api.pointee.SSL_SESSION_is_resumable(session) == 1 else { return 0 }
        let storage = raw.assumingMemoryBound(to: Storage.self)
        let sessions = storage.pointee.sessions
        if storage.pointee.count == storage.pointee.capacity {
            api.pointee.SSL_SESSION_free(sessions[0])
            sessions.update(from: sessions + 1, count: storage.pointee.capacity - 1)
            storage.pointee.count -= 1
        }
        sessions[storage.pointee.count] = session
        storage.pointee.count += 1
        return 1
    }
}
