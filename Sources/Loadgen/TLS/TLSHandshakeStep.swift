/// What one call of `TLSConnection.handshake()` achieved.
package enum TLSHandshakeStep: Equatable, Sendable {
    /// The handshake is complete: application data may flow.
    case done
    /// Call again when the socket is readable.
    case wantRead
    /// Call again when the socket is writable.
    case wantWrite
    /// The handshake failed for good (verification, protocol, or the peer went away): the
    /// `tls` failure class, with `TLSFailure.reason` as its example text.
    case failed(TLSFailure)
}
