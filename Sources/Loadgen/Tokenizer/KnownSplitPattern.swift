/// The split patterns most tokenizer files carry, matched by hand instead of by `TokenizerRegex`:
/// GPT-2's (its ByteLevel pre-tokenizer's `use_regex`) and the cl100k form of Llama 3 (digits in
/// runs of up to three) and Qwen 2 / 3 (one digit at a time). Hugging Face `tokenizers` runs them
/// through Oniguruma; fast tokenizers (tiktoken's Rust core, llama.cpp's pre-tokenizers) match
/// them with a loop like this one.
///
/// Why: the backtracking machine spent about half of tokenizing a ShareGPT file in these
/// patterns (callgrind, bench/datasets.sh). Each piece here is one pass over its scalars with one
/// class lookup each, no backtrack stack and no scalar array.
///
/// Exactness: every alternative is decided in the order the regex tries it, with the same
/// classes (`UnicodeProperties`: Oniguruma's `\s`, `\p{L}`, `\p{N}`; `CaseFolding` for `(?i)`), and
/// the backtracking the regex would do is computed directly (the comments say which). Both kinds
/// of pattern match at every position, so the matches tile the text and `pieceEnd` is all a
/// splitter needs. Tests compare the pieces with `TokenizerRegex`'s on the tokenizer vectors'
/// strings and on generated text; any other pattern keeps the regex.
struct KnownSplitPattern: Sendable, Equatable {
    enum Family: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        case cl100k(maximumDigits: Int)
    }

    let family: Family
    /// Per ASCII scalar: its `Kind` (the property table is read only beyond ASCII).
    private let asciiKinds: [Kind]
    /// Per ASCII scalar: the contraction letter `(?i)` matches it as (0: none).
    private let asciiFolds: [UInt8]
    /// Non-ASCII scalars `(?i)` matches as one of the contraction letters, with that letter.
    private let foldedLetters: [(scalar: UInt32, letter: UInt8)]

    static func == (lhs: KnownSplitPattern, rhs: KnownSplitPattern) -> Bool { lhs.family == rhs.family }

    /// The four classes the patterns tell apart; no scalar is in two of them.
    enum Kind: UInt8, Sendable {
        case other, space, letter, number
    }

    static let gpt2Pattern = PreTokenizerStep.gpt2Pattern
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The hand matcher for `pattern`, or nil when it is not one of these (exact text; a file
    /// may write `\r` and `\n` as the characters themselves, which means the same).
    init?(pattern: String) {
        var spelled = ""
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "\r": spelled += "\\r"
            case "\n": spelled += "\\n"
            default: spelled.unicodeScalars.append(scalar)
            }
        }
        switch spelled {
        case Self.gpt2Pattern: family = .gpt2
        case Self.llama3Pattern: family = .cl100k(maximumDigits: 3)
        case Self.qwen2Pattern: family = .cl100k(maximumDigits: 1)
        default: return nil
        }
        let table = UnicodeProperties.table
        asciiKinds = (UInt32(0)..<128).map { Self.kind(mask: table.mask($0)) }
        var folds = [UInt8](repeating: 0, count: 128)
        var folded: [(scalar: UInt32, letter: UInt8)] = []
        if case .cl100k = family {
            // As the regex compiles `(?i)s`: the letter and every scalar of a folding class with it.
            for letter in "strevmld".utf8 {
                folds[Int(letter)] = letter
                for group in CaseFolding.classes where group.contains(UInt32(letter)) {
                    for scalar in group {
                        if scalar < 128 { folds[Int(scalar)] = letter } else { folded.append((scalar, letter)) }
                    }
                }
            }
        }
        asciiFolds = folds
        foldedLetters = folded
    }

    private static func kind(mask: UnicodeProperties.Mask) -> Kind {
        if mask & UnicodeProperties.whiteSpace != 0 { return .space }
        if mask & UnicodeProperties.letter != 0 { return .letter }
        if mask & UnicodeProperties.number != 0 { return .number }
        return .other
    }

    /// The end of the piece that starts at byte `start` of `text` (valid UTF-8, `start` at a
    /// scalar boundary and before the end): the end of the pattern's match there.
    func pieceEnd(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        asciiKinds.withUnsafeBufferPointer { kinds in
            let reader = Reader(text: text, kinds: kinds)
            switch family {
            case .gpt2: return gpt2End(reader, start)
            case .cl100k(let maximumDigits): return cl100kEnd(reader, start, maximumDigits: maximumDigits)
            }
        }
    }

    private struct Reader {
        let text: UnsafeBufferPointer<UInt8>
        let kinds: UnsafeBufferPointer<Kind>

        var count: Int { text.count }

        /// The kind of the scalar at `index` and its length in bytes.
        @inline(__always)
        func kind(at index: Int) -> (kind: Kind, length: Int) {
            let byte = text[index]
            if byte < 0x80 { return (kinds[Int(byte)], 1) }
            let (scalar, length) = UTF8Bytes.scalar(in: text, at: index)
            return (KnownSplitPattern.kind(mask: UnicodeProperties.table.mask(scalar)), length)
        }

        /// The end of the run of `kind` scalars from `index` (`limit`: at most that many scalars).
        @inline(__always)
        func runEnd(from index: Int, of kind: Kind, limit: Int = .max) -> Int {
            var index = index
            var taken = 0
            while index < count, taken < limit {
                let (next, length) = self.kind(at: index)
                guard next == kind else { break }
                index += length
                taken += 1
            }
            return index
        }

        /// The white-space run from `index`: its end, where its last scalar starts, how many
        /// scalars it has (up to 2), and the end of its last "\r" or "\n" (nil: none).
        @inline(__always)
        func spaceRun(from index: Int) -> (end: Int, lastStart: Int, scalars: Int, newlineEnd: Int?) {
            var index = index
            var lastStart = index
            var scalars = 0
            var newlineEnd: Int?
            while index < count {
                let (next, length) = kind(at: index)
                guard next == .space else { break }
                if text[index] == 0x0A || text[index] == 0x0D { newlineEnd = index + 1 }
                lastStart = index
                index += length
                scalars = min(scalars + 1, 2)
            }
            return (index, lastStart, scalars, newlineEnd)
        }
    }

    private static let apostrophe = UInt8(ascii: "'")
    private static let space = UInt8(ascii: " ")

    /// `\s+(?!\S)|\s+` at `start`, a white-space scalar: the whole run at the end of the text,
    /// else the run less its last scalar (which then begins the next piece, as " word"), unless
    /// that leaves nothing; then the run (`\s+`).
    @inline(__always)
    private func spaceEnd(_ run: (end: Int, lastStart: Int, scalars: Int, newlineEnd: Int?), count: Int) -> Int {
        if run.end == count || run.scalars < 2 { return run.end }
        return run.lastStart
    }

    private func gpt2End(_ reader: Reader, _ start: Int) -> Int {
        let text = reader.text
        let count = text.count
        let first = text[start]
        // 's|'t|'re|'ve|'m|'ll|'d, case-sensitive.
        if first == Self.apostrophe, start + 1 < count {
            switch text[start + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return start + 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if start + 2 < count, text[start + 2] == UInt8(ascii: "e") { return start + 3 }
            case UInt8(ascii: "l"):
                if start + 2 < count, text[start + 2] == UInt8(ascii: "l") { return start + 3 }
            default: break
            }
        }
        //  ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+: a space is taken when a run of one class follows it.
        if first == Self.space, start + 1 < count {
            let (next, _) = reader.kind(at: start + 1)
            if next != .space { return reader.runEnd(from: start + 1, of: next) }
        }
        let (kind, _) = reader.kind(at: start)
        if kind != .space { return reader.runEnd(from: start, of: kind) }
        return spaceEnd(reader.spaceRun(from: start), count: count)
    }

    private func cl100kEnd(_ reader: Reader, _ start: Int, maximumDigits: Int) -> Int {
        let text = reader.text
        let count = text.count
        let first = text[start]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if first == Self.apostrophe, start + 1 < count, let end = contractionEnd(text, after: start + 1) { return end }
        let (kind, length) = reader.kind(at: start)
        // [^\r\n\p{L}\p{N}]?\p{L}+: the optional scalar is taken when a letter follows it.
        if kind == .letter { return reader.runEnd(from: start, of: .letter) }
        if kind != .number, first != 0x0A, first != 0x0D, start + length < count, reader.kind(at: start + length).kind == .letter {
            return reader.runEnd(from: start + length, of: .letter)
        }
        // \p{N}{1,N}
        if kind == .number { return reader.runEnd(from: start, of: .number, limit: maximumDigits) }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var symbols = start
        if first == Self.space, start + 1 < count, reader.kind(at: start + 1).kind == .other { symbols = start + 1 }
        if symbols > start || kind == .other {
            var end = reader.runEnd(from: symbols, of: .other)
            while end < count, text[end] == 0x0A || text[end] == 0x0D { end += 1 }
            return end
        }
        // Only white space is left. \s*[\r\n]+: `\s*` gives back scalars until a "\r" or "\n"
        // follows, so the match ends after the run's last one.
        let run = reader.spaceRun(from: start)
        if let newlineEnd = run.newlineEnd { return newlineEnd }
        return spaceEnd(run, count: count)
    }

    /// After an apostrophe at `index - 1`: the end of "s", "t", "re", "ve", "m", "ll" or "d" in
    /// any case `(?i)` allows, or nil.
    private func contractionEnd(_ text: UnsafeBufferPointer<UInt8>, after index: Int) -> Int? {
        guard let (letter, length) = foldedLetter(text, at: index) else { return nil }
        switch letter {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return index + length
        case UInt8(ascii: "r"), UInt8(ascii: "v"), UInt8(ascii: "l"):
            let second = index + length
            guard second < text.count, let (next, nextLength) = foldedLetter(text, at: second),
                  next == (letter == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")) else { return nil }
            return second + nextLength
        default: return nil
        }
    }

    /// The lower-case ASCII letter the scalar at `index` matches under `(?i)`, with its length.
    @inline(__always)
    private func foldedLetter(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt8, Int)? {
        let byte = text[index]
        if byte < 0x80 {
            let letter = asciiFolds[Int(byte)]
            return letter != 0 ? (letter, 1) : nil
        }
        let (scalar, length) = UTF8Bytes.scalar(in: text, at: index)
        for entry in foldedLetters where entry.scalar == scalar { return (entry.letter, length) }
        return nil
    }
}
