import Glibc

/// A pull reader over JSON bytes for the files a workload is loaded from (ShareGPT, JSONL, traces):
/// the caller walks objects and arrays, decodes the members it wants and skips the rest, so no
/// tree is built. `JSONParser` builds one for every value, which for a 100,000-conversation
/// ShareGPT file is millions of strings and arrays nobody reads (see bench/datasets.sh).
///
/// Strict where it matters for a correct reading (strings, escapes, numbers, commas, nesting),
/// with the byte offset of any error so the loader can name the line. It reads from memory the
/// caller keeps alive (`withUnsafeBytes` over the file's bytes).
struct JSONCursor {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private let end: Int
    /// Nesting allowed in skipped values, so a hostile file cannot exhaust anything.
    static let maximumDepth = 512

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        position = start
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool {
        mutating get {
            skipSpace()
            return position >= end
        }
    }

    func fail(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }

    @inline(__always)
    mutating func skipSpace() {
        while position < end {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    /// The next byte after white space, not consumed.
    mutating func peek() -> UInt8? {
        skipSpace()
        return position < end ? bytes[position] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard peek() == byte else { throw fail("expected \(what)") }
        position += 1
    }

    /// What kind of value comes next, for messages ("a string", "an object").
    mutating func nextKind() -> String {
        switch peek() {
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        case nil: "the end"
        default: "a number"
        }
    }

    // MARK: Objects and arrays

    /// Enters an object: then `nextKey` until it returns nil.
    mutating func beginObject() throws(Failure) { try expect(UInt8(ascii: "{"), "an object") }

    /// The next member's name (the cursor then stands at its value), or nil at the object's end.
    /// `first` is true for the first call after `beginObject`.
    mutating func nextKey(first: inout Bool) throws(Failure) -> String? {
        if peek() == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first { try expect(UInt8(ascii: ","), "',' or '}' after an object member") }
        first = false
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a member name") }
        let key = try string()
        try expect(UInt8(ascii: ":"), "':' after a member name")
        return key
    }

    mutating func beginArray() throws(Failure) { try expect(UInt8(ascii: "["), "an array") }

    /// True if another element follows (the cursor then stands at it), false at the array's end.
    mutating func nextElement(first: inout Bool) throws(Failure) -> Bool {
        if peek() == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first { try expect(UInt8(ascii: ","), "',' or ']' after an array element") }
        first = false
        guard peek() != nil else { throw fail("unexpected end inside an array") }
        return true
    }

    // MARK: Values

    /// True for `null` (consumed), false otherwise (nothing consumed).
    mutating func skipNull() -> Bool {
        guard peek() == UInt8(ascii: "n"), matches("null") else { return false }
        position += 4
        return true
    }

    private func matches(_ word: StaticString) -> Bool {
        guard position + word.utf8CodeUnitCount <= end else { return false }
        for index in 0..<word.utf8CodeUnitCount where bytes[position + index] != word.utf8Start[index] { return false }
        return true
    }

    /// The first offset from `start` that holds a quote, a backslash or a control byte (or the
    /// end): string text between them needs no decoding. Eight bytes at a time, as a dataset is
    /// mostly string text (a byte-at-a-time scan was a tenth of preparing a ShareGPT file).
    @inline(__always)
    func plainRunEnd(from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= end {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // A byte of x is zero (or, for x - 0x20, below 0x20) where this sets its high bit;
            // borrows can only mark bytes after a real one, and the byte loop below finds that.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & highs != 0 { break }
            index += 8
        }
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return index
    }

    /// A string value, unescaped. Strings without escapes (almost all) are one copy.
    mutating func string() throws(Failure) -> String {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        let start = position + 1
        var scan = start
        while scan < end {
            scan = plainRunEnd(from: scan)
            guard scan < end else { break }
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                position = scan + 1
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<scan]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 {
                position = scan
                throw fail("a control character inside a string")
            }
            scan += 1
        }
        guard scan < end else {
            position = start - 1
            throw fail("a string that never ends")
        }
        return try escapedString(start: start, escapeAt: scan)
    }

    private mutating func escapedString(start: Int, escapeAt firstEscape: Int) throws(Failure) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(firstEscape - start + 64)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<firstEscape]))
        position = firstEscape
        while position < end {
            // The run up to the next quote or backslash is copied whole: escapes are a few bytes
            // in hundreds (line breaks, quotes), and a byte-at-a-time append costs a uniqueness
            // check per byte.
            let scan = plainRunEnd(from: position)
            if scan < end, bytes[scan] < 0x20 {
                position = scan
                throw fail("a control character inside a string")
            }
            if scan > position {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<scan]))
                position = scan
            }
            guard position < end else { break }
            if bytes[position] == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard position + 1 < end else { break }
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low one; alone it is U+FFFD.
                    if position + 1 < end, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        scalar = low >= 0xDC00 && low < 0xE000 ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                UTF8Bytes.append(scalar, to: &out)
            default:
                position -= 2
                throw fail("an unknown escape in a string")
            }
        }
        throw fail("a string that never ends")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard position + 4 <= end else { throw fail("a \\u escape without four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape without four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// A number value (JSON's grammar, checked), as a Double.
    mutating func number() throws(Failure) -> Double {
        skipSpace()
        let start = position
        if position < end, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        var integer: UInt64 = 0
        var simple = true
        while position < end, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            if position - integerStart >= 18 { simple = false }
            integer = integer &* 10 &+ UInt64(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        guard position > integerStart else {
            position = start
            throw fail("expected a number")
        }
        guard bytes[integerStart] != UInt8(ascii: "0") || position == integerStart + 1 else {
            position = start
            throw fail("a number with a leading zero")
        }
        if position < end, bytes[position] == UInt8(ascii: ".") {
            simple = false
            position += 1
            let fraction = position
            while position < end, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
            guard position > fraction else { throw fail("a number with no digits after '.'") }
        }
        if position < end, bytes[position] | 0x20 == UInt8(ascii: "e") {
            simple = false
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            let exponent = position
            while position < end, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
            guard position > exponent else { throw fail("a number with no digits in its exponent") }
        }
        if simple {
            let value = Double(integer)
            return bytes[start] == UInt8(ascii: "-") ? -value : value
        }
        // Rare (fractions, exponents, huge integers): strtod on a terminated copy.
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
        var copy = [CChar](repeating: 0, count: text.count + 1)
        for (index, byte) in text.enumerated() { copy[index] = CChar(bitPattern: byte) }
        return strtod(copy, nil)
    }

    /// A non-negative whole number no larger than `maximum`, or a failure saying what it must be.
    mutating func count(maximum: Int, _ what: String) throws(Failure) -> Int {
        let start = position
        let value: Double
        do { value = try number() } catch {
            position = start
            throw fail("\(what) must be a whole number, got \(nextKind())")
        }
        guard value >= 0, value <= Double(maximum), value.rounded() == value else {
            position = start
            throw fail("\(what) must be a whole number from 0 to \(maximum)")
        }
        return Int(value)
    }

    /// Skips one value of any kind.
    mutating func skipValue(depth: Int = 0) throws(Failure) {
        switch peek() {
        case UInt8(ascii: "{"):
            guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth)") }
            try beginObject()
            var first = true
            while try nextKey(first: &first) != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth)") }
            try beginArray()
            var first = true
            while try nextElement(first: &first) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case nil: throw fail("unexpected end")
        default: _ = try number()
        }
    }

    /// Skips a string value, checking its escapes only as far as finding its end.
    mutating func skipStringValue() throws(Failure) {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        try skipString()
    }

    private mutating func skipString() throws(Failure) {
        position += 1
        while position < end {
            position = plainRunEnd(from: position)
            guard position < end else { break }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return
            }
            if byte == UInt8(ascii: "\\") { position += 1 } else if byte < 0x20 { throw fail("a control character inside a string") }
            position += 1
        }
        throw fail("a string that never ends")
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        guard matches(word) else { throw fail("an invalid literal") }
        position += word.utf8CodeUnitCount
    }

    /// The 1-based line of byte `offset`, for error messages (counted only when one is needed).
    func line(at offset: Int) -> Int {
        var line = 1
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A { line += 1 }
        return line
    }
}
