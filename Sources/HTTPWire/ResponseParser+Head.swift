/// The head, byte by byte: the state machine that reads a status line and headers split anywhere
/// (the whole-head fast path in ResponseParser+WholeHead.swift reads most heads in one go).
extension ResponseParser {
    /// Consumes bytes of the status line and headers. Returns an event when one is due, or nil when
    /// the input ends or the state changed to one handled by `parse`.
    mutating func stepHead(_ input: UnsafeRawBufferPointer, _ index: inout Int) throws(WireError) -> ResponseEvent? {
        let count = input.count
        while index < count {
            let byte = input[index]
            switch state {
            case .statusStart:
                if let event = try beginResponse(input, &index) { return event }
                continue
            case .statusVersion:
                try countHeaderByte()
                if matched < Self.majorVersionIndex {
                    guard byte == Self.http11.utf8Start[matched] else { throw .invalidStatusLine }
                } else if matched == Self.majorVersionIndex {
                    guard ByteClass.isDigit(byte) else { throw .invalidStatusLine }
                    guard byte == Self.http11.utf8Start[matched] else { throw .unsupportedVersion }
                } else if matched < Self.minorVersionIndex {
                    guard byte == Self.http11.utf8Start[matched] else { throw .invalidStatusLine }
                } else if matched == Self.minorVersionIndex {
                    guard ByteClass.isDigit(byte) else { throw .invalidStatusLine }
                    http10 = byte == UInt8(ascii: "0")
                } else {
                    guard byte == UInt8(ascii: " ") else { throw .invalidStatusLine }
                    state = .statusCode
                }
                matched += 1
            case .statusCode:
                try countHeaderByte()
                guard ByteClass.isDigit(byte) else { throw .invalidStatusLine }
                statusCode = statusCode * 10 + Int(byte - UInt8(ascii: "0"))
                statusDigits += 1
                if statusDigits == Self.statusCodeDigits {
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
                if ByteClass.isBlank(byte) {
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
                    guard ByteClass.isToken(byte) else { throw .invalidHeaderLine }
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
                    guard ByteClass.isToken(byte) else { throw .invalidHeaderLine }
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
            default:
                // Chunk framing and body states are not the head's.
                return nil
            }
            index += 1
        }
        return nil
    }

    @inline(__always)
    mutating func countHeaderByte() throws(WireError) {
        sectionBytes += 1
        if sectionBytes > limits.maxHeaderBytes { throw .headerSectionTooLarge(limit: limits.maxHeaderBytes) }
    }

    @inline(__always)
    mutating func countHeaderBytes(_ bytes: Int) throws(WireError) {
        sectionBytes += bytes
        if sectionBytes > limits.maxHeaderBytes { throw .headerSectionTooLarge(limit: limits.maxHeaderBytes) }
    }


    // MARK: Header names and values

    @inline(__always)
    private mutating func matchNameByte(_ byte: UInt8) {
        let lower = byte | 0x20
        if nameCandidates & 1 != 0, !Self.nameByte(lower, at: nameLength, of: Self.contentLengthField) {
            nameCandidates &= ~1
        }
        if nameCandidates & 2 != 0, !Self.nameByte(lower, at: nameLength, of: Self.transferEncodingField) {
            nameCandidates &= ~2
        }
        if nameCandidates & 4 != 0, !Self.nameByte(lower, at: nameLength, of: Self.connectionField) {
            nameCandidates &= ~4
        }
        if nameCandidates & 8 != 0, !Self.nameByte(lower, at: nameLength, of: Self.contentTypeField) {
            nameCandidates &= ~8
        }
        nameLength += 1
    }

    /// `lower` is the byte at `offset` of the name in `field` (the name and its colon).
    @inline(__always)
    private static func nameByte(_ lower: UInt8, at offset: Int, of field: StaticString) -> Bool {
        offset < field.utf8CodeUnitCount - 1 && field.utf8Start[offset] == lower
    }

    private func trackedHeader() -> Tracked {
        if nameCandidates & 1 != 0, nameLength == Self.contentLengthField.utf8CodeUnitCount - 1 { return .contentLength }
        if nameCandidates & 2 != 0, nameLength == Self.transferEncodingField.utf8CodeUnitCount - 1 { return .transferEncoding }
        if nameCandidates & 4 != 0, nameLength == Self.connectionField.utf8CodeUnitCount - 1 { return .connection }
        if nameCandidates & 8 != 0, nameLength == Self.contentTypeField.utf8CodeUnitCount - 1 { return .contentType }
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
        let isSpace = ByteClass.isBlank(byte)
        switch tracked {
        case .none:
            return
        case .contentLength:
            if ByteClass.isDigit(byte) {
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
            lastCodingIsChunked = tokenMatches & 1 != 0 && tokenLength == Self.chunkedToken.utf8CodeUnitCount
        } else if tracked == .contentType {
            // The media type before any parameters (`; charset=utf-8`); the last header wins.
            isEventStream = tokenMatches & 1 != 0 && tokenLength == Self.eventStreamType.utf8CodeUnitCount
        } else {
            if tokenMatches & 1 != 0, tokenLength == Self.closeToken.utf8CodeUnitCount { connectionClose = true }
            if tokenMatches & 2 != 0, tokenLength == Self.keepAliveToken.utf8CodeUnitCount { connectionKeepAlive = true }
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
}
