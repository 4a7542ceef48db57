import HTTPWire

/// The state of one connection of an event loop, kept in contiguous storage (`SlotTable`).
///
/// A struct in an `UnsafeMutablePointer` array rather than a class per connection: no reference
/// counting or exclusivity checks per event, and 10,000 of them fit in a few hundred KiB. The
/// response parser and the answer's scanners are streaming state machines that keep no bytes, so
/// a connection needs no read buffer of its own: each loop reads into one shared buffer.
struct ConnectionSlot {
    enum Phase: UInt8 {
        /// No socket; a request may be claimed and a connect started.
        case idle
        /// Nonblocking connect in progress (waiting for writability).
        case connecting
        /// https: TCP is connected, the TLS handshake is in progress (`ConnectionTLS`).
        case handshaking
        /// Request bytes partly written.
        case sending
        /// Request written; reading the response.
        case awaitingResponse
        /// Waiting until `retryAtNanoseconds` after a failed connect.
        case backoff
        /// No more requests for this connection.
        case finished
    }

    var fd: Int32 = -1
    var phase: Phase = .idle
    /// True while EPOLLOUT is in the interest set (only while a write would block or connect pends).
    var watchingWritable = false
    /// The request in flight started in the warmup and is excluded from the results.
    var isWarmup = false
    var writeOffset = 0
    var requestStartNanoseconds: UInt64 = 0
    /// When the request in flight (or the connect) times out.
    var deadlineNanoseconds: UInt64 = 0
    var retryAtNanoseconds: UInt64 = 0
    /// When the slot last became free for a request: its previous request's end (a response's
    /// arrival), or the end of a connect backoff. The client's send lag counts from here.
    var availableSinceNanoseconds: UInt64 = 0
    /// When the connect in progress started (for `RunResult.tcpConnectTime`).
    var connectStartedNanoseconds: UInt64 = 0
    var retryDelayNanoseconds: UInt64 = 0
    /// Bytes read for the response in flight, against `--max-response-bytes`.
    var responseBytes = 0
    var parser = ResponseParser()
    /// The body read as an OpenAI answer: usage, event framing, and the checks of a 200.
    var answer = OpenAIResponseCheck()
    /// Streamed responses: the times of the token events.
    var timing = TokenTiming()
    /// Which request template the request uses, and its number as patched into it.
    var template = 0
    var number = RequestNumber()
    /// Multi-turn sessions: the turn of the request in flight (0 first; `SessionTable`).
    var turn = 0

    /// Forgets everything about the previous response before the next request.
    mutating func prepareForResponse() {
        parser.reset()
        responseBytes = 0
        answer.reset()
        timing.reset()
    }

    var hasRequestInFlight: Bool {
        phase == .connecting || phase == .handshaking || phase == .sending || phase == .awaitingResponse
    }
}
