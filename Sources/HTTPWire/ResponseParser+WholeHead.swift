/// The whole-head fast path: a status line and headers that lie entirely in one read are parsed in
/// one pass, eight bytes at a time where it can, to exactly what the byte machine would have set.
extension ResponseParser {
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
    /// The status line's end as most responses have it, after `HTTP/1.1`: one word.
    private static let okStatusEnd: StaticString = " 200 OK\r"
    /// The shortest head this path reads (`HTTP/1.1 200` and two CR LF); it also bounds the two
    /// word loads of the status line.
    private static let shortestHead = 16
    /// Content-Length digits this path reads: 18 stay below `maxLength`, so no overflow check.
    private static let maxLengthDigits = 18
    /// Whole values as most servers send them (the tokens above with the space before and the line
    /// end), compared eight bytes at a time.
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
    mutating func parseWholeHead(_ input: UnsafeRawBufferPointer, from start: Int) -> Int? {
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
        guard end &- start >= shortestHead else { return nil }
        // The minor version is compared apart: the last byte of the little-endian word.
        let versionMask: UInt64 = 0x00FF_FFFF_FFFF_FFFF
        guard ByteSearch.word(base, start) & versionMask == word(http11, at: 0) & versionMask else { return nil }
        let minor = byte(base, start &+ minorVersionIndex)
        guard ByteClass.isDigit(minor) else { return nil }
        head.http10 = minor == UInt8(ascii: "0")
        let afterVersion = start &+ http11.utf8CodeUnitCount
        // `HTTP/1.1 200 OK\r` is two words; its LF follows.
        let okLineLength = http11.utf8CodeUnitCount &+ okStatusEnd.utf8CodeUnitCount
        if end &- start > okLineLength, ByteSearch.word(base, afterVersion) == word(okStatusEnd, at: 0),
           byte(base, start &+ okLineLength) == newline {
            head.statusCode = 200
            return start &+ okLineLength &+ 1
        }
        guard byte(base, afterVersion) == UInt8(ascii: " ") else { return nil }
        let codeStart = afterVersion &+ 1
        var code = 0
        for offset in 0..<statusCodeDigits {
            let digit = byte(base, codeStart &+ offset)
            guard ByteClass.isDigit(digit) else { return nil }
            code = code &* 10 &+ Int(digit &- UInt8(ascii: "0"))
        }
        // Interim responses (1xx) take the byte machine, which skips or refuses them.
        guard code >= 200 else { return nil }
        head.statusCode = code
        var index = codeStart &+ statusCodeDigits
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
            guard ByteClass.isToken(byte) else { return nil }
            index &+= 1
            guard index < end else { return nil }
            byte = self.byte(base, index)
        } while byte != UInt8(ascii: ":")
        guard let newline = ByteSearch.firstIndex(of: newline, in: base, from: index &+ 1, end: end) else { return nil }
        return newline &+ 1
    }

    /// A Content-Length value: optional blanks, up to `maxLengthDigits` digits, optional blanks,
    /// the line end. Returns the index after the LF.
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
        guard index > digitsStart, index &- digitsStart <= maxLengthDigits else { return nil }
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
            guard ByteSearch.word(base, start &+ offset) | letterBits(text, at: offset) == word(text, at: offset) else { return false }
            offset &+= 8
        }
        return ByteSearch.word(base, start &+ length &- 8) | letterBits(text, at: length &- 8) == word(text, at: length &- 8)
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

    /// The byte at `offset`; callers keep `offset` below the input's count.
    @inline(__always)
    private static func byte(_ base: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Eight bytes of a constant from `offset` (folded to an immediate once inlined).
    @inline(__always)
    private static func word(_ text: StaticString, at offset: Int) -> UInt64 {
        ByteSearch.word(UnsafeRawPointer(text.utf8Start), offset)
    }
}
