/// Finding bytes in bytes: one byte value, eight bytes at a time (SWAR), for the parser and the
/// usage scanner on the hot path; a byte string in an array for the few places outside it.
/// Public for the reason given at `ByteClass`.
public enum ByteSearch {
    /// The index of the first `byte` in `base[start..<end]`, eight bytes at a time where there are
    /// eight (the loads stay below `end`).
    @inlinable @inline(__always)
    public static func firstIndex(of byte: UInt8, in base: UnsafeRawPointer, from start: Int, end: Int) -> Int? {
        var index = start
        while end &- index >= 8 {
            let hits = matches(of: byte, in: word(base, index))
            if hits != 0 { return index &+ hits.trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < end {
            if base.load(fromByteOffset: index, as: UInt8.self) == byte { return index }
            index &+= 1
        }
        return nil
    }

    /// The index of the last `byte` in `base[0..<end]`, eight bytes at a time where there are eight
    /// (the loads stay below `end`).
    @inlinable @inline(__always)
    public static func lastIndex(of byte: UInt8, in base: UnsafeRawPointer, before end: Int) -> Int? {
        var end = end
        while end >= 8 {
            let hits = matches(of: byte, in: word(base, end - 8))
            if hits != 0 { return end - 8 + (63 - hits.leadingZeroBitCount) / 8 }
            end -= 8
        }
        while end > 0 {
            end -= 1
            if base.load(fromByteOffset: end, as: UInt8.self) == byte { return end }
        }
        return nil
    }

    /// The high bit of each byte of `word` that equals `byte`, every other bit clear. Exact per
    /// byte: no carry crosses from one byte into the next.
    @inlinable @inline(__always)
    static func matches(of byte: UInt8, in word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let difference = word ^ (ones &* UInt64(byte))
        // The high bit of each byte of `nonzero` is set unless that byte of `difference` is 0.
        let nonzero = ((difference & (ones &* 0x7F)) &+ (ones &* 0x7F)) | difference
        return ~nonzero & (ones &* 0x80)
    }

    /// Eight bytes from `offset` as a little-endian word; the caller keeps `offset + 8` in bounds.
    @inlinable @inline(__always)
    public static func word(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The index of the first occurrence of `needle` in `haystack` from `start`, or nil.
    public static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        }
        return nil
    }
}
