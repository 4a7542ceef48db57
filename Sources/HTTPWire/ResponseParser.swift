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

    public init(limits: ResponseParserLimits = .init()) {
        self.limits = limits
    }

    /// Prepares for the next response. `headRequest` means it answers a HEAD: no body whatever the headers say.
    public mutating func reset(headRequest: Bool = false) {
        self = ResponseParser(limits: limits)
        self.headRequest = headRequest
    }

    /// True when no byte of a new response has been consumed.
    public var isIdle: Bool { state == .statusStart && !messageStarted }

    private mutating func startMessage() {
        let head = headRequest
        self = ResponseParser(limits: limits)
        headRequest = head
        messageStarted = true
    }

    /// Consumes bytes from `offset`, advancing it, until an event. Call again until `.needMoreInput`
    /// (then `offset == input.count`) or `.messageComplete` (further responses may follow).
    public mutating func parse(_ input: UnsafeRawBufferPointer, offset: inout Int) throws(WireError) -> ResponseEvent {
        let count = input.count
        var index = offset
        defer { offset = index }
        while true {
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
                guard index < count else { return .needMoreInput }
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

    // MARK: Head and chunk framing, byte by byte

    /// Consumes bytes of the status line, headers, chunk framing or trailers. Returns an event when
    /// one is due, or nil when the state changed to one handled by `parse`.
    private mutating func step(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        let count = input.count
        while index < count {
            let byte = input[index]
            switch state {
            case .statusStart:
                startMessage()
                state = .statusVersion
                // Fast path: a whole head in this input is parsed line by line with memchr and
                // compared with memcmp-like loops instead of a state change per byte.
                let before = self
                if let end = parseWholeHead(input, from: index) {
                    index = end
                    return try finishHead()
                }
                self = before
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

    /// Parses a status line and headers that lie entirely in `input` from `start`, returning the
    /// index after the blank line. Returns nil, leaving the caller to run the byte-by-byte machine
    /// from the same state, for anything unusual: an incomplete head, folds, interim responses,
    /// limits reached, or any error (so every error is reported by one code path). The tests parse
    /// every input both whole (this path) and split (the machine) and require the same result.
    private mutating func parseWholeHead(_ input: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = input.baseAddress else { return nil }
        let count = input.count
        var lineStart = start
        var isStatusLine = true
        while lineStart < count {
            guard let found = memchr(base + lineStart, 0x0A, count - lineStart) else { return nil }
            let newline = base.distance(to: UnsafeRawPointer(found))
            var lineEnd = newline
            if lineEnd > lineStart, input[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            sectionBytes += newline + 1 - lineStart
            guard sectionBytes <= limits.maxHeaderBytes else { return nil }
            let line = UnsafeRawBufferPointer(rebasing: input[lineStart..<lineEnd])
            if isStatusLine {
                guard parseStatusLine(line) else { return nil }
                isStatusLine = false
            } else if line.isEmpty {
                guard closeHeaderQuietly() else { return nil }
                return newline + 1
            } else {
                guard parseHeaderLine(line) else { return nil }
            }
            lineStart = newline + 1
        }
        return nil
    }

    private mutating func parseStatusLine(_ line: UnsafeRawBufferPointer) -> Bool {
        // "HTTP/1.x DDD" and then the end, or a space and any reason phrase without a bare CR.
        guard line.count >= 12 else { return false }
        for offset in 0..<7 where line[offset] != Self.statusPrefix.utf8Start[offset] { return false }
        let minor = line[7]
        guard isDigit(minor), line[8] == UInt8(ascii: " ") else { return false }
        var code = 0
        for offset in 9..<12 {
            guard isDigit(line[offset]) else { return false }
            code = code * 10 + Int(line[offset] - UInt8(ascii: "0"))
        }
        // Interim responses and anything odd take the careful path.
        guard code >= 200 else { return false }
        if line.count > 12 {
            guard line[12] == UInt8(ascii: " ") else { return false }
            for offset in 13..<line.count where line[offset] == 0x0D { return false }
        }
        http10 = minor == UInt8(ascii: "0")
        statusCode = code
        return true
    }

    private mutating func parseHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        let first = line[0]
        guard first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else { return false }
        guard closeHeaderQuietly() else { return false }
        headerCount += 1
        guard headerCount <= limits.maxHeaderCount else { return false }
        var colon = 0
        while colon < line.count, line[colon] != UInt8(ascii: ":") {
            guard Self.tokenTable.utf8Start[Int(line[colon])] == UInt8(ascii: "t") else { return false }
            colon += 1
        }
        guard colon > 0, colon < line.count else { return false }
        tracked = Self.classify(UnsafeRawBufferPointer(rebasing: line[0..<colon]))
        headerOpen = true
        beginValue()
        // The value of a header loadgen ignores is not read at all (a stray CR in it is tolerated,
        // by the byte machine too).
        guard tracked != .none else { return true }
        let value = UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])
        if let base = value.baseAddress, memchr(base, 0x0D, value.count) != nil { return false }
        if applyCommonValue(value) { return true }
        for byte in value {
            do { try headerValueByte(byte) } catch { return false }
        }
        return true
    }

    /// The everyday values, read without the per-byte machine: a plain decimal Content-Length, and
    /// a single `keep-alive`, `close` or `chunked` token. Anything else returns false.
    private mutating func applyCommonValue(_ raw: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        var end = raw.count
        while start < end, raw[start] == UInt8(ascii: " ") || raw[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, raw[end - 1] == UInt8(ascii: " ") || raw[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        guard end > start else { return false }
        let value = UnsafeRawBufferPointer(rebasing: raw[start..<end])
        switch tracked {
        case .contentLength:
            guard value.count <= 18 else { return false }
            var length = 0
            for byte in value {
                guard isDigit(byte) else { return false }
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
            }
            lengthPhase = 1
            lengthValue = length
            return true
        case .connection:
            if Self.equalsLowercased(value, Self.keepAliveToken) {
                connectionKeepAlive = true
            } else if Self.equalsLowercased(value, Self.closeToken) {
                connectionClose = true
            } else {
                return false
            }
            tokenLength = 0
            return true
        case .transferEncoding:
            guard Self.equalsLowercased(value, Self.chunkedToken) else { return false }
            lastCodingIsChunked = true
            tokenLength = 0
            return true
        case .contentType:
            // `text/event-stream` alone, or any type without parameters or spaces; else the machine.
            for byte in value where byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { return false }
            isEventStream = Self.equalsLowercased(value, Self.eventStreamType)
            tokenLength = 0
            return true
        case .none:
            return true
        }
    }

    @inline(__always)
    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ expected: StaticString) -> Bool {
        guard bytes.count == expected.utf8CodeUnitCount else { return false }
        for offset in 0..<bytes.count where bytes[offset] | 0x20 != expected.utf8Start[offset] { return false }
        return true
    }

    private mutating func closeHeaderQuietly() -> Bool {
        do { try closeHeader() } catch { return false }
        return true
    }

    private static func classify(_ name: UnsafeRawBufferPointer) -> Tracked {
        func equals(_ expected: StaticString) -> Bool {
            guard name.count == expected.utf8CodeUnitCount else { return false }
            for offset in 0..<name.count where name[offset] | 0x20 != expected.utf8Start[offset] { return false }
            return true
        }
        switch name.count {
        case 14: return equals(contentLengthName) ? .contentLength : .none
        case 17: return equals(transferEncodingName) ? .transferEncoding : .none
        case 10: return equals(connectionName) ? .connection : .none
        case 12: return equals(contentTypeName) ? .contentType : .none
        default: return .none
        }
    }

    private static let statusPrefix: StaticString = "HTTP/1."
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
