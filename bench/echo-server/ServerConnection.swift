import Loadgen

/// One accepted connection: bytes of a request not yet complete, and response bytes not yet sent.
final class ServerConnection {
    let fd: FileDescriptor
    /// Buffered request bytes; `inputStart` marks how much of it has been answered.
    var input: [UInt8] = []
    var inputStart = 0
    var output: [UInt8] = []
    var outputSent = 0
    /// Close once `output` has been sent (after a 4xx refusal or `Connection: close`).
    var closeAfterWrite = false
    var watchingWritable = false
    /// A streamed answer in progress; further requests wait in `input` until it ends.
    var stream: SSEStream?
    /// Faults: a request that will never be answered, or an answer going out a byte at a time.
    var stalled = false
    var drip: [UInt8]?
    var dripOffset = 0
    /// When bytes last moved either way, for --idle-timeout.
    var lastActivityNanoseconds: UInt64 = 0
    /// HTTPS: the connection's TLS session (made at accept; `handshaking` until it completes).
    var tls: TLSConnection?
    var handshaking = false

    /// An answer is in progress (or never coming): later requests wait in `input`.
    var isBusy: Bool { stream != nil || stalled || drip != nil }

    init(fd: FileDescriptor) {
        self.fd = fd
        output.reserveCapacity(4096)
    }
}
