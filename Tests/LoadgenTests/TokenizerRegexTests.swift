import Testing
@testable import Loadgen

/// The split-pattern machine matches as Oniguruma does; NFC is tokenizers' (Unicode 9.0) NFC.
@Suite("Tokenizer patterns and normalization")
struct TokenizerRegexTests {
    /// The pieces a Split with Isolated behavior makes of `text`.
    static func pieces(_ pattern: String, _ text: String) throws -> [String] {
        let regex = try TokenizerRegex(pattern)
        let scalars = text.unicodeScalars.map(\.value)
        var stack: [TokenizerRegex.BacktrackEntry] = []
        var matches: [String] = []
        scalars.withUnsafeBufferPointer { buffer in
            regex.forEachMatch(in: buffer, stack: &stack) { start, end in
                matches.append(String(String.UnicodeScalarView(scalars[start..<end].compactMap(Unicode.Scalar.init))))
            }
        }
        return matches
    }

    @Test("GPT-2's pattern: contractions, an optional space before words, and trailing whitespace held back")
    func gpt2Pattern() throws {
        #expect(try Self.pieces(PreTokenizerStep.gpt2Pattern, "I'm here   now!! 42x\n")
                == ["I", "'m", " here", "  ", " now", "!!", " 42", "x", "\n"])
    }

    @Test("(?i:...) folds case as Oniguruma does: 'S and 'ſ are contractions, 'K is not")
    func caseInsensitiveContractions() throws {
        let llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
        #expect(try Self.pieces(llama3, "IT'S it'ſ OK'K 12345") == ["IT", "'S", " it", "'ſ", " OK", "'K", " ", "123", "45"])
    }

    @Test("alternatives in order, greedy runs giving back, lazy and possessive quantifiers, lookahead")
    func backtracking() throws {
        #expect(try Self.pieces("ab|a", "aab") == ["a", "ab"])
        #expect(try Self.pieces("a+ab", "aaab") == ["aaab"])
        #expect(try Self.pieces("a+?", "aaa") == ["a", "a", "a"])
        #expect(try Self.pieces("a++a", "aaaa") == [])
        #expect(try Self.pieces("x(?=y)", "xxyx") == ["x"])
        #expect(try Self.pieces("\\p{N}{2,3}", "1234567") == ["123", "456"])
        #expect(try Self.pieces("(?:ab){2}", "abababab") == ["abab", "abab"])
    }

    @Test("an empty match right after a match is skipped, as the onig crate's find_iter does")
    func emptyMatches() throws {
        #expect(try Self.pieces("a*", "baab") == ["", "aa", ""])
        // tokenizers: Replace(Regex("x*"), "-") makes "-a-b-c-" of "abc" and leaves "" alone.
        var scratch = RegexScratch()
        let replace = TokenizerNormalizer.replace(TextPattern(regex: try TokenizerRegex("x*"), literal: nil), content: Array("-".utf8))
        #expect(replace.normalize(Array("abc".utf8), scratch: &scratch) == Array("-a-b-c-".utf8))
        #expect(replace.normalize([], scratch: &scratch) == [])
    }

    @Test("classes: ranges, escapes, negation, \\p{...} categories and scripts")
    func classes() throws {
        #expect(try Self.pieces("[一-龥぀-ゟ゠-ヿ]+", "ab中文かなカナ한글") == ["中文かなカナ"])
        #expect(try Self.pieces("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+", "x.join a-b") == [".join", "-b"])
        #expect(try Self.pieces("[^\\s\\p{L}]+", "a1 2é€") == ["1", "2", "€"])
        #expect(try Self.pieces("\\p{Han}+", "漢字とかな") == ["漢字"])
        #expect(try Self.pieces("\\x{41}\\u0042", "ABAB") == ["AB", "AB"])
    }

    @Test("NFC composes, reorders marks and handles Hangul; marks newer than Unicode 9.0 keep class 0")
    func nfc() {
        func nfc(_ text: String) -> String { String(decoding: UnicodeNormalization.nfc(Array(text.utf8)), as: UTF8.self) }
        #expect(nfc("e\u{301}").unicodeScalars.map(\.value) == [0xE9])
        #expect(nfc("\u{1E0B}\u{323}").unicodeScalars.map(\.value) == [0x1E0D, 0x307])
        #expect(nfc("\u{1100}\u{1161}\u{11A8}").unicodeScalars.map(\.value) == [0xAC01])
        #expect(nfc("\u{212B}").unicodeScalars.map(\.value) == [0xC5])
        // U+08D3 (Unicode 11) is a mark of class 220 today; tokenizers' NFC does not reorder it.
        #expect(nfc("a\u{301}\u{8D3}").unicodeScalars.map(\.value) == [0xE1, 0x8D3])
        #expect(nfc("plain ascii") == "plain ascii")
    }
}
