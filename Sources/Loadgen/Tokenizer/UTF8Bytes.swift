/// UTF-8 over byte arrays, for the tokenizer's inner loops (no `String` per character).
enum UTF8Bytes {
    /// The scalar starting at `index` and its length in bytes. The bytes must be valid UTF-8
    /// (they come from a `String` or from the tokenizer's own transformations).
    @inline(__always)
    static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        return ((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                | UInt32(bytes[index + 3] & 0x3F), 4)
    }

    /// The length of the UTF-8 sequence led by this byte (1 for continuation bytes, so loops advance).
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    @inline(__always)
    static func append(_ scalar: UInt32, to bytes: inout [UInt8]) {
        if scalar < 0x80 {
            bytes.append(UInt8(scalar))
        } else if scalar < 0x800 {
            bytes.append(UInt8(0xC0 | scalar >> 6))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        } else if scalar < 0x10000 {
            bytes.append(UInt8(0xE0 | scalar >> 12))
            bytes.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        } else {
            bytes.append(UInt8(0xF0 | scalar >> 18))
            bytes.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            bytes.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    static func scalars(of bytes: [UInt8]) -> [UInt32] {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                let (value, length) = scalar(in: buffer, at: index)
                scalars.append(value)
                index += length
            }
        }
        return scalars
    }

    /// Each scalar with the byte offset it starts at.
    static func scalarsWithOffsets(of bytes: [UInt8]) -> [(value: UInt32, offset: Int)] {
        var scalars: [(value: UInt32, offset: Int)] = []
        scalars.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                let (value, length) = scalar(in: buffer, at: index)
                scalars.append((value, index))
                index += length
            }
        }
        return scalars
    }

    /// The length of the valid sequence at `index`, or nil with how many bytes form the invalid one.
    /// The rules are RFC 3629's (no overlongs, surrogates or scalars above U+10FFFF); an invalid
    /// sequence is its maximal valid prefix, at least one byte — Unicode's recommended practice,
    /// which Rust's `String::from_utf8_lossy` (used by `tokenizers`' decoders) follows.
    static func validSequence(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (valid: Bool, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (true, 1) }
        let count = bytes.count
        func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            index + offset < count && (low...high).contains(bytes[index + offset])
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? (true, 2) : (false, 1)
        case 0xE0...0xEF:
            let (low, high): (UInt8, UInt8) = lead == 0xE0 ? (0xA0, 0xBF) : lead == 0xED ? (0x80, 0x9F) : (0x80, 0xBF)
            guard continuation(1, low, high) else { return (false, 1) }
            return continuation(2) ? (true, 3) : (false, 2)
        case 0xF0...0xF4:
            let (low, high): (UInt8, UInt8) = lead == 0xF0 ? (0x90, 0xBF) : lead == 0xF4 ? (0x80, 0x8F) : (0x80, 0xBF)
            guard continuation(1, low, high) else { return (false, 1) }
            guard continuation(2) else { return (false, 2) }
            return continuation(3) ? (true, 4) : (false, 3)
        default:
            return (false, 1)
        }
    }

    static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                let (valid, length) = validSequence(in: buffer, at: index)
                if !valid { return false }
                index += length
            }
            return true
        }
    }

    /// Valid UTF-8 with each invalid sequence replaced by U+FFFD, as `from_utf8_lossy` does.
    static func repaired(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { buffer in
            var output: [UInt8] = []
            output.reserveCapacity(buffer.count)
            var index = 0
            while index < buffer.count {
                if buffer[index] < 0x80 {
                    output.append(buffer[index])
                    index += 1
                    continue
                }
                let (valid, length) = validSequence(in: buffer, at: index)
                if valid {
                    output.append(contentsOf: buffer[index..<(index + length)])
                } else {
                    output.append(contentsOf: replacementCharacter)
                }
                index += length
            }
            return output
        }
    }

    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]
}
