/// What the socket BIO of one event-loop connection reads and writes through, when the
/// connection is made with `TLSConnection(client:socketRecord:...)`: its descriptor, and the
/// kernel's receive time of the latest bytes the BIO read.
///
/// The record lives in the loop's contiguous per-slot storage (stable address, nothing
/// allocated per connection); the BIO's data pointer addresses it. Every byte OpenSSL receives
/// passes through the BIO's read callback, so that callback is the one place where a read with
/// `recvmsg` and `SO_TIMESTAMPNS` (issue 16) can keep the receive time of the bytes that carried
/// a response: when `SSL_read` returns bytes, they were completed by a receive no later than the
/// latest one, and the engine takes `latestReceiveNanoseconds` as their arrival.
struct TLSSocketRecord {
    var fd: Int32 = -1
    /// The kernel's receive time of the latest bytes read through the BIO (CLOCK_REALTIME
    /// nanoseconds as SO_TIMESTAMPNS gives them), 0 while none came stamped.
    var latestReceiveNanoseconds: UInt64 = 0
    /// The loop's control buffer for `recvmsg` (one read at a time per loop); nil: plain `read`.
    var control: ReceiveControlBuffer?

    init() {}
}
