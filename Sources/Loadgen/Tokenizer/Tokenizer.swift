import Glibc

/// A Hugging Face tokenizer (`tokenizer.json`), encoding and decoding exactly as the
/// `tokenizers` library does, for the BPE models of the GPT-2, Llama 3, Qwen 2/3 and DeepSeek V3
/// families (ByteLevel) and of the Llama 2 and Mistral families (Metaspace or Prepend/Replace
/// normalizers, byte fallback). Other models and components are refused when loading, with
/// their type named (`TokenizerError.unsupported`).
///
/// ```swift
/// let tokenizer = try Tokenizer(path: "/models/llama-3/")     // or .../tokenizer.json
/// let ids = tokenizer.encode("Hello world")                    // as tokenizer.encode(text, add_special_tokens=False)
/// let text = tokenizer.decode(ids)                             // as tokenizer.decode(ids, skip_special_tokens=False)
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
    /// The decoder is ByteLevel alone: decoding is a byte lookup per id.
    private let decodesBytesDirectly: Bool

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
        if decoderSteps.count == 1, case .byteLevel = decoderSteps[0] { decodesBytesDirectly = true } else { decodesBytesDirectly = false }
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
        if let added = addedVocabulary.decodingForm(id) { return added }
        guard Int(id) < model.tokens.count else { return nil }
        return model.tokens[Int(id)]
    }

    func decodeBytes(_ ids: [UInt32], skipSpecialTokens: Bool) -> [UInt8] {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = tokenBytes(id) else { continue }
            if skipSpecialTokens && addedVocabulary.specialContents.contains(token) { continue }
            tokens.append(token)
        }
        if decodesBytesDirectly {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(tokens.count * 4)
            for token in tokens {
                if let raw = ByteLevelAlphabet.bytes(ofMapped: token) { bytes += raw } else { bytes += token }
            }
            return UTF8Bytes.repaired(bytes)
        }
        if decoderSteps.isEmpty {
            // No decoder: tokenizers joins the tokens with spaces.
            var bytes: [UInt8] = []
            for (index, token) in tokens.enumerated() {
                if index > 0 { bytes.append(0x20) }
                bytes += token
            }
            return bytes
        }
        var scratch: [BacktrackScratch] = []
        for step in decoderSteps { tokens = step.apply(tokens, scratch: &scratch) }
        return tokens.reduce(into: []) { $0 += $1 }
    }
}

/// Encodes many texts with one tokenizer, keeping its word cache and buffers between calls.
/// A value type: give each thread its own (they share the immutable `Tokenizer`).
public struct TokenEncoder {
    public let tokenizer: Tokenizer
    private var cache: WordCache
    private var modelScratch = BPEModel.Scratch()
    private var regexScratch: [BacktrackScratch] = []
    private var preTokenized = PreTokenizedText()
    private var rawSegments: [AddedVocabulary.Segment] = []
    private var normalizedSegments: [AddedVocabulary.Segment] = []
    private var ids: [UInt32] = []

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
        encodeIDs(text, addSpecialTokens: false).count
    }

    mutating func encodeIDs(_ text: String, addSpecialTokens: Bool) -> [UInt32] {
        ids.removeAll(keepingCapacity: true)
        let bytes = Array(text.utf8)
        let added = tokenizer.addedVocabulary
        added.splitRaw(bytes, into: &rawSegments)
        let segments = rawSegments
        for segment in segments {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                var normalized = Array(bytes[range])
                if let normalizer = tokenizer.normalizer { normalized = normalizer.normalize(normalized, scratch: &regexScratch) }
                added.splitNormalized(normalized, into: &normalizedSegments)
                let inner = normalizedSegments
                for piece in inner {
                    switch piece {
                    case .token(let id):
                        ids.append(id)
                    case .text(let pieceRange):
                        let startsInput = range.lowerBound == 0 && pieceRange.lowerBound == 0
                        encodeText(Array(normalized[pieceRange]), startsInput: startsInput)
                    }
                }
            }
        }
        return addSpecialTokens ? tokenizer.postProcessor.apply(ids) : ids
    }

    /// Pre-tokenizes normalized text between added tokens and encodes each word.
    private mutating func encodeText(_ text: [UInt8], startsInput: Bool) {
        preTokenized.reset(text, startsInput: startsInput)
        let steps = tokenizer.preTokenizerSteps
        for (index, step) in steps.enumerated() {
            step.apply(to: &preTokenized, mapBytes: index != steps.count - 1, scratch: &regexScratch)
        }
        let byteLevel = tokenizer.byteLevelWords
        let model = tokenizer.model
        preTokenized.bytes.withUnsafeBufferPointer { bytes in
            for piece in preTokenized.pieces {
                let word = UnsafeBufferPointer(rebasing: bytes[piece.start..<piece.end])
                let hash = WordCache.hash(word)
                let hit = cache.withIDs(of: word, hash: hash) { cached in ids.append(contentsOf: cached) }
                if hit { continue }
                let start = ids.count
                model.encode(word: word, byteLevel: byteLevel, into: &ids, scratch: &modelScratch)
                cache.insert(word, hash: hash, ids: ids[start...])
            }
        }
    }
}
