/// The `added_tokens` of a tokenizer file (special tokens and user-added ones), found in text
/// before anything else happens to it, as `tokenizers`' AddedVocabulary does: tokens with
/// `normalized: false` are matched in the raw text first; the text between them is normalized;
/// tokens with `normalized: true` are then matched in that normalized text (in their own
/// normalized form). Matching is leftmost-longest over bytes; `single_word` drops a match inside
/// a word, `lstrip` / `rstrip` swallow the whitespace beside a match.
struct AddedVocabulary: Sendable {
    struct Token: Sendable {
        var content: [UInt8]
        var singleWord: Bool
        var leftStrip: Bool
        var rightStrip: Bool
        var normalized: Bool
        var special: Bool
    }

    /// By id (ids are assigned as tokenizers assigns them: the model's id for a content it knows).
    private(set) var tokens: [UInt32: Token] = [:]
    /// Contents of special tokens: decoding with `skipSpecialTokens` drops tokens with this text.
    private(set) var specialContents: Set<[UInt8]> = []
    /// The normalized content, for `normalized` tokens the normalizer changes (used to match and decode).
    private(set) var normalizedForms: [UInt32: [UInt8]] = [:]
    private var rawMatcher = TokenTrie()
    private var normalizedMatcher = TokenTrie()

    var isEmpty: Bool { tokens.isEmpty }
    var hasNormalizedTokens: Bool { !normalizedMatcher.isEmpty }

    init() {}

    init(json: [JSONValue], model: BPEModel, normalizer: TokenizerNormalizer?) throws(TokenizerError) {
        var contentIDs: [[UInt8]: UInt32] = [:]
        var nextID = UInt32(model.vocabularyCount)
        var scratch = RegexScratch()
        for item in json {
            guard let content = item["content"]?.stringValue else { throw .invalidFile("an added token without 'content'") }
            let token = Token(content: Array(content.utf8), singleWord: item["single_word"] == .bool(true),
                              leftStrip: item["lstrip"] == .bool(true), rightStrip: item["rstrip"] == .bool(true),
                              normalized: item["normalized"] != .bool(false), special: item["special"] == .bool(true))
            if token.content.isEmpty { continue }
            let id: UInt32
            if let known = contentIDs[token.content] ?? model.vocabulary[token.content] {
                id = known
            } else {
                id = nextID
                nextID += 1
            }
            if token.normalized, let normalizer {
                let normalized = normalizer.normalize(token.content, scratch: &scratch)
                if normalized != token.content { normalizedForms[id] = normalized } else { normalizedForms[id] = nil }
            }
            contentIDs[token.content] = id
            if token.special { specialContents.insert(token.content) }
            tokens[id] = token
        }
        for (id, token) in tokens {
            if token.normalized {
                normalizedMatcher.insert(normalizedForms[id] ?? token.content, id: id)
            } else {
                rawMatcher.insert(token.content, id: id)
            }
        }
    }

    /// The text an id decodes from, if it is an added token.
    func decodingForm(_ id: UInt32) -> [UInt8]? {
        guard let token = tokens[id] else { return nil }
        return normalizedForms[id] ?? token.content
    }

    enum Segment {
        case token(UInt32)
        case text(Range<Int>)
    }

    /// Splits raw text on the non-normalized tokens.
    func splitRaw(_ text: UnsafeBufferPointer<UInt8>, into segments: inout [Segment]) {
        split(text, matcher: rawMatcher, into: &segments)
    }

    /// Splits normalized text on the normalized tokens.
    func splitNormalized(_ text: UnsafeBufferPointer<UInt8>, into segments: inout [Segment]) {
        split(text, matcher: normalizedMatcher, into: &segments)
    }

    /// `AddedVocabulary::find_matches`: every leftmost-longest match, filtered and widened by the
    /// token's options, with the text between matches as text segments (empty ones dropped).
    private func split(_ buffer: UnsafeBufferPointer<UInt8>, matcher: TokenTrie, into segments: inout [Segment]) {
        segments.removeAll(keepingCapacity: true)
        guard !matcher.isEmpty else {
            if !buffer.isEmpty { segments.append(.text(0..<buffer.count)) }
            return
        }
        var startOffset = 0
        do {
            matcher.forEachLeftmostLongest(in: buffer) { matchStart, matchEnd, id in
                guard let token = tokens[id] else { return }
                var start = matchStart
                var stop = matchEnd
                if token.singleWord {
                    let wordBefore = start > 0 && Self.isWord(lastScalarBefore: start, in: buffer)
                    let wordAfter = stop < buffer.count && Self.isWord(scalarAt: stop, in: buffer)
                    if wordBefore || wordAfter { return }
                }
                if token.leftStrip {
                    start = max(Self.whitespaceRunStart(endingAt: start, in: buffer), startOffset)
                }
                if token.rightStrip {
                    stop = Self.whitespaceRunEnd(startingAt: stop, in: buffer)
                }
                if startOffset < start { segments.append(.text(startOffset..<start)) }
                segments.append(.token(id))
                startOffset = stop
            }
        }
        if startOffset < buffer.count { segments.append(.text(startOffset..<buffer.count)) }
    }

    private static func isWord(scalarAt index: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        let (scalar, _) = UTF8Bytes.scalar(in: buffer, at: index)
        return UnicodeProperties.table.mask(scalar) & UnicodeProperties.word != 0
    }

    private static func isWord(lastScalarBefore index: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = index - 1
        while start > 0, buffer[start] & 0xC0 == 0x80 { start -= 1 }
        return isWord(scalarAt: start, in: buffer)
    }

    private static func isWhiteSpace(_ scalar: UInt32) -> Bool {
        UnicodeProperties.table.mask(scalar) & UnicodeProperties.whiteSpace != 0
    }

    /// Where the run of whitespace that ends at `end` begins (`\s*$` on the text before).
    private static func whitespaceRunStart(endingAt end: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end
        while start > 0 {
            var lead = start - 1
            while lead > 0, buffer[lead] & 0xC0 == 0x80 { lead -= 1 }
            guard isWhiteSpace(UTF8Bytes.scalar(in: buffer, at: lead).value) else { break }
            start = lead
        }
        return start
    }

    /// Where the run of whitespace that starts at `start` ends (`^\s*` on the text after).
    private static func whitespaceRunEnd(startingAt start: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
        var end = start
        while end < buffer.count {
            let (scalar, length) = UTF8Bytes.scalar(in: buffer, at: end)
            guard isWhiteSpace(scalar) else { break }
            end += length
        }
        return end
    }
}

/// A byte trie of token contents for leftmost-longest search. A 256-bit map of first bytes lets
/// the search skip positions no token can start at, which is almost every byte of ordinary text.
struct TokenTrie: Sendable {
    private var edges: [UInt64: Int32] = [:]
    private var terminal: [Int32: UInt32] = [:]
    private var nodeCount: Int32 = 1
    private var firstBytes = [UInt64](repeating: 0, count: 4)

    var isEmpty: Bool { terminal.isEmpty }

    mutating func insert(_ content: [UInt8], id: UInt32) {
        guard let first = content.first else { return }
        firstBytes[Int(first >> 6)] |= 1 << UInt64(first & 63)
        var node: Int32 = 0
        for byte in content {
            let key = UInt64(node) << 8 | UInt64(byte)
            if let child = edges[key] {
                node = child
            } else {
                edges[key] = nodeCount
                node = nodeCount
                nodeCount += 1
            }
        }
        terminal[node] = id
    }

    /// Non-overlapping matches, each the longest of those starting at the leftmost position.
    func forEachLeftmostLongest(in text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int, UInt32) -> Void) {
        var start = 0
        while start < text.count {
            // Most bytes begin no token: skip them in a tight loop (it visits every byte encoded).
            start = firstBytes.withUnsafeBufferPointer { map in
                var index = start
                while index < text.count {
                    let byte = text[index]
                    if map[Int(byte >> 6)] & (1 << UInt64(byte & 63)) != 0 { break }
                    index += 1
                }
                return index
            }
            guard start < text.count else { return }
            var node: Int32 = 0
            var index = start
            var longest: (end: Int, id: UInt32)?
            while index < text.count, let child = edges[UInt64(node) << 8 | UInt64(text[index])] {
                node = child
                index += 1
                if let id = terminal[node] { longest = (index, id) }
            }
            if let longest {
                body(start, longest.end, longest.id)
                start = longest.end
            } else {
                start += 1
            }
        }
    }
}
