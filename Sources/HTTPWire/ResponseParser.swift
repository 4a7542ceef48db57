#if canImport(Glibc)
import Glibc
#endif

/// Limits that keep a hostile or broken server from making the parser work without bound.
public struct ResponseParserLimits: Sendable, Equatable {
    /// Status line plus header lines plus the blank line; trailers have the same limit.
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int

    public init(maxHeaderBytes: Int = 65_536, maxHeaderCount: Int = 256) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

/// What `ResponseParser.parse` found.
public enum ResponseEvent: Equatable, Sendable {
    /// Every byte of the input was consumed and the response is not complete.
    case needMoreInput
    /// Status line and headers are parsed: `statusCode`, `keepAlive` and the framing are valid.
    case headComplete
    /// Body bytes (chunk framing removed) at these offsets of the input.
    case body(Range<Int>)
    /// The response is complete; the parser is ready for the next one (the input may hold more).
    case messageComplete
}

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
    private enum State: UInt8 {
        case statusStart, statusVersion, statusCode, statusAfterCode, statusReason, statusCR
        case lineStart, headerName, headerValue, headerCR, skipLine, headersEndCR
        case bodyLength, chunkSize, chunkExtension, chunkSizeCR, chunkData, chunkDataCR, chunkDataLF
        case trailerLineStart, trailerLine, trailerEndCR
        case bodyUntilClose, complete
    }

    /// The tracked header whose value is being read.
    private enum Tracked: UInt8 { case none, contentLength, transferEncoding, connection, contentType }

    private static let contentLengthName: StaticString = "content-length"
    private static let contentTypeName: StaticString = "content-type"
    private static let eventStreamType: StaticString = "text/event-stream"
    private static let transferEncodingName: StaticString = "transfer-encoding"
    private static let connectionName: StaticString = "connection"
    private static let versionPrefix: StaticString = "HTTP/"
    private static let chunkedToken: StaticString = "chunked"
    private static let closeToken: StaticString = "close"
    private static let keepAliveToken: StaticString = "keep-alive"
    /// Content-Length and chunk sizes above this are refused rather than risking overflow.
    private static let maxLength = 1 << 60

    public let limits: ResponseParserLimits
    private var headRequest = false
    private var state = State.statusStart
    private var messageStarted = false

    public private(set) var statusCode = 0
    public private(set) var keepAlive = true
    public private(set) var contentLength: Int?
    public private(set) var isChunked = false
    public private(set) var headerCount = 0
    public private(set) var bodyBytesReceived = 0
    /// The response is `Content-Type: text/event-stream` (Server-Sent Events), valid after the head.
    public private(set) var isEventStream = false

    private var http10 = false
    private var sectionBytes = 0
    private var matched = 0
    private var statusDigits = 0
    // Header name matching: bit 0 content-length, bit 1 transfer-encoding, bit 2 connection.
    private var nameCandidates: UInt8 = 0
    private var nameLength = 0
    private var tracked = Tracked.none
    /// A header line has been read and may still be continued by an obs-fold line.
    private var headerOpen = false
    // Content-Length value: 0 expecting digits, 1 in digits, 2 after digits.
    private var lengthPhase: UInt8 = 0
    private var lengthValue = 0
    // A comma-separated token (Transfer-Encoding, Connection): length and which words still match.
    private var tokenLength = 0
    private var tokenMatches: UInt8 = 0
    private var tokenEnded = false
    private var tokenInParameters = false
    private var transferEncodingSeen = false
    private var lastCodingIsChunked = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var remaining = 0
    private var chunkDigits = 0

    /// Some field may hold what a response set. False after `init` and `reset`, so that the usual
    /// reset-then-parse clears the fields once per response, not twice.
    private var holdsResponse = false

    // Always inlined so that `reset` and `startMessage` write the fields in place instead of
    // building a temporary parser and copying it over (a memcpy call each).
    @inline(__always)
    public init(limits: ResponseParserLimits = .init()) {
        self.limits = limits
    }

    /// Prepares for the next response. `headRequest` means it answers a HEAD: no body whatever the headers say.
    public mutating func reset(headRequest: Bool = false) {
        if holdsResponse { self = ResponseParser(limits: limits) }
        self.headRequest = headRequest
    }

    /// True when no byte of a new response has been consumed.
    public var isIdle: Bool { state == .statusStart && !messageStarted }

    private mutating func startMessage() {
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
            } else {
                if let event = try step(input, &index) { return event }
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
    private mutating func beginResponse(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        startMessage()
        state = .statusVersion
        guard let end = parseWholeHead(input, from: index) else { return nil }
        index = end
        return try finishHead()
    }

    // MARK: Head and chunk framing, byte by byte

    /// Consumes bytes of the status line, headers, chunk framing or trailers. Returns an event when
    /// one is due, or nil when the state changed to one handled by `parse`.
    private mutating func step(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        let count = input.count
        while index < count {
            let byte = input[index]
            switch state {
            case .statusStart:
                if let event = try beginResponse(input, &index) { return event }
                continue
            case .statusVersion:
                try countHeaderByte()
                if matched < 5 {
                    guard byte == Self.versionPrefix.utf8Start[matched] else { throw .invalidStatusLine }
                } else if matched == 5 {
                    guard isDigit(byte) else { throw .invalidStatusLine }
                    guard byte == UInt8(ascii: "1") else { throw .unsupportedVersion }
                } else if matched == 6 {
                    guard byte == UInt8(ascii: ".") else { throw .invalidStatusLine }
                } else if matched == 7 {
                    guard isDigit(byte) else { throw .invalidStatusLine }
                    http10 = byte == UInt8(ascii: "0")
                } else {
                    guard byte == UInt8(ascii: " ") else { throw .invalidStatusLine }
                    state = .statusCode
                }
                matched += 1
            case .statusCode:
                try countHeaderByte()
                guard isDigit(byte) else { throw .invalidStatusLine }
                statusCode = statusCode * 10 + Int(byte - UInt8(ascii: "0"))
                statusDigits += 1
                if statusDigits == 3 {
                    guard statusCode >= 100 else { throw .invalidStatusLine }
                    state = .statusAfterCode
                }
            case .statusAfterCode:
                try countHeaderByte()
                if byte == UInt8(ascii: " ") {
                    state = .statusReason
                } else if byte == UInt8(ascii: "\r") {
                    state = .statusCR
                } else if byte == UInt8(ascii: "\n") {
                    state = .lineStart
                } else {
                    throw .invalidStatusLine
                }
            case .statusReason:
                // Fast path: the reason phrase means nothing to a client.
                var end = index
                while end < count, input[end] != UInt8(ascii: "\r"), input[end] != UInt8(ascii: "\n") { end += 1 }
                try countHeaderBytes(end - index)
                index = end
                guard index < count else { return nil }
                try countHeaderByte()
                state = input[index] == UInt8(ascii: "\r") ? .statusCR : .lineStart
            case .statusCR:
                try countHeaderByte()
                guard byte == UInt8(ascii: "\n") else { throw .invalidStatusLine }
                state = .lineStart
            case .lineStart:
                try countHeaderByte()
                if (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) {
                    // obs-fold: the previous header's value continues after one space.
                    guard headerOpen else { throw .invalidHeaderLine }
                    if tracked == .none {
                        state = .skipLine
                    } else {
                        try headerValueByte(UInt8(ascii: " "))
                        state = .headerValue
                    }
                    break
                }
                try closeHeader()
                if byte == UInt8(ascii: "\r") {
                    state = .headersEndCR
                } else if byte == UInt8(ascii: "\n") {
                    index += 1
                    return try finishHead()
                } else {
                    guard isTokenByte(byte) else { throw .invalidHeaderLine }
                    headerCount += 1
                    guard headerCount <= limits.maxHeaderCount else { throw .tooManyHeaders(limit: limits.maxHeaderCount) }
                    nameLength = 0
                    nameCandidates = 0b1111
                    matchNameByte(byte)
                    state = .headerName
                }
            case .headerName:
                try countHeaderByte()
                if byte == UInt8(ascii: ":") {
                    tracked = trackedHeader()
                    headerOpen = true
                    beginValue()
                    state = tracked == .none ? .skipLine : .headerValue
                } else {
                    guard isTokenByte(byte) else { throw .invalidHeaderLine }
                    matchNameByte(byte)
                }
            case .headerValue:
                try countHeaderByte()
                if byte == UInt8(ascii: "\r") {
                    state = .headerCR
                } else if byte == UInt8(ascii: "\n") {
                    state = .lineStart
                } else {
                    try headerValueByte(byte)
                }
            case .headerCR:
                try countHeaderByte()
                guard byte == UInt8(ascii: "\n") else { throw .invalidHeaderLine }
                state = .lineStart
            case .skipLine:
                // Headers loadgen does not need: skip to the end of the line. A CR is part of the
                // line end only before LF; elsewhere in an ignored value it is tolerated.
                var end = index
                while end < count, input[end] != UInt8(ascii: "\n") { end += 1 }
                try countHeaderBytes(end - index)
                index = end
                guard index < count else { return nil }
                try countHeaderByte()
                headerOpen = true
                state = .lineStart
            case .headersEndCR:
                try countHeaderByte()
                guard byte == UInt8(ascii: "\n") else { throw .invalidHeaderLine }
                index += 1
                return try finishHead()
            case .chunkSize:
                if let digit = hexValue(byte) {
                    chunkDigits += 1
                    guard chunkDigits <= 15 else { throw .invalidChunkSize }
                    remaining = remaining << 4 | digit
                } else {
                    guard chunkDigits > 0 else { throw .invalidChunkSize }
                    if byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                        state = .chunkExtension
                    } else if byte == UInt8(ascii: "\r") {
                        state = .chunkSizeCR
                    } else if byte == UInt8(ascii: "\n") {
                        index += 1
                        chunkSizeLineEnded()
                        return nil
                    } else {
                        throw .invalidChunkSize
                    }
                }
            case .chunkExtension:
                // Extensions (`;name=value`) carry nothing loadgen uses; bounded like a header line.
                try countHeaderByte()
                if byte == UInt8(ascii: "\r") {
                    state = .chunkSizeCR
                } else if byte == UInt8(ascii: "\n") {
                    index += 1
                    chunkSizeLineEnded()
                    return nil
                }
            case .chunkSizeCR:
                guard byte == UInt8(ascii: "\n") else { throw .invalidChunkSize }
                index += 1
                chunkSizeLineEnded()
                return nil
            case .chunkDataCR:
                if byte == UInt8(ascii: "\r") {
                    state = .chunkDataLF
                } else if byte == UInt8(ascii: "\n") {
                    beginChunkSize()
                } else {
                    throw .invalidChunkTerminator
                }
            case .chunkDataLF:
                guard byte == UInt8(ascii: "\n") else { throw .invalidChunkTerminator }
                beginChunkSize()
            case .trailerLineStart:
                try countHeaderByte()
                if byte == UInt8(ascii: "\r") {
                    state = .trailerEndCR
                } else if byte == UInt8(ascii: "\n") {
                    index += 1
                    state = .complete
                    return nil
                } else {
                    state = .trailerLine
                }
            case .trailerLine:
                try countHeaderByte()
                if byte == UInt8(ascii: "\n") { state = .trailerLineStart }
            case .trailerEndCR:
                guard byte == UInt8(ascii: "\n") else { throw .invalidHeaderLine }
                index += 1
                state = .complete
                return nil
            case .bodyLength, .chunkData, .bodyUntilClose, .complete:
                return nil
            }
            index += 1
        }
        return nil
    }

    // MARK: Whole-head fast path

    // Index arithmetic here uses `&+`: every index lies between `start` and the input's count, so
    // none can overflow, and the unchecked forms spare a branch per step.

    /// What the whole-head fast path has read, kept apart from the parser until the head is known
    /// good, so that giving up leaves the parser exactly as the byte machine expects to find it.
    private struct HeadFields {
        var statusCode = 0
        var http10 = false
        var headerCount = 0
        var contentLength: Int?
        var transferEncodingSeen = false
        var lastCodingIsChunked = false
        var connectionClose = false
        var connectionKeepAlive = false
        var isEventStream = false
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let http11: StaticString = "HTTP/1.1"
    /// The status line's end as most responses have it, after `HTTP/1.1`.
    private static let okStatusEnd: StaticString = " 200 OK\r"
    /// The header names the fast path recognises whole, with their colon.
    private static let contentLengthField: StaticString = "content-length:"
    private static let contentTypeField: StaticString = "content-type:"
    private static let connectionField: StaticString = "connection:"
    private static let transferEncodingField: StaticString = "transfer-encoding:"
    /// Whole values as most servers send them, with the space before and the line end.
    private static let jsonTypeLine: StaticString = " application/json\r\n"
    private static let eventStreamTypeLine: StaticString = " text/event-stream\r\n"
    private static let keepAliveLine: StaticString = " keep-alive\r\n"
    private static let closeLine: StaticString = " close\r\n"
    private static let chunkedLine: StaticString = " chunked\r\n"

    /// Parses a status line and headers that lie entirely in `input` from `start` and returns the
    /// index after the blank line, having set what the byte machine would have set. Returns nil,
    /// having changed nothing, for anything it does not know to be the machine's result: an
    /// incomplete head, 1xx, obs-fold, lists or parameters in tracked values, a limit reached, any
    /// error (so every error is reported by one code path). Tests parse every input both whole
    /// (this path) and split (the machine) and require the same result.
    ///
    /// Each line is read once, left to right: the tracked names are recognised by their first
    /// byte and then compared eight bytes at a time, as are their everyday values; other values of
    /// theirs are read in place; any other name is checked byte by byte against the token table
    /// and its value skipped to the LF eight bytes at a time.
    private mutating func parseWholeHead(_ input: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = input.baseAddress else { return nil }
        let end = input.count
        var head = HeadFields()
        guard let lines = Self.statusLine(base, from: start, end: end, into: &head),
              let index = Self.headerLines(base, from: lines, headStart: start, end: end, limits: limits, into: &head),
              // The machine counts every byte of the head, the blank line included.
              index &- start <= limits.maxHeaderBytes else { return nil }
        statusCode = head.statusCode
        http10 = head.http10
        headerCount = head.headerCount
        contentLength = head.contentLength
        transferEncodingSeen = head.transferEncodingSeen
        lastCodingIsChunked = head.lastCodingIsChunked
        connectionClose = head.connectionClose
        connectionKeepAlive = head.connectionKeepAlive
        isEventStream = head.isEventStream
        sectionBytes = index &- start
        return index
    }

    /// For tests: the length of the head at the start of `input` if the whole-head fast path reads
    /// it, nil if it leaves it to the byte machine (so tests know which path they compared).
    func wholeHeadLength(_ input: UnsafeRawBufferPointer) -> Int? {
        var fresh = ResponseParser(limits: limits)
        return fresh.parseWholeHead(input, from: 0)
    }

    /// `HTTP/1.x DDD` with a final status (200 and up), then the line end or a space and a reason
    /// phrase without a CR before the LF. Returns the index after the LF.
    @inline(__always)
    private static func statusLine(_ base: UnsafeRawPointer, from start: Int, end: Int, into head: inout HeadFields) -> Int? {
        // The shortest status line with the blank line after it; also bounds the two word loads.
        guard end &- start >= 16 else { return nil }
        // Byte 7 is the minor version, compared apart (the last byte of a little-endian word).
        let versionMask: UInt64 = 0x00FF_FFFF_FFFF_FFFF
        guard word(base, start) & versionMask == word(http11, at: 0) & versionMask else { return nil }
        let minor = byte(base, start &+ 7)
        guard isDecimalDigit(minor) else { return nil }
        head.http10 = minor == UInt8(ascii: "0")
        if end &- start > 16, word(base, start &+ 8) == word(okStatusEnd, at: 0), byte(base, start &+ 16) == newline {
            head.statusCode = 200
            return start &+ 17
        }
        guard byte(base, start &+ 8) == UInt8(ascii: " ") else { return nil }
        var code = 0
        for offset in 9..<12 {
            let digit = byte(base, start &+ offset)
            guard isDecimalDigit(digit) else { return nil }
            code = code &* 10 &+ Int(digit &- UInt8(ascii: "0"))
        }
        // Interim responses (1xx) take the byte machine, which skips or refuses them.
        guard code >= 200 else { return nil }
        head.statusCode = code
        var index = start &+ 12
        var byte = byte(base, index)
        if byte == UInt8(ascii: " ") {
            // The reason phrase means nothing to a client; a CR in it must end the line.
            repeat {
                index &+= 1
                guard index < end else { return nil }
                byte = self.byte(base, index)
            } while byte != carriageReturn && byte != newline
        }
        return lineEnd(base, at: index, end: end)
    }

    /// The header lines from `start` and the blank line after them: the index after its LF. The
    /// byte limit is checked per line (from `headStart`, the status line's) to give up a huge head early.
    private static func headerLines(_ base: UnsafeRawPointer, from start: Int, headStart: Int, end: Int,
                                    limits: ResponseParserLimits, into head: inout HeadFields) -> Int? {
        var index = start
        while true {
            guard index < end, index &- headStart <= limits.maxHeaderBytes else { return nil }
            let first = byte(base, index)
            if first == carriageReturn {
                guard index &+ 1 < end, byte(base, index &+ 1) == newline else { return nil }
                return index &+ 2
            }
            if first == newline { return index &+ 1 }
            head.headerCount &+= 1
            guard head.headerCount <= limits.maxHeaderCount,
                  let next = headerLine(base, from: index, end: end, into: &head) else { return nil }
            index = next
        }
    }

    /// One header line from its first byte, which is not CR or LF. Returns the index after its LF.
    @inline(__always)
    private static func headerLine(_ base: UnsafeRawPointer, from start: Int, end: Int, into head: inout HeadFields) -> Int? {
        let first = byte(base, start) | 0x20
        if first == UInt8(ascii: "c") {
            if hasFolded(base, start, end: end, contentLengthField) {
                return contentLengthValue(base, from: start &+ contentLengthField.utf8CodeUnitCount, end: end, into: &head)
            }
            if hasFolded(base, start, end: end, contentTypeField) {
                let valueStart = start &+ contentTypeField.utf8CodeUnitCount
                if hasFolded(base, valueStart, end: end, jsonTypeLine) {
                    head.isEventStream = false
                    return valueStart &+ jsonTypeLine.utf8CodeUnitCount
                }
                if hasFolded(base, valueStart, end: end, eventStreamTypeLine) {
                    head.isEventStream = true
                    return valueStart &+ eventStreamTypeLine.utf8CodeUnitCount
                }
                // Any single media type, with or without parameters.
                guard let value = token(base, from: valueStart, end: end, parameters: true) else { return nil }
                // The type before any parameters; an empty one leaves the previous (as the machine).
                if value.start < value.end {
                    head.isEventStream = equalsLowercased(base, value.start, value.end, eventStreamType)
                }
                return value.next
            }
            if hasFolded(base, start, end: end, connectionField) {
                let valueStart = start &+ connectionField.utf8CodeUnitCount
                if hasFolded(base, valueStart, end: end, keepAliveLine) {
                    head.connectionKeepAlive = true
                    return valueStart &+ keepAliveLine.utf8CodeUnitCount
                }
                if hasFolded(base, valueStart, end: end, closeLine) {
                    head.connectionClose = true
                    return valueStart &+ closeLine.utf8CodeUnitCount
                }
                guard let value = token(base, from: valueStart, end: end, parameters: false) else { return nil }
                if equalsLowercased(base, value.start, value.end, keepAliveToken) { head.connectionKeepAlive = true }
                if equalsLowercased(base, value.start, value.end, closeToken) { head.connectionClose = true }
                return value.next
            }
        } else if first == UInt8(ascii: "t"), hasFolded(base, start, end: end, transferEncodingField) {
            // Only `chunked` alone; other codings decide the framing in the machine.
            let valueStart = start &+ transferEncodingField.utf8CodeUnitCount
            var next = valueStart &+ chunkedLine.utf8CodeUnitCount
            if !hasFolded(base, valueStart, end: end, chunkedLine) {
                guard let value = token(base, from: valueStart, end: end, parameters: false),
                      equalsLowercased(base, value.start, value.end, chunkedToken) else { return nil }
                next = value.next
            }
            head.transferEncodingSeen = true
            head.lastCodingIsChunked = true
            return next
        }
        // A header loadgen ignores: a token name (not a tracked one, which were all compared above
        // whenever the input held as many bytes as they have), a colon, and any value up to the LF.
        // A CR inside the value is tolerated, as by the machine.
        var index = start
        var byte = self.byte(base, index)
        repeat {
            guard tokenTable.utf8Start[Int(byte)] == UInt8(ascii: "t") else { return nil }
            index &+= 1
            guard index < end else { return nil }
            byte = self.byte(base, index)
        } while byte != UInt8(ascii: ":")
        guard let newline = firstNewline(base, from: index &+ 1, end: end) else { return nil }
        return newline &+ 1
    }

    /// A Content-Length value: optional blanks, up to 18 digits (below the machine's limit),
    /// optional blanks, the line end. Returns the index after the LF.
    @inline(__always)
    private static func contentLengthValue(_ base: UnsafeRawPointer, from start: Int, end: Int, into head: inout HeadFields) -> Int? {
        var index = skipBlanks(base, from: start, end: end)
        let digitsStart = index
        var length = 0
        while index < end {
            let digit = byte(base, index) &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            length = length &* 10 &+ Int(digit)
            index &+= 1
        }
        guard index > digitsStart, index &- digitsStart <= 18 else { return nil }
        // Equal repeats are accepted; a conflict is the machine's error to report.
        if let previous = head.contentLength, previous != length { return nil }
        guard let next = lineEnd(base, at: skipBlanks(base, from: index, end: end), end: end) else { return nil }
        head.contentLength = length
        return next
    }

    /// A value that is one token: optional blanks, bytes other than blanks, `,`, `;`, CR and LF,
    /// optional blanks, then the line end, or with `parameters` a `;` and anything up to it. The
    /// token may be empty. Nil for anything else: lists and the rest go to the machine.
    @inline(__always)
    private static func token(_ base: UnsafeRawPointer, from start: Int, end: Int, parameters: Bool)
        -> (start: Int, end: Int, next: Int)? {
        let tokenStart = skipBlanks(base, from: start, end: end)
        var index = tokenStart
        while index < end {
            let byte = byte(base, index)
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ",")
                || byte == UInt8(ascii: ";") || byte == carriageReturn || byte == newline {
                break
            }
            index &+= 1
        }
        let tokenEnd = index
        index = skipBlanks(base, from: index, end: end)
        if parameters, index < end, byte(base, index) == UInt8(ascii: ";") {
            // Parameters mean nothing here, but a CR among them must still end the line.
            while index < end, byte(base, index) != carriageReturn, byte(base, index) != newline { index &+= 1 }
        }
        guard let next = lineEnd(base, at: index, end: end) else { return nil }
        return (tokenStart, tokenEnd, next)
    }

    /// At `index`, CR LF or LF: the index after the LF. Nil for any other byte or the end of input.
    @inline(__always)
    private static func lineEnd(_ base: UnsafeRawPointer, at index: Int, end: Int) -> Int? {
        guard index < end else { return nil }
        let byte = byte(base, index)
        if byte == newline { return index &+ 1 }
        guard byte == carriageReturn, index &+ 1 < end, self.byte(base, index &+ 1) == newline else { return nil }
        return index &+ 2
    }

    @inline(__always)
    private static func skipBlanks(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int {
        var index = start
        while index < end, byte(base, index) == UInt8(ascii: " ") || byte(base, index) == UInt8(ascii: "\t") { index &+= 1 }
        return index
    }

    /// `text` (8 to 24 bytes, letters in lower case) starts at `start`, its letters in any case and
    /// its other bytes exactly, compared eight bytes at a time (the last word overlapping the one
    /// before). Folding only letters makes a match a subset of the machine's (which ORs 0x20 into
    /// every value byte, and sees only token bytes in names), so a match is always its result too.
    @inline(__always)
    private static func hasFolded(_ base: UnsafeRawPointer, _ start: Int, end: Int, _ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard end &- start >= length else { return false }
        var offset = 0
        while offset &+ 8 < length {
            guard word(base, start &+ offset) | letterBits(text, at: offset) == word(text, at: offset) else { return false }
            offset &+= 8
        }
        return word(base, start &+ length &- 8) | letterBits(text, at: length &- 8) == word(text, at: length &- 8)
    }

    /// 0x20 in each byte of `text`'s word at `offset` that is a lower-case letter, 0 elsewhere:
    /// ORed into input bytes, it folds only letters, so `-` and `:` still compare exactly. (A
    /// constant once inlined; per byte, no carry leaves a byte below 0x80.)
    @inline(__always)
    private static func letterBits(_ text: StaticString, at offset: Int) -> UInt64 {
        let bytes = word(text, at: offset)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let atLeastA = bytes &+ (ones &* (0x80 - 0x61))
        let aboveZ = bytes &+ (ones &* (0x80 - 0x7B))
        return (atLeastA & ~aboveZ & (ones &* 0x80)) >> 2
    }

    /// The machine's value comparison: each byte ORed with 0x20 equals the lower-case expected one.
    @inline(__always)
    private static func equalsLowercased(_ base: UnsafeRawPointer, _ start: Int, _ end: Int, _ expected: StaticString) -> Bool {
        guard end &- start == expected.utf8CodeUnitCount else { return false }
        for offset in 0..<(end &- start) where byte(base, start &+ offset) | 0x20 != expected.utf8Start[offset] { return false }
        return true
    }

    /// The index of the first LF from `start` before `end`, eight bytes at a time where there are
    /// eight (the loads stay below `end`).
    @inline(__always)
    private static func firstNewline(_ base: UnsafeRawPointer, from start: Int, end: Int) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var index = start
        while end &- index >= 8 {
            // Exact per byte (no carry crosses bytes): the high bit of each byte of `nonzero` is
            // set unless that byte of the word is LF.
            let difference = word(base, index) ^ (ones &* UInt64(newline))
            let nonzero = ((difference & (ones &* 0x7F)) &+ (ones &* 0x7F)) | difference
            let hits = ~nonzero & (ones &* 0x80)
            if hits != 0 { return index &+ hits.trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < end {
            if byte(base, index) == newline { return index }
            index &+= 1
        }
        return nil
    }

    /// The byte at `offset`; callers keep `offset` below the input's count.
    @inline(__always)
    private static func byte(_ base: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Eight bytes from `offset` as a little-endian word; callers keep `offset + 8` within the input.
    @inline(__always)
    private static func word(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Eight bytes of a constant from `offset` (folded to an immediate once inlined).
    @inline(__always)
    private static func word(_ text: StaticString, at offset: Int) -> UInt64 {
        word(UnsafeRawPointer(text.utf8Start), offset)
    }

    @inline(__always)
    private static func isDecimalDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// 't' at the index of every RFC 9110 token byte, '.' elsewhere: a table without lazy globals.
    private static let tokenTable: StaticString = ".................................t.ttttt..tt.tt.tttttttttt.......tttttttttttttttttttttttttt...ttttttttttttttttttttttttttttt.t.t................................................................................................................................."

    @inline(__always)
    private mutating func countHeaderByte() throws(WireError) {
        sectionBytes += 1
        if sectionBytes > limits.maxHeaderBytes { throw .headerSectionTooLarge(limit: limits.maxHeaderBytes) }
    }

    @inline(__always)
    private mutating func countHeaderBytes(_ bytes: Int) throws(WireError) {
        sectionBytes += bytes
        if sectionBytes > limits.maxHeaderBytes { throw .headerSectionTooLarge(limit: limits.maxHeaderBytes) }
    }

    // MARK: Header names and values

    @inline(__always)
    private mutating func matchNameByte(_ byte: UInt8) {
        let lower = byte | 0x20
        if nameCandidates & 1 != 0, !(nameLength < 14 && Self.contentLengthName.utf8Start[nameLength] == lower) {
            nameCandidates &= ~1
        }
        if nameCandidates & 2 != 0, !(nameLength < 17 && Self.transferEncodingName.utf8Start[nameLength] == lower) {
            nameCandidates &= ~2
        }
        if nameCandidates & 4 != 0, !(nameLength < 10 && Self.connectionName.utf8Start[nameLength] == lower) {
            nameCandidates &= ~4
        }
        if nameCandidates & 8 != 0, !(nameLength < 12 && Self.contentTypeName.utf8Start[nameLength] == lower) {
            nameCandidates &= ~8
        }
        nameLength += 1
    }

    private func trackedHeader() -> Tracked {
        if nameCandidates & 1 != 0, nameLength == 14 { return .contentLength }
        if nameCandidates & 2 != 0, nameLength == 17 { return .transferEncoding }
        if nameCandidates & 4 != 0, nameLength == 10 { return .connection }
        if nameCandidates & 8 != 0, nameLength == 12 { return .contentType }
        return .none
    }

    private mutating func beginValue() {
        lengthPhase = 0
        lengthValue = 0
        beginToken()
        if tracked == .transferEncoding {
            transferEncodingSeen = true
            lastCodingIsChunked = false
        }
    }

    private mutating func beginToken() {
        tokenLength = 0
        tokenMatches = 0b11
        tokenEnded = false
        tokenInParameters = false
    }

    private mutating func headerValueByte(_ byte: UInt8) throws(WireError) {
        let isSpace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
        switch tracked {
        case .none:
            return
        case .contentLength:
            if isDigit(byte) {
                guard lengthPhase != 2 else { throw .invalidContentLength }
                lengthPhase = 1
                let digit = Int(byte - UInt8(ascii: "0"))
                // Checked before multiplying: twenty digits must be an error, not an overflow trap.
                guard lengthValue <= (Self.maxLength - digit) / 10 else { throw .invalidContentLength }
                lengthValue = lengthValue * 10 + digit
            } else if isSpace {
                if lengthPhase == 1 { lengthPhase = 2 }
            } else if byte == UInt8(ascii: ",") {
                try finishLengthValue()
            } else {
                throw .invalidContentLength
            }
        case .transferEncoding, .connection, .contentType:
            if byte == UInt8(ascii: ","), tracked != .contentType {
                finishToken()
                beginToken()
            } else if tokenInParameters {
                return
            } else if byte == UInt8(ascii: ";") {
                tokenInParameters = true
            } else if isSpace {
                if tokenLength > 0 { tokenEnded = true }
            } else {
                if tokenEnded { tokenMatches = 0 }
                let lower = byte | 0x20
                let first: StaticString = tracked == .transferEncoding ? Self.chunkedToken
                    : (tracked == .contentType ? Self.eventStreamType : Self.closeToken)
                let second: StaticString = Self.keepAliveToken
                if tokenMatches & 1 != 0, !(tokenLength < first.utf8CodeUnitCount && first.utf8Start[tokenLength] == lower) {
                    tokenMatches &= ~1
                }
                if tokenMatches & 2 != 0, !(tokenLength < second.utf8CodeUnitCount && second.utf8Start[tokenLength] == lower) {
                    tokenMatches &= ~2
                }
                tokenLength += 1
            }
        }
    }

    private mutating func finishLengthValue() throws(WireError) {
        guard lengthPhase != 0 else { throw .invalidContentLength }
        if let existing = contentLength, existing != lengthValue { throw .conflictingContentLength }
        contentLength = lengthValue
        lengthPhase = 0
        lengthValue = 0
    }

    private mutating func finishToken() {
        guard tokenLength > 0 else { return }
        if tracked == .transferEncoding {
            lastCodingIsChunked = tokenMatches & 1 != 0 && tokenLength == 7
        } else if tracked == .contentType {
            // The media type before any parameters (`; charset=utf-8`); the last header wins.
            isEventStream = tokenMatches & 1 != 0 && tokenLength == 17
        } else {
            if tokenMatches & 1 != 0, tokenLength == 5 { connectionClose = true }
            if tokenMatches & 2 != 0, tokenLength == 10 { connectionKeepAlive = true }
        }
    }

    /// Ends the header whose line (and any fold lines) has been read.
    private mutating func closeHeader() throws(WireError) {
        guard headerOpen else { return }
        switch tracked {
        case .contentLength: try finishLengthValue()
        case .transferEncoding, .connection, .contentType: finishToken()
        case .none: break
        }
        tracked = .none
        headerOpen = false
    }

    // MARK: Framing

    private mutating func finishHead() throws(WireError) -> ResponseEvent? {
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

    private mutating func beginChunkSize() {
        // Each chunk-size line (with its extensions) gets the header byte limit afresh.
        sectionBytes = 0
        state = .chunkSize
        remaining = 0
        chunkDigits = 0
    }

    private mutating func chunkSizeLineEnded() {
        if remaining == 0 {
            sectionBytes = 0
            state = .trailerLineStart
        } else {
            state = .chunkData
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    @inline(__always)
    private func hexValue(_ byte: UInt8) -> Int? {
        if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { return Int(byte - UInt8(ascii: "0")) }
        let lower = byte | 0x20
        if lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "f") { return Int(lower - UInt8(ascii: "a")) + 10 }
        return nil
    }

    /// RFC 9110 token characters, the only ones allowed in a header name.
    @inline(__always)
    private func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
