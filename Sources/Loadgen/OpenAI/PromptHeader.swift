/// The start of every unique prompt: a fixed "x", then the run's nonce and the request's number
/// as 14 symbols that alternate between a digit and a lower-case letter ("3a7k2b" then
/// "0a0c5x1q"), then a space: "x3a7k2b0a0c5x1q ". The nonce is written into the templates before the run; the number is patched into
/// the bytes as each request is sent (`RequestNumber`), so every request differs from every other
/// one of the run, and from the requests of earlier runs, in its first token: a prefix cache
/// cannot serve one from another's work.
///
/// Why this alphabet: exact prompts (`ExactPrompts`) must keep exactly N tokens whatever number
/// is patched in, and decimal digits do not (GPT-2's split pattern keeps a run of digits as one
/// piece, whose merges depend on the digits: "1000" and "1234" encode to different counts). A
/// digit next to a letter is a piece boundary in every byte-level split pattern (GPT-2, Llama 3,
/// Qwen 2/3, DeepSeek V3 separate letters from numbers), and a piece of one byte is one token, so
/// the 14 symbols are always 14 tokens there; sentencepiece-style vocabularies (Llama 2, Mistral)
/// split digits and have no digit-letter merges. The fixed "x" comes first because a Metaspace
/// tokenizer (or a prefix space) puts a "▁" before the text, and "▁" merges with some digits and
/// not others ("▁7" but "▁", "0"): the first symbol must never change. The exact prompt builders
/// still check it all: they re-encode each prompt with other values in the header and refuse a
/// tokenizer where the count changes.
enum PromptHeader {
    static let nonceSymbols = 6
    static let numberSymbols = 8
    static let symbols = nonceSymbols + numberSymbols
    /// The fixed first byte, then the nonce's and the number's symbols from these offsets.
    static let lead = UInt8(ascii: "x")
    static let nonceOffset = 1
    static let numberOffset = nonceOffset + nonceSymbols
    /// Bytes before the header's space.
    static let width = numberOffset + numberSymbols
    /// Distinct nonces: 10^3 * 26^3 (the nonce's positions 0-5 are digit, letter, digit...).
    static let nonceValues: UInt64 = 17_576_000
    /// Distinct request numbers before they repeat: 10^4 * 26^4 (positions 6-13).
    static let numberValues: UInt64 = 4_569_760_000

    /// The symbol for `value` (0..<radix) at `position` (0..<symbols): a digit at even positions,
    /// a letter at odd ones.
    @inline(__always)
    static func symbol(_ value: Int, at position: Int) -> UInt8 {
        position & 1 == 0 ? UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value) : UInt8(ascii: "a") &+ UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    static func radix(at position: Int) -> Int { position & 1 == 0 ? 10 : 26 }

    /// Writes `value` in the mixed radix of positions `first..<first + count`, least significant
    /// symbol last (higher digits dropped), into `bytes` from `offset`.
    @inline(__always)
    static func write(_ value: UInt64, positions first: Int, count: Int, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        var rest = value
        for position in stride(from: first + count - 1, through: first, by: -1) {
            let radix = UInt64(radix(at: position))
            bytes[offset + position - first] = symbol(Int(truncatingIfNeeded: rest % radix), at: position)
            rest /= radix
        }
    }

    /// The six symbols of a nonce, as printed and stored with results.
    static func nonceText(_ nonce: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: nonceSymbols)
        bytes.withUnsafeMutableBytes { write(nonce % nonceValues, positions: 0, count: nonceSymbols, into: $0, at: 0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole header of request `number` in a run with `nonce`, with its trailing space.
    static func text(nonce: UInt64, number: UInt64) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: " "), count: width + 1)
        bytes[0] = lead
        bytes.withUnsafeMutableBytes { raw in
            write(nonce % nonceValues, positions: 0, count: nonceSymbols, into: raw, at: nonceOffset)
            write(number % numberValues, positions: nonceSymbols, count: numberSymbols, into: raw, at: numberOffset)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Headers that differ in every symbol, to check that a prompt's token count does not
    /// depend on the header: every digit and every letter at every position, then mixed values.
    static func variants(count: Int) -> [String] {
        var headers: [String] = []
        for index in 0..<count {
            var bytes = [UInt8](repeating: UInt8(ascii: " "), count: width + 1)
            bytes[0] = lead
            var generator = SeededGenerator(seed: UInt64(index))
            for position in 0..<symbols {
                // Variant v < 26: every digit v % 10, every letter the v-th; then random ones.
                let value = index < 26 ? (position & 1 == 0 ? index % 10 : index) : Int(generator.next() % UInt64(radix(at: position)))
                bytes[nonceOffset + position] = symbol(value, at: position)
            }
            headers.append(String(decoding: bytes, as: UTF8.self))
        }
        return headers
    }

    /// A fresh nonce: random unless `seed` fixes it.
    static func nonce(seed: UInt64?) -> UInt64 {
        if let seed { return ExactTokenPrompts.nonce(seed: seed) % nonceValues }
        var generator = SystemRandomNumberGenerator()
        return generator.next() % nonceValues
    }

    /// A nonce derived from `nonce` for the `salt`-th run of a series (sweep levels, bench tests),
    /// so runs with a fixed seed still never share prompts.
    static func derived(_ nonce: UInt64, salt: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: nonce &* 0x9E37_79B9_7F4A_7C15 &+ salt)
        return generator.next() % nonceValues
    }
}
