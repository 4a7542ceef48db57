/// An incremental HTTP/1.1 response parser that keeps no bytes.
///
/// In the manner of picohttpparser it reports "need more input" apart from errors, but unlike it
/// nothing is ever re-parsed or buffered: the state machine consumes each byte once and extracts
/// what it needs as it goes (the status code, Content-Length digits, whether Transfer-Encoding ends
/// in `chunked`, the Connection tokens). So a response split anywhere, even one byte at a time,
/// parses to the same result, a connection needs no read buffer of its own, and no input can make
/// the parser hold more memory: limits are counted, never buffered. Body bytes are returned as
/// ranges of the caller's input for scanning in place.
///
/// Header rules: names are case-insensitive; an obs-fold line (starting with SP or HT) continues the
/// previous header's value as if by one space (RFC 9112 §5.2); repeated Content-Length values (in
/// several headers or a comma list) must agree; Transfer-Encoding whose final coding is `chunked`
/// means chunked, any other Transfer-Encoding means the body runs to the close (RFC 9112 §6.3), and
/// Transfer-Encoding overrides Content-Length (the connection then closes). 1xx interim responses
/// other than 101 are skipped. Bare LF line endings are accepted; a CR must be followed by LF.
public struct ResponseParser: Sendable {
    enum State: UInt8 {
        // The head, byte by byte (ResponseParser+Head.swift).
        case statusStart, statusVersion, statusCode, statusAfterCode, statusReason, statusCR
        case lineStart, headerName, headerValue, headerCR, skipLine, headersEndCR
        // The body: chunk-size lines, chunk ends and trailers (ResponseParser+Chunked.swift); body
        // bytes and the end are returned at once (`bodyEvent`).
        case bodyLength, chunkSize, chunkExtension, chunkSizeCR, chunkData, chunkDataCR, chunkDataLF
        case trailerLineStart, trailerLine, trailerEndCR
        case bodyUntilClose, complete

        /// Past the head. (`bodyEvent` has taken the body-byte states, so what is left of these is
        /// the chunk framing.)
        var isPastHead: Bool { rawValue > State.headersEndCR.rawValue }
    }

    /// The tracked header whose value is being read.
    enum Tracked: UInt8 { case none, contentLength, transferEncoding, connection, contentType }

    // What the parser looks for, each written once (the whole-head path adds the whole lines
    // most servers send, in ResponseParser+WholeHead.swift).
    /// The tracked header names, lower case, with their colon: the byte machine matches the name
    /// before it (a name is token bytes, never `:`), the whole-head path the whole field.
    static let contentLengthField: StaticString = "content-length:"
    static let contentTypeField: StaticString = "content-type:"
    static let connectionField: StaticString = "connection:"
    static let transferEncodingField: StaticString = "transfer-encoding:"
    /// The value tokens that matter, lower case.
    static let eventStreamType: StaticString = "text/event-stream"
    static let chunkedToken: StaticString = "chunked"
    static let closeToken: StaticString = "close"
    static let keepAliveToken: StaticString = "keep-alive"
    /// The version line's start; where its major and minor digits sit in `HTTP/1.x`.
    static let http11: StaticString = "HTTP/1.1"
    static let majorVersionIndex = 5
    static let minorVersionIndex = 7
    /// A status code is three digits (RFC 9110 §15).
    static let statusCodeDigits = 3
    /// Content-Length and chunk sizes above this are refused rather than risking overflow.
    static let maxLength = 1 << 60
    /// Hex digits of a chunk size: 15 of them stay below `maxLength`.
    static let maxChunkSizeDigits = 15

    /// The header size and count limits this parser enforces.
    public let limits: ResponseParserLimits
    var headRequest = false
    var state = State.statusStart
    var messageStarted = false

    /// The status code of the response being parsed (0 before its status line).
    public internal(set) var statusCode = 0
    /// Whether the connection may carry another request after this response (HTTP/1.1 without `Connection:
    /// close`).
    public internal(set) var keepAlive = true
    /// The Content-Length header's value, when the response has one.
    public internal(set) var contentLength: Int?
    /// Whether the body is chunked (`Transfer-Encoding: chunked`).
    public internal(set) var isChunked = false
    /// Header lines seen in the current head.
    public internal(set) var headerCount = 0
    /// Body bytes of the current response so far (chunk framing excluded).
    public internal(set) var bodyBytesReceived = 0
    /// The response is `Content-Type: text/event-stream` (Server-Sent Events), valid after the head.
    public internal(set) var isEventStream = false

    var http10 = false
    var sectionBytes = 0
    var matched = 0
    var statusDigits = 0
    // Header name matching: bit 0 content-length, bit 1 transfer-encoding, bit 2 connection.
    var nameCandidates: UInt8 = 0
    var nameLength = 0
    var tracked = Tracked.none
    /// A header line has been read and may still be continued by an obs-fold line.
    var headerOpen = false
    // Content-Length value: 0 expecting digits, 1 in digits, 2 after digits.
    var lengthPhase: UInt8 = 0
    var lengthValue = 0
    // A comma-separated token (Transfer-Encoding, Connection): length and which words still match.
    var tokenLength = 0
    var tokenMatches: UInt8 = 0
    var tokenEnded = false
    var tokenInParameters = false
    var transferEncodingSeen = false
    var lastCodingIsChunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var remaining = 0
    var chunkDigits = 0

    /// Some field may hold what a response set. False after `init` and `reset`, so that the usual
    /// reset-then-parse clears the fields once per response, not twice.
    var holdsResponse = false

    /// A parser waiting for a status line, enforcing `limits`. Always inlined so that `reset` and
    /// `startMessage` write the fields in place instead of building a temporary parser and
    /// copying it over (a memcpy call each).
    @inline(__always)
    public init(limits: ResponseParserLimits = .init()) {
        self.limits = limits
    }

    /// Prepares for the next response. `headRequest` means it answers a HEAD: no body whatever the headers
    /// say.
    public mutating func reset(headRequest: Bool = false) {
        if holdsResponse { self = ResponseParser(limits: limits) }
        self.headRequest = headRequest
    }

    /// True when no byte of a new response has been consumed.
    public var isIdle: Bool { state == .statusStart && !messageStarted }

    mutating func startMessage() {
        if holdsResponse { clearResponse() }
        holdsResponse = true
        messageStarted = true
    }

    /// Out of line: only a second response on a connection without `reset` (pipelined, or after
    /// 1xx) needs it, and inlined, its stores' addresses were set up on every call of the loop.
    @inline(never)
    private mutating func clearResponse() {
        let head = headRequest
        self = ResponseParser(limits: limits)
        headRequest = head
    }

    /// Consumes bytes from `offset`, advancing it, until an event. Call again until `.needMoreInput`
    /// (then `offset == input.count`) or `.messageComplete` (further responses may follow).
    public mutating func parse(_ input: UnsafeRawBufferPointer, offset: inout Int) throws(WireError) -> ResponseEvent {
        // Body pieces and the end return at once; only the head and the chunk framing need the
        // loop, kept out of line so that these calls (two of every three) skip its setup.
        if let event = bodyEvent(input, &offset) { return event }
        return try parseFraming(input, offset: &offset)
    }

    /// The event of a state that returns one at once (body pieces, the end), or nil for the others.
    @inline(__always)
    private mutating func bodyEvent(_ input: UnsafeRawBufferPointer, _ index: inout Int) -> ResponseEvent? {
        let count = input.count
        switch state {
        case .complete:
            state = .statusStart
            messageStarted = false
            return .messageComplete
        case .bodyLength:
            guard index < count else { return .needMoreInput }
            let take = min(remaining, count - index)
            let range = index..<(index + take)
            index += take
            remaining -= take
            bodyBytesReceived += take
            if remaining == 0 { state = .complete }
            return .body(range)
        case .chunkData:
            guard index < count else { return .needMoreInput }
            let take = min(remaining, count - index)
            let range = index..<(index + take)
            index += take
            remaining -= take
            bodyBytesReceived += take
            if remaining == 0 { state = .chunkDataCR }
            return .body(range)
        case .bodyUntilClose:
            guard index < count else { return .needMoreInput }
            let range = index..<count
            bodyBytesReceived += count - index
            index = count
            return .body(range)
        default:
            return nil
        }
    }

    /// The head, chunk framing and trailers, until an event.
    @inline(never)
    private mutating func parseFraming(_ input: UnsafeRawBufferPointer, offset: inout Int) throws(WireError) -> ResponseEvent {
        let count = input.count
        var index = offset
        defer { offset = index }
        while true {
            if let event = bodyEvent(input, &index) { return event }
            guard index < count else { return .needMoreInput }
            if state == .statusStart {
                if let event = try beginResponse(input, &index) { return event }
            } else if state.isPastHead {
                if let event = try stepChunked(input, &index) { return event }
            } else {
                if let event = try stepHead(input, &index) { return event }
            }
        }
    }

    /// The peer closed the connection. True if that completes a close-delimited body; false if no
    /// response was in progress; throws `connectionClosedEarly` if one was cut short.
    public mutating func inputEnded() throws(WireError) -> Bool {
        switch state {
        case .statusStart where !messageStarted:
            return false
        case .bodyUntilClose:
            state = .statusStart
            messageStarted = false
            return true
        default:
            throw .connectionClosedEarly
        }
    }

    /// The first byte of a response is at `index`: the whole-head fast path reads the head if it
    /// is all there (and changes nothing if it cannot), else the byte machine starts.
    @inline(__always)
    mutating func beginResponse(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        startMessage()
        state = .statusVersion
        guard let end = parseWholeHead(input, from: index) else { return nil }
        index = end
        return try finishHead()
    }

    // MARK: Framing

    /// The head is complete: decide how the body is delimited (RFC 9112 §6.3), or skip an interim
    /// response.

    mutating func finishHead() throws(WireError) -> ResponseEvent? {
        if statusCode < 200 {
            guard statusCode != 101 else { throw .upgradeNotSupported }
            // An interim response (100 Continue, 103 Early Hints): the final one follows.
            startMessage()
            state = .statusVersion
            return nil
        }
        keepAlive = http10 ? (connectionKeepAlive && !connectionClose) : !connectionClose
        if headRequest || statusCode == 204 || statusCode == 304 {
            state = .complete
        } else if transferEncodingSeen {
            if contentLength != nil { keepAlive = false }
            if lastCodingIsChunked {
                isChunked = true
                beginChunkSize()
            } else {
                keepAlive = false
                state = .bodyUntilClose
            }
        } else if let length = contentLength {
            remaining = length
            state = length == 0 ? .complete : .bodyLength
        } else {
            keepAlive = false
            state = .bodyUntilClose
        }
        return .headComplete
    }
}
