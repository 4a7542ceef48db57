/// The result of one `TLSConnection.read` or `write`: the TLS counterpart of `IOOutcome`.
///
/// Either direction may want the other: a read can need a write (a key update to answer), a
/// write can need a read (a renegotiation, which loadgen's peers should never start). The
/// caller retries the same call when the socket is ready in the direction asked for.
package enum TLSIOResult: Equatable, Sendable {
    /// This many plaintext bytes were read or written (a write may be partial, like `send`).
    case transferred(Int)
    /// Nothing more until the socket is readable.
    case wantRead
    /// Nothing more until the socket is writable.
    case wantWrite
    /// The peer closed the connection: with TLS's close_notify, or (as many HTTP servers do
    /// after a response framed by the close) by closing TCP without it.
    case closed
    /// The connection is broken: a bad record, a fatal alert (e.g. a TLS 1.3 server rejecting
    /// the client certificate, which the client learns only on its first read), a reset.
    case failed(TLSFailure)
}
