import Testing
@testable import Loadgen

/// The hand matcher of GPT-2's, Llama 3's and Qwen 2's split patterns cuts every text where the
/// regex machine (itself checked against tokenizers' vectors) cuts it.
@Suite("Known split patterns")
struct KnownSplitPatternTests {
    static let patterns = [KnownSplitPattern.gpt2Pattern, KnownSplitPattern.llama3Pattern, KnownSplitPattern.qwen2Pattern]

    /// Scalars at every boundary the patterns draw: white space of several kinds (with "\r", "\n"
    /// and U+0085), the contraction letters in both cases and their (?i) variants (ſ, K), letters
    /// and numbers beyond ASCII, a combining mark (neither letter nor number), symbols, emoji.
    static let palette: [String] = [" ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}",
                                    "'", "’", "s", "S", "ſ", "t", "T", "re", "RE", "rE", "ve", "Ve", "m", "M", "ll", "lL", "d", "D", "K", "\u{212A}",
                                    "e", "l", "r", "v", "a", "word", "é", "ß", "한", "日本", "ω", "\u{301}", "0", "12", "345678", "٢", "½", "Ⅷ", "²",
                                    "!", ".", "(", "\"", "/", "-", "_", "🚀", "\u{200D}", "\u{FEFF}", "\u{1C}"]

    static func pieces(_ pattern: TextPattern, _ text: String) -> [String] {
        var scratch = RegexScratch()
        var pieces: [String] = []
        let bytes = Array(text.utf8)
        pattern.forEachMatch(in: bytes, scratch: &scratch) { start, end in
            pieces.append(String(decoding: bytes[start..<end], as: UTF8.self))
        }
        return pieces
    }

    @Test("the three patterns are recognized, and others are left to the regex")
    func recognition() throws {
        for pattern in Self.patterns { #expect(KnownSplitPattern(pattern: pattern) != nil, "\(pattern)") }
        #expect(KnownSplitPattern(pattern: #"\p{N}{1,3}"#) == nil)
        let withCharacters = KnownSplitPattern.llama3Pattern.replacing(#"\r\n"#, with: "\r\n")
        #expect(KnownSplitPattern(pattern: withCharacters) == KnownSplitPattern(pattern: KnownSplitPattern.llama3Pattern))
        #expect(try TextPattern(regex: TokenizerRegex(KnownSplitPattern.gpt2Pattern), literal: nil).known != nil)
        #expect(try TextPattern(regex: TokenizerRegex(KnownSplitPattern.gpt2Pattern), literal: nil, handMatched: false).known == nil)
    }

    @Test("pieces equal the regex's on every tokenizer vector string", arguments: patterns)
    func vectorStrings(pattern: String) throws {
        let fast = try TextPattern(regex: TokenizerRegex(pattern), literal: nil)
        let slow = try TextPattern(regex: TokenizerRegex(pattern), literal: nil, handMatched: false)
        #expect(fast.known != nil)
        var mismatches = 0
        for text in TokenizerFixtures.strings {
            let want = Self.pieces(slow, text)
            let got = Self.pieces(fast, text)
            if got != want {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(text.debugDescription): got \(got), want \(want)") }
            }
        }
        #expect(TokenizerFixtures.strings.count >= 10_000)
        #expect(mismatches == 0)
    }

    @Test("pieces equal the regex's on 20,000 texts drawn from the boundary scalars", arguments: patterns)
    func generatedStrings(pattern: String) throws {
        let fast = try TextPattern(regex: TokenizerRegex(pattern), literal: nil)
        let slow = try TextPattern(regex: TokenizerRegex(pattern), literal: nil, handMatched: false)
        var generator = SeededGenerator(seed: 17)
        var mismatches = 0
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<Int(generator.next() % 12) { text += Self.palette[Int(generator.next() % UInt64(Self.palette.count))] }
            let want = Self.pieces(slow, text)
            let got = Self.pieces(fast, text)
            if got != want {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(text.debugDescription): got \(got), want \(want)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("Llama 3's pieces, by hand: (?i) contractions, a symbol before a word, digits in threes, newlines")
    func llama3ByHand() throws {
        let fast = try TextPattern(regex: TokenizerRegex(KnownSplitPattern.llama3Pattern), literal: nil)
        #expect(Self.pieces(fast, "IT'S it'ſ (ok x(y 12345  \n\n  x!!\n")
                == ["IT", "'S", " it", "'ſ", " (", "ok", " x", "(y", " ", "123", "45", "  \n\n", " ", " x", "!!\n"])
    }
}
