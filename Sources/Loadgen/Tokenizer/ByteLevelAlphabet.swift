/// GPT-2's map from bytes to printable characters, which byte-level vocabularies are written in:
/// the printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onward in byte
/// order (so a space is "Ġ", U+0120, and a newline "Ċ", U+010A).
enum ByteLevelAlphabet {
    /// The character for each byte, as a scalar.
    static let characters: [UInt32] = {
        var characters = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                characters[byte] = UInt32(byte)
            } else {
                characters[byte] = next
                next += 1
            }
        }
        return characters
    }()

    /// The character for each byte, as UTF-8.
    static let characterBytes: [[UInt8]] = characters.map { scalar in
        var bytes: [UInt8] = []
        UTF8Bytes.append(scalar, to: &bytes)
        return bytes
    }

    /// Byte for each character scalar below U+0144 (-1: not in the alphabet).
    static let byteOfCharacter: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in characters.enumerated() { table[Int(scalar)] = Int16(byte) }
        return table
    }()

    /// The bytes a mapped token stands for, or nil if a character is outside the alphabet.
    static func bytes(ofMapped token: [UInt8]) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.count)
        for scalar in UTF8Bytes.scalars(of: token) {
            guard scalar < 0x144, byteOfCharacter[Int(scalar)] >= 0 else { return nil }
            bytes.append(UInt8(byteOfCharacter[Int(scalar)]))
        }
        return bytes
    }

    /// Maps raw bytes to the alphabet's characters, as UTF-8.
    static func mapped(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        for byte in bytes { output += characterBytes[Int(byte)] }
    }
}
