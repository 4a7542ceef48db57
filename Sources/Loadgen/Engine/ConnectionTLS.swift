/// The TLS half of one connection slot of an https run, kept beside the slots (`LoopTLS`), so a
/// plain-HTTP slot is unchanged and the engine's only TLS test per I/O call is whether the loop
/// has a `LoopTLS`.
///
/// A struct in one allocation per loop, as the slots are: `socket` has a stable address, which
/// the connection's BIO keeps (see `TLSSocketRecord`).
struct ConnectionTLS {
    /// What the session's BIO reads and writes through: the slot's descriptor, and (issue 16) the
    /// kernel receive time of the latest bytes.
    var socket = TLSSocketRecord()
    /// The session over the slot's socket, from the end of the TCP connect to `closeConnection`.
    var session: TLSConnection?
    /// When the TCP connect completed and the handshake started.
    var handshakeStartedNanoseconds: UInt64 = 0
    /// The last write wanted the socket readable (a renegotiation): the next readable event
    /// retries the write, not a read (OpenSSL requires the same call again).
    var writeWantsRead = false
    /// Response bytes have arrived on this connection. Only then does it count as working for the
    /// connect backoff: a TLS 1.3 server refusing the client certificate says so after the
    /// client's side of the handshake is done, on the first read.
    var answered = false
}

/// The TLS state of one event loop of an https run: a `ConnectionTLS` per slot, the session
/// cache that lets reconnects resume, and the scratch buffer a request's pieces are gathered in
/// for one `SSL_write`. Raw pointers only (no reference counting when the loop reaches it on
/// every I/O call); `close()` ends every session and frees it all.
struct LoopTLS {
    let connections: UnsafeMutablePointer<ConnectionTLS>
    /// The last session the server issued to this loop (resumption is per loop: no lock).
    let sessions: UnsafeMutablePointer<TLSSessionCache>
    /// One TLS record's worth: a gathered request up to 16 KiB goes out as one record.
    let scratch: UnsafeMutableRawBufferPointer
    private let count: Int

    static let scratchBytes = 16 * 1024

    init(slots count: Int, openSSL: OpenSSL) {
        self.count = count
        connections = .allocate(capacity: max(count, 1))
        connections.initialize(repeating: ConnectionTLS(), count: count)
        sessions = .allocate(capacity: 1)
        sessions.initialize(to: TLSSessionCache(openSSL: openSSL))
        scratch = .allocate(byteCount: Self.scratchBytes, alignment: 64)
    }

    /// The record the BIO of slot `index` reads through (the first field of its `ConnectionTLS`).
    @inline(__always)
    func socketRecord(_ index: Int) -> UnsafeMutablePointer<TLSSocketRecord> {
        let offset = MemoryLayout<ConnectionTLS>.offset(of: \ConnectionTLS.socket)!
        return (UnsafeMutableRawPointer(connections + index) + offset).assumingMemoryBound(to: TLSSocketRecord.self)
    }

    /// Ends the session of slot `index`, if it has one, before its socket is closed.
    @inline(__always)
    func endSession(_ index: Int) {
        guard let session = connections[index].session else { return }
        session.close()
        connections[index].session = nil
    }

    /// Frees every session still open (their sockets are the slots' to close), then the cache,
    /// which the sessions point into.
    func close() {
        for index in 0..<count {
            connections[index].session?.close()
            connections[index].session = nil
        }
        connections.deinitialize(count: count)
        connections.deallocate()
        sessions.deinitialize(count: 1)
        sessions.deallocate()
        scratch.deallocate()
    }
}
