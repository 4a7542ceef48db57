/// The `normalizer` of a tokenizer file, applied to each stretch of text between added tokens
/// (as `tokenizers` does: a `Prepend` therefore prefixes every such stretch, not only the first).
indirect enum TokenizerNormalizer: Sendable {
    case nfc
    case nfd
    /// Prefixes non-empty text.
    case prepend([UInt8])
    /// Every non-overlapping match, left to right, becomes `content`.
    case replace(TextPattern, content: [UInt8])
    /// Removes leading and/or trailing White_Space.
    case strip(left: Bool, right: Bool)
    case sequence([TokenizerNormalizer])

    static func parse(_ json: JSONValue) throws(TokenizerError) -> TokenizerNormalizer? {
        if json.isNull { return nil }
        guard let type = json["type"]?.stringValue else { throw .invalidFile("a normalizer without a type") }
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "Prepend":
            guard let text = json["prepend"]?.stringValue else { throw .invalidFile("Prepend without 'prepend'") }
            return .prepend(Array(text.utf8))
        case "Replace":
            guard let pattern = json["pattern"], let content = json["content"]?.stringValue else {
                throw .invalidFile("Replace without 'pattern' and 'content'")
            }
            return .replace(try TextPattern.parse(pattern), content: Array(content.utf8))
        case "Strip":
            return .strip(left: json["strip_left"] == .bool(true), right: json["strip_right"] == .bool(true))
        case "Sequence":
            guard let items = json["normalizers"]?.arrayValue else { throw .invalidFile("a normalizer Sequence without 'normalizers'") }
            var normalizers: [TokenizerNormalizer] = []
            for item in items {
                if let normalizer = try parse(item) { normalizers.append(normalizer) }
            }
            return .sequence(normalizers)
        default:
            throw .unsupported(component: "normalizer", type: type)
        }
    }

    func normalize(_ text: [UInt8], scratch: inout RegexScratch) -> [UInt8] {
        switch self {
        case .nfc: return UnicodeNormalization.nfc(text)
        case .nfd: return UnicodeNormalization.nfd(text)
        case .prepend(let prefix): return text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content):
            var output: [UInt8] = []
            output.reserveCapacity(text.count)
            var last = 0
            pattern.forEachMatch(in: text, scratch: &scratch) { start, end in
                output.append(contentsOf: text[last..<start])
                output.append(contentsOf: content)
                last = end
            }
            if last == 0 && output.isEmpty { return text }
            output.append(contentsOf: text[last...])
            return output
        case .strip(let left, let right):
            let decoded = UTF8Bytes.scalarsWithOffsets(of: text)
            let table = UnicodeProperties.table
            var start = 0
            var end = decoded.count
            if left { while start < end, table.mask(decoded[start].value) & UnicodeProperties.whiteSpace != 0 { start += 1 } }
            if right { while end > start, table.mask(decoded[end - 1].value) & UnicodeProperties.whiteSpace != 0 { end -= 1 } }
            let startByte = start < decoded.count ? decoded[start].offset : text.count
            let endByte = end < decoded.count ? decoded[end].offset : text.count
            return Array(text[startByte..<endByte])
        case .sequence(let normalizers):
            var text = text
            for normalizer in normalizers { text = normalizer.normalize(text, scratch: &scratch) }
            return text
        }
    }
}

/// Buffers `TokenizerRegex` reuses across calls: its backtrack stack, and the scalars of the text
/// being matched with the byte offset of each.
struct RegexScratch {
    var stack: [TokenizerRegex.BacktrackEntry] = []
    var scalars: [UInt32] = []
    var offsets: [Int32] = []
}

/// `{"String": ...}` or `{"Regex": ...}`: what Split, Replace (normalizer and decoder) match.
struct TextPattern: Sendable {
    let regex: TokenizerRegex
    /// For a String pattern: its bytes, matched directly.
    let literal: [UInt8]?
    /// For GPT-2's, Llama 3's and Qwen 2's patterns: the same matches found by hand, much faster.
    let known: KnownSplitPattern?

    /// `handMatched: false` keeps the regex even for a known pattern (to compare the two).
    init(regex: TokenizerRegex, literal: [UInt8]?, handMatched: Bool = true) {
        self.regex = regex
        self.literal = literal
        known = handMatched && literal == nil ? KnownSplitPattern(pattern: regex.pattern) : nil
    }

    static func parse(_ json: JSONValue) throws(TokenizerError) -> TextPattern {
        if let text = json["String"]?.stringValue {
            return TextPattern(regex: TokenizerRegex(literal: text.unicodeScalars.map(\.value)), literal: Array(text.utf8))
        }
        if let text = json["Regex"]?.stringValue {
            return TextPattern(regex: try TokenizerRegex(text), literal: nil)
        }
        throw .invalidFile("a pattern that is neither {\"String\": ...} nor {\"Regex\": ...}")
    }

    /// Byte ranges of the matches, left to right (an empty String pattern matches nothing).
    func forEachMatch(in text: [UInt8], scratch: inout RegexScratch, _ body: (Int, Int) -> Void) {
        text.withUnsafeBufferPointer { forEachMatch(in: $0, scratch: &scratch, body) }
    }

    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, scratch: inout RegexScratch, _ body: (Int, Int) -> Void) {
        // tokenizers reports no match at all in empty text, even for a pattern matching nothing.
        guard !text.isEmpty else { return }
        if let literal {
            guard !literal.isEmpty, literal.count <= text.count else { return }
            let first = literal[0]
            var index = 0
            while index + literal.count <= text.count {
                if text[index] == first, text[index..<(index + literal.count)].elementsEqual(literal) {
                    body(index, index + literal.count)
                    index += literal.count
                } else {
                    index += 1
                }
            }
            return
        }
        if let known {
            // Its matches tile the text: each piece ends where the next begins.
            var start = 0
            while start < text.count {
                let end = known.pieceEnd(in: text, from: start)
                body(start, end)
                start = end
            }
            return
        }
        scratch.scalars.removeAll(keepingCapacity: true)
        scratch.offsets.removeAll(keepingCapacity: true)
        var index = 0
        while index < text.count {
            let (value, length) = UTF8Bytes.scalar(in: text, at: index)
            scratch.scalars.append(value)
            scratch.offsets.append(Int32(index))
            index += length
        }
        scratch.offsets.append(Int32(text.count))
        let offsets = scratch.offsets
        var stack = scratch.stack
        scratch.scalars.withUnsafeBufferPointer { scalars in
            regex.forEachMatch(in: scalars, stack: &stack) { start, end in
                body(Int(offsets[start]), Int(offsets[end]))
            }
        }
        scratch.stack = stack
    }
}
