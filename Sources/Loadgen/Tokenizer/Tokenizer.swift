import Glibc

/// A Hugging Face tokenizer (`tokenizer.json`), encoding and decoding exactly as the
/// `tokenizers` library does, for the BPE models of the GPT-2, Llama 3, Qwen 2/3 and DeepSeek V3
/// families (ByteLevel) and of the Llama 2 and Mistral families (Metaspace or Prepend/Replace
/// normalizers, byte fallback). Other models and components are refused when loading, with
/// their type named (`TokenizerError.unsupported`).
///
/// ```swift
/// let tokenizer = try Tokenizer(path: "/models/llama-3/")     // or .../tokenizer.json
/// let ids = tokenizer.encode("Hello world")                    // as tokenizer.encode(text,
/// add_special_tokens=False)
/// let text = tokenizer.decode(ids)                             // as tokenizer.decode(ids,
/// skip_special_tokens=False)
/// ```
///
/// The pipeline is `tokenizers`': added tokens are found first; the text between them is
/// normalized, pre-tokenized into words, and each word is encoded by BPE; a post-processor adds
/// special tokens on request. Not used (as loadgen never needs them): truncation, padding,
/// offsets, pairs of sequences. Encoding one text allocates; for many texts, keep a
/// `TokenEncoder`, whose word cache makes repeated words nearly free.
public final class Tokenizer: Sendable {
    let model: BPEModel
    let addedVocabulary: AddedVocabulary
    let normalizer: TokenizerNormalizer?
    let preTokenizerSteps: [PreTokenizerStep]
    let decoderSteps: [TokenDecoderStep]
    let postProcessor: TokenizerPostProcessor
    /// The last pre-tokenizer step is ByteLevel: words reach the model as raw bytes.
    let byteLevelWords: Bool
    /// The pre-tokenizer is one hand-matched split (`PreTokenizerStep.directSplit`).
    let directSplit: KnownSplitPattern?
    /// The decoder is ByteLevel alone: decoding is a byte lookup per id.
    private let decodesBytesDirectly: Bool
    /// Per id, the text decoding starts from (the added token's form, else the vocabulary's).
    private let decodingTokens: [[UInt8]?]
    /// Per id: its text is a special token's (decoding with `skipSpecialTokens` drops it).
    private let decodesAsSpecial: [Bool]
    /// With `decodesBytesDirectly`: the bytes of each id, `bytesStart[id]..<bytesStart[id + 1]`.
    private let decodedBytes: [UInt8]
    private let decodedBytesStart: [Int32]

    /// Loads `path`: a `tokenizer.json`, or a model folder holding one.
    public convenience init(path: String) throws(TokenizerError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .unreadable(path: path, reason: SystemError.message(for: errno))
        }
        let file = (status.st_mode & S_IFMT) == S_IFDIR ? (path.hasSuffix("/") ? path : path + "/") + "tokenizer.json" : path
        guard let bytes = TextFile.readBytes(file) else {
            throw .unreadable(path: file, reason: access(file, R_OK) == 0 ? "read failed" : SystemError.message(for: errno))
        }
        try self.init(json: String(decoding: bytes, as: UTF8.self))
    }

    /// Loads the text of a `tokenizer.json`.
    public init(json text: String) throws(TokenizerError) {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw .invalidJSON(error.description) }
        guard json.objectMembers != nil else { throw .invalidFile("the document is not an object") }
        guard let modelJSON = json["model"] else { throw .invalidFile("no 'model'") }
        let model = try BPEModel.parse(modelJSON)
        let normalizer = try TokenizerNormalizer.parse(json["normalizer"] ?? .null)
        let steps = try PreTokenizerStep.parse(json["pre_tokenizer"] ?? .null)
        self.model = model
        self.normalizer = normalizer
        self.preTokenizerSteps = steps
        self.decoderSteps = try TokenDecoderStep.parse(json["decoder"] ?? .null)
        self.postProcessor = try TokenizerPostProcessor.parse(json["post_processor"] ?? .null)
        self.addedVocabulary = try AddedVocabulary(json: json["added_tokens"]?.arrayValue ?? [], model: model, normalizer: normalizer)
        if case .byteLevel = steps.last { byteLevelWords = true } else { byteLevelWords = false }
        directSplit = PreTokenizerStep.directSplit(steps)
        if decoderSteps.count == 1, case .byteLevel = decoderSteps[0] { decodesBytesDirectly = true } else { decodesBytesDirectly = false }
        let added = addedVocabulary
        let idCount = max(model.tokens.count, Int(added.tokens.keys.max() ?? 0) + 1)
        var tokens = model.tokens + [[UInt8]?](repeating: nil, count: idCount - model.tokens.count)
        for id in added.tokens.keys { tokens[Int(id)] = added.decodingForm(id) }
        decodingTokens = tokens
        decodesAsSpecial = tokens.map { token in token.map { added.specialContents.contains($0) } ?? false }
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        if decodesBytesDirectly {
            for token in tokens {
                if let token { bytes += ByteLevelAlphabet.bytes(ofMapped: token) ?? token }
                starts.append(Int32(bytes.count))
            }
        }
        decodedBytes = bytes
        decodedBytesStart = starts
    }

    /// Token ids of `text`; with `addSpecialTokens`, wrapped by the post-processor (e.g. a BOS).
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var encoder = TokenEncoder(self, cacheEntries: 1024)
        return encoder.encode(text, addSpecialTokens: addSpecialTokens)
    }

    /// The text of `ids`. Ids the tokenizer does not know are skipped, as in `tokenizers`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids.map { UInt32(truncatingIfNeeded: $0) }, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// Tokens in the model's vocabulary, without added tokens (transformers' `vocab_size`).
    public var vocabularySize: Int { model.vocabularyCount }

    /// Ids of the added tokens (special or not).
    public var addedTokenIDs: [Int] { addedVocabulary.tokens.keys.map { Int($0) }.sorted() }

    /// Ids of special added tokens (transformers' `all_special_ids` when the file marks them special).
    public var specialTokenIDs: [Int] {
        addedVocabulary.tokens.filter(\.value.special).keys.map { Int($0) }.sorted()
    }

    /// How many ids encoding with special tokens adds to one text (transformers'
    /// `num_special_tokens_to_add()`; 1 for Llama's BOS, 0 for GPT-2).
    public var specialTokensAddedPerSequence: Int { postProcessor.addedCount }

    /// The text of a token id as stored (byte-level tokens in their mapped characters), or nil.
    public func token(for id: Int) -> String? {
        guard id >= 0, id <= Int(UInt32.max) else { return nil }
        return tokenBytes(UInt32(id)).map { String(decoding: $0, as: UTF8.self) }
    }

    func tokenBytes(_ id: UInt32) -> [UInt8]? {
        Int(id) < decodingTokens.count ? decodingTokens[Int(id)] : nil
    }

    func decodeBytes(_ ids: [UInt32], skipSpecialTokens: Bool) -> [UInt8] {
        if decodesBytesDirectly {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(ids.count * 4)
            decodedBytes.withUnsafeBufferPointer { table in
                decodedBytesStart.withUnsafeBufferPointer { starts in
                    for id in ids where Int(id) < decodingTokens.count {
                        if skipSpecialTokens && decodesAsSpecial[Int(id)] { continue }
                        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: table[Int(starts[Int(id)])..<Int(starts[Int(id) + 1])]))
                    }
                }
            }
            return UTF8Bytes.isValid(bytes) ? bytes : UTF8Bytes.repaired(bytes)
        }
        var tokens = TokenTexts()
        tokens.ends.reserveCapacity(ids.count)
        for id in ids {
            guard let token = tokenBytes(id) else { continue }
            if skipSpecialTokens && decodesAsSpecial[Int(id)] { continue }
            if decoderSteps.isEmpty && tokens.count > 0 { tokens.bytes.append(0x20) }  // tokenizers joins with spaces
            tokens.append(token)
        }
        if decoderSteps.isEmpty { return tokens.bytes }
        var scratch = RegexScratch()
        for step in decoderSteps { tokens = step.apply(tokens, scratch: &scratch) }
        return tokens.bytes
    }
}

/// Encodes many texts with one tokenizer, keeping its word cache and buffers between calls.
/// A value type: give each thread its own (they share the immutable `Tokenizer`).
public struct TokenEncoder {
    /// The tokenizer this encoder runs.
    public let tokenizer: Tokenizer
    private var cache: WordCache
    private var modelScratch = BPEModel.Scratch()
    private var regexScratch = RegexScratch()
    private var preTokenized = PreTokenizedText()
    private var rawSegments: [AddedVocabulary.Segment] = []
    private var normalizedSegments: [AddedVocabulary.Segment] = []
    private var ids: [UInt32] = []
    /// While counting: cached words' ids are only counted here, not copied into `ids`.
    private var counting = false
    private var countedIDs = 0

    /// An encoder with its own scratch buffers, for one thread.
    public init(_ tokenizer: Tokenizer) {
        self.init(tokenizer, cacheEntries: 1 << 16)
    }

    init(_ tokenizer: Tokenizer, cacheEntries: Int) {
        self.tokenizer = tokenizer
        cache = WordCache(maximumEntries: cacheEntries)
    }

    /// Token ids of `text`, as `Tokenizer.encode`.
    public mutating func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        encodeIDs(text, addSpecialTokens: addSpecialTokens).map { Int($0) }
    }

    /// How many tokens `text` encodes to (without special tokens).
    public mutating func count(_ text: String) -> Int {
        counting = true
        countedIDs = 0
        defer { counting = false }
        return encodeIDs(text, addSpecialTokens: false).count + countedIDs
    }

    mutating func encodeIDs(_ text: String, addSpecialTokens: Bool) -> [UInt32] {
        ids.removeAll(keepingCapacity: true)
        var text = text
        text.withUTF8 { bytes in
            let added = tokenizer.addedVocabulary
            added.splitRaw(bytes, into: &rawSegments)
            let segments = rawSegments
            for segment in segments {
                switch segment {
                case .token(let id):
                    ids.append(id)
                case .text(let range):
                    let raw = UnsafeBufferPointer(rebasing: bytes[range])
                    guard let normalizer = tokenizer.normalizer else {
                        encodeNormalized(raw, startsInput: range.lowerBound == 0)
                        continue
                    }
                    let normalized = normalizer.normalize(Array(raw), scratch: &regexScratch)
                    normalized.withUnsafeBufferPointer { encodeNormalized($0, startsInput: range.lowerBound == 0) }
                }
            }
        }
        return addSpecialTokens ? tokenizer.postProcessor.apply(ids) : ids
    }

    /// Normalized text: split on the normalized added tokens, the rest pre-tokenized and encoded.
    private mutating func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, startsInput: Bool) {
        let added = tokenizer.addedVocabulary
        guard added.hasNormalizedTokens else {
            encodeText(text, startsInput: startsInput)
            return
        }
        added.splitNormalized(text, into: &normalizedSegments)
        let pieces = normalizedSegments
        for piece in pieces {
            switch piece {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                encodeText(UnsafeBufferPointer(rebasing: text[range]), startsInput: startsInput && range.lowerBound == 0)
            }
        }
    }

    /// Pre-tokenizes normalized text between added tokens and encodes each word.
    private mutating func encodeText(_ text: UnsafeBufferPointer<UInt8>, startsInput: Bool) {
        if let split = tokenizer.directSplit {
            // The pieces go straight to the model: no piece list, no copy of the text.
            let model = tokenizer.model
            var start = 0
            while start < text.count {
                let end = split.pieceEnd(in: text, from: start)
                encodeWord(UnsafeBufferPointer(rebasing: text[start..<end]), byteLevel: true, model: model)
                start = end
            }
            return
        }
        preTokenized.reset(text, startsInput: startsInput)
        let steps = tokenizer.preTokenizerSteps
        for (index, step) in steps.enumerated() {
            step.apply(to: &preTokenized, mapBytes: index != steps.count - 1, scratch: &regexScratch)
        }
        let byteLevel = tokenizer.byteLevelWords
        let model = tokenizer.model
        let cuts = model.cutsBeforeMetaspace && !byteLevel
        preTokenized.bytes.withUnsafeBufferPointer { bytes in
            for piece in preTokenized.pieces {
                guard cuts else {
                    encodeWord(UnsafeBufferPointer(rebasing: bytes[piece.start..<piece.end]), byteLevel: byteLevel, model: model)
                    continue
                }
                // Cut before each "▁" that follows another character (see BPEModel.cutsBeforeMetaspace).
                var start = piece.start
                var index = piece.start + 3
                while index + 2 < piece.end {
                    if bytes[index] == 0xE2, bytes[index + 1] == 0x96, bytes[index + 2] == 0x81,
                       !(bytes[index - 3] == 0xE2 && bytes[index - 2] == 0x96 && bytes[index - 1] == 0x81) {
                        encodeWord(UnsafeBufferPointer(rebasing: bytes[start..<index]), byteLevel: false, model: model)
                        start = index
                        index += 3
                    } else {
                        index += 1
                    }
                }
                encodeWord(UnsafeBufferPointer(rebasing: bytes[start..<piece.end]), byteLevel: false, model: model)
            }
        }
    }

    /// The ids of one word, from the cache or by BPE (then cached).
    @inline(__always)
    private mutating func encodeWord(_ word: UnsafeBufferPointer<UInt8>, byteLevel: Bool, model: BPEModel) {
        let hash = WordCache.hash(word)
        let hit = cache.withIDs(of: word, hash: hash) { cached in
            if counting { countedIDs += cached.count } else { ids.append(contentsOf: cached) }
        }
        if hit { return }
        let start = ids.count
        model.encode(word: word, byteLevel: byteLevel, into: &ids, scratch: &modelScratch)
        cache.insert(word, hash: hash, ids: ids[start...])
    }
}
