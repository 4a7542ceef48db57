/// The byte classes the parsers and the OpenAI scanners share, each defined once.
///
/// Public only so that Loadgen's scanners inline it: `@inlinable package` bodies were not inlined
/// across the module boundary by Swift 6.3 (a call per byte, measured with callgrind), and HTTPWire
/// is not a product, so nothing outside this package can import it anyway.
public enum ByteClass {
    /// '0' to '9'.
    @inlinable @inline(__always)
    public static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The value of a hexadecimal digit in either case, or nil.
    @inlinable @inline(__always)
    public static func hexValue(_ byte: UInt8) -> Int? {
        if isDigit(byte) { return Int(byte &- UInt8(ascii: "0")) }
        let lower = byte | 0x20
        if lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "f") { return Int(lower &- UInt8(ascii: "a")) + 10 }
        return nil
    }

    /// SP or HT: the blanks of HTTP's optional whitespace (RFC 9110 §5.6.3).
    @inlinable @inline(__always)
    public static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// SP, HT, LF or CR: JSON's insignificant whitespace (RFC 8259 §2).
    @inlinable @inline(__always)
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// An RFC 9110 token character (tchar), the only bytes allowed in a header name.
    @inlinable @inline(__always)
    public static func isToken(_ byte: UInt8) -> Bool { table.utf8Start[Int(byte)] == UInt8(ascii: "t") }

    /// 't' at the index of every token byte, '.' elsewhere. A string literal, so the table is a
    /// constant in the binary, not a lazily made global. (Whitespace is four compares instead:
    /// faster than a lookup in the scanners' loops, by callgrind.)
    @inlinable
    static var table: StaticString {
        ".................................t.ttttt..tt.tt.tttttttttt.......tttttttttttttttttttttttttt...ttttttttttttttttttttttttttttt.t.t................................................................................................................................."
    }
}
