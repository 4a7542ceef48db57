/// Text being pre-tokenized: pieces are byte ranges into `bytes`, to which steps that change the
/// text (a prefix space, Metaspace's "▁", a materialized byte mapping) append their output.
struct PreTokenizedText {
    struct Piece {
        var start: Int
        var end: Int
        /// The piece begins at offset 0 of the original input (Metaspace's `prepend_scheme: first`).
        var startsInput: Bool
    }

    var bytes: [UInt8] = []
    var pieces: [Piece] = []
    fileprivate var spare: [Piece] = []

    mutating func reset(_ text: UnsafeBufferPointer<UInt8>, startsInput: Bool) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: text)
        pieces.removeAll(keepingCapacity: true)
        if !text.isEmpty { pieces.append(Piece(start: 0, end: text.count, startsInput: startsInput)) }
    }
}

/// How a Split keeps what its pattern matched (`tokenizers`' SplitDelimiterBehavior).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// One step of the `pre_tokenizer` (a Sequence is flattened into its steps).
enum PreTokenizerStep: Sendable {
    /// `addPrefixSpace`: a space before pieces that do not start with one; `useRegex`: split with
    /// GPT-2's pattern. The byte-to-character mapping itself is done here only when a later step
    /// needs to see it; as the last step it is left to the model, which reads bytes.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(TextPattern, behavior: SplitBehavior, invert: Bool)
    case metaspace(replacement: UInt32, prependScheme: PrependScheme, split: Bool)
    case digits(individual: Bool)

    enum PrependScheme: String, Sendable { case first, never, always }

    /// GPT-2's split, which ByteLevel applies when `use_regex` is true.
    static let gpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
    private static let gpt2Regex = try! TextPattern(regex: TokenizerRegex(gpt2Pattern), literal: nil)

    /// When the whole pre-tokenizer is one split by a hand-matched pattern, with the bytes left
    /// to the model (GPT-2's ByteLevel; Llama 3's and Qwen 2's Split then ByteLevel): that
    /// pattern, so the encoder can hand each piece to the model as it is found.
    static func directSplit(_ steps: [PreTokenizerStep]) -> KnownSplitPattern? {
        switch steps.count {
        case 1:
            guard case .byteLevel(addPrefixSpace: false, useRegex: true) = steps[0] else { return nil }
            return gpt2Regex.known
        case 2:
            guard case .split(let pattern, behavior: .isolated, invert: false) = steps[0],
                  case .byteLevel(addPrefixSpace: false, useRegex: false) = steps[1] else { return nil }
            return pattern.known
        default:
            return nil
        }
    }

    static func parse(_ json: JSONValue) throws(TokenizerError) -> [PreTokenizerStep] {
        if json.isNull { return [] }
        guard let type = json["type"]?.stringValue else { throw .invalidFile("a pre_tokenizer without a type") }
        switch type {
        case "Sequence":
            guard let items = json["pretokenizers"]?.arrayValue else { throw .invalidFile("a pre_tokenizer Sequence without 'pretokenizers'") }
            var steps: [PreTokenizerStep] = []
            for item in items { steps += try parse(item) }
            return steps
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: json["add_prefix_space"] != .bool(false), useRegex: json["use_regex"] != .bool(false))]
        case "Split":
            guard let pattern = json["pattern"], let behaviorName = json["behavior"]?.stringValue else {
                throw .invalidFile("Split without 'pattern' and 'behavior'")
            }
            guard let behavior = SplitBehavior(rawValue: behaviorName) else { throw .unsupported(component: "Split behavior", type: behaviorName) }
            return [.split(try TextPattern.parse(pattern), behavior: behavior, invert: json["invert"] == .bool(true))]
        case "Metaspace":
            guard let replacement = json["replacement"]?.stringValue, replacement.unicodeScalars.count == 1 else {
                throw .invalidFile("Metaspace needs a one-character 'replacement'")
            }
            var scheme = PrependScheme.always
            if let name = json["prepend_scheme"]?.stringValue {
                guard let parsed = PrependScheme(rawValue: name) else { throw .unsupported(component: "Metaspace prepend_scheme", type: name) }
                scheme = parsed
            }
            if json["add_prefix_space"] == .bool(false) {
                guard scheme == .never || json["prepend_scheme"] == nil else {
                    throw .invalidFile("Metaspace add_prefix_space does not match declared prepend_scheme")
                }
                scheme = .never
            }
            return [.metaspace(replacement: replacement.unicodeScalars.first!.value, prependScheme: scheme,
                               split: json["split"] != .bool(false))]
        case "Digits":
            return [.digits(individual: json["individual_digits"] == .bool(true))]
        default:
            throw .unsupported(component: "pre_tokenizer", type: type)
        }
    }

    /// Applies the step to every piece. `mapBytes`: materialize the byte-level mapping.
    func apply(to text: inout PreTokenizedText, mapBytes: Bool, scratch: inout RegexScratch) {
        // Reuse the spare list's storage (moved out, so clearing it copies nothing).
        var output: [PreTokenizedText.Piece] = []
        swap(&output, &text.spare)
        output.removeAll(keepingCapacity: true)
        for piece in text.pieces {
            switch self {
            case .byteLevel(let addPrefixSpace, let useRegex):
                var piece = piece
                if addPrefixSpace, text.bytes[piece.start] != 0x20 {
                    let start = text.bytes.count
                    text.bytes.append(0x20)
                    text.bytes.append(contentsOf: text.bytes[piece.start..<piece.end])
                    piece = PreTokenizedText.Piece(start: start, end: text.bytes.count, startsInput: piece.startsInput)
                }
                var pieces: [PreTokenizedText.Piece] = []
                if useRegex {
                    Self.split(piece, in: text.bytes, pattern: Self.gpt2Regex, behavior: .isolated, invert: false, into: &pieces, scratch: &scratch)
                } else {
                    pieces.append(piece)
                }
                for piece in pieces {
                    guard mapBytes else {
                        output.append(piece)
                        continue
                    }
                    let start = text.bytes.count
                    var mapped: [UInt8] = []
                    ByteLevelAlphabet.mapped(text.bytes[piece.start..<piece.end], into: &mapped)
                    text.bytes += mapped
                    output.append(PreTokenizedText.Piece(start: start, end: text.bytes.count, startsInput: piece.startsInput))
                }
            case .split(let pattern, let behavior, let invert):
                Self.split(piece, in: text.bytes, pattern: pattern, behavior: behavior, invert: invert, into: &output, scratch: &scratch)
            case .metaspace(let replacement, let scheme, let split):
                var replacementBytes: [UInt8] = []
                UTF8Bytes.append(replacement, to: &replacementBytes)
                var rewritten: [UInt8] = []
                for byte in text.bytes[piece.start..<piece.end] {
                    if byte == 0x20 { rewritten += replacementBytes } else { rewritten.append(byte) }
                }
                let startsWithReplacement = rewritten.starts(with: replacementBytes)
                let prepend = switch scheme {
                case .always: !startsWithReplacement
                case .first: !startsWithReplacement && piece.startsInput
                case .never: false
                }
                let start = text.bytes.count
                if prepend { text.bytes += replacementBytes }
                text.bytes += rewritten
                let whole = PreTokenizedText.Piece(start: start, end: text.bytes.count, startsInput: piece.startsInput)
                if split {
                    let matches = Self.scalarMatches(whole, in: text.bytes) { $0 == replacement }
                    Self.emit(matches, behavior: .mergedWithNext, startsInput: piece.startsInput, origin: start, into: &output)
                } else {
                    output.append(whole)
                }
            case .digits(let individual):
                let table = UnicodeProperties.table
                let matches = Self.scalarMatches(piece, in: text.bytes) { table.mask($0) & UnicodeProperties.number != 0 }
                Self.emit(matches, behavior: individual ? .isolated : .contiguous, startsInput: piece.startsInput,
                          origin: piece.start, into: &output)
            }
        }
        text.spare = text.pieces
        text.pieces = output
    }

    /// A Split of one piece: the pattern's matches and the gaps between them, then the behavior.
    private static func split(_ piece: PreTokenizedText.Piece, in bytes: [UInt8], pattern: TextPattern, behavior: SplitBehavior,
                              invert: Bool, into output: inout [PreTokenizedText.Piece], scratch: inout RegexScratch) {
        var matches: [(start: Int, end: Int, isMatch: Bool)] = []
        var previous = piece.start
        bytes.withUnsafeBufferPointer { buffer in
            pattern.forEachMatch(in: UnsafeBufferPointer(rebasing: buffer[piece.start..<piece.end]), scratch: &scratch) { start, end in
                let start = start + piece.start
                let end = end + piece.start
                if previous != start { matches.append((previous, start, invert)) }
                matches.append((start, end, !invert))
                previous = end
            }
        }
        if previous != piece.end { matches.append((previous, piece.end, invert)) }
        emit(matches, behavior: behavior, startsInput: piece.startsInput, origin: piece.start, into: &output)
    }

    /// Each matching scalar is a match of its own (`tokenizers`' pattern over a char predicate).
    private static func scalarMatches(_ piece: PreTokenizedText.Piece, in bytes: [UInt8],
                                      _ predicate: (UInt32) -> Bool) -> [(start: Int, end: Int, isMatch: Bool)] {
        var matches: [(start: Int, end: Int, isMatch: Bool)] = []
        var gapStart = piece.start
        bytes.withUnsafeBufferPointer { buffer in
            var index = piece.start
            while index < piece.end {
                let (scalar, length) = UTF8Bytes.scalar(in: buffer, at: index)
                if predicate(scalar) {
                    if gapStart < index { matches.append((gapStart, index, false)) }
                    matches.append((index, index + length, true))
                    gapStart = index + length
                }
                index += length
            }
        }
        if gapStart < piece.end { matches.append((gapStart, piece.end, false)) }
        return matches
    }

    /// `NormalizedString::split`: fold the matches by behavior, drop removed and empty pieces.
    private static func emit(_ matches: [(start: Int, end: Int, isMatch: Bool)], behavior: SplitBehavior, startsInput: Bool,
                             origin: Int, into output: inout [PreTokenizedText.Piece]) {
        var splits: [(start: Int, end: Int, remove: Bool)] = []
        switch behavior {
        case .isolated:
            splits = matches.map { ($0.start, $0.end, false) }
        case .removed:
            splits = matches.map { ($0.start, $0.end, $0.isMatch) }
        case .contiguous:
            var previousMatch = false
            for match in matches {
                if match.isMatch == previousMatch, !splits.isEmpty {
                    splits[splits.count - 1].end = match.end
                } else {
                    splits.append((match.start, match.end, false))
                }
                previousMatch = match.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for match in matches {
                if match.isMatch && !previousMatch, !splits.isEmpty {
                    splits[splits.count - 1].end = match.end
                } else {
                    splits.append((match.start, match.end, false))
                }
                previousMatch = match.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for match in matches.reversed() {
                if match.isMatch && !previousMatch, !splits.isEmpty {
                    splits[splits.count - 1].start = match.start
                } else {
                    splits.append((match.start, match.end, false))
                }
                previousMatch = match.isMatch
            }
            splits.reverse()
        }
        for split in splits where !split.remove && split.end > split.start {
            output.append(PreTokenizedText.Piece(start: split.start, end: split.end, startsInput: startsInput && split.start == origin))
        }
    }
}
