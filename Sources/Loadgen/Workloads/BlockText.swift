/// Text blocks of an exact number of tokens whose content is a function of an id alone, for
/// prompts that must share prefixes exactly: a trace's hash ids, the shared prefixes of the
/// prefix-repetition workload. The same id always gives the same bytes, and a shorter block is
/// a prefix of a longer one, so two prompts that begin with the same ids begin with the same
/// text, token for token.
///
/// A block is a run of words each written with its leading space (" time year people"), every
/// one of which the tokenizer encodes as one token. Every split pattern of a byte-level BPE
/// (GPT-2, Llama 3, Qwen) starts a piece at " word", and Metaspace tokenizers (Llama 2,
/// Mistral) split at the space, so pieces never merge across words or across blocks: a block of
/// n words is n tokens wherever it stands, and a prompt of blocks has the sum of their counts.
/// `PreparedPrompts` still re-encodes the first prompts whole and refuses a tokenizer where that
/// fails. (vLLM's `timed_trace` instead samples random token ids per block with a seed from
/// Python's `hash()` of the id, which is randomized per process unless PYTHONHASHSEED is set,
/// and decodes the concatenation: block texts differ between runs and may re-encode to other
/// counts.)
struct BlockText {
    /// Words that are one token each with a leading space (" time").
    let words: [String]
    /// With the estimate (no tokenizer), a block of n tokens is about 4n bytes of words.
    let estimated: Bool
    private let salt: UInt64

    /// Blocks depend on `salt` (the run's nonce) as well as on the id, so two runs do not share
    /// cached prefixes unless they share a nonce (`--seed`).
    init(counter: inout PromptTokenCounter, salt: UInt64) throws(LoadgenError) {
        self.salt = salt
        var candidates: [String]
        if let tokenizer = counter.tokenizer {
            candidates = Self.vocabularyWords(tokenizer)
            // Metaspace decoders may strip a single token's space: fall back to common words.
            if candidates.count < 64 { candidates += ExactPrompts.words.map { " " + $0 } }
        } else {
            candidates = ExactPrompts.words.map { " " + $0 }
        }
        guard counter.isExact else {
            words = candidates
            estimated = true
            return
        }
        var single: [String] = []
        for word in candidates where try counter.count(word, addSpecialTokens: false) == 1 {
            single.append(word)
            if single.count >= 4096 { break }
        }
        guard single.count >= 8 else {
            throw .promptsNotBuilt("the tokenizer has fewer than 8 lower-case words that are one token with a leading space; "
                + "blocks of exact length cannot be built (use --tokenizer estimate)")
        }
        words = single
        estimated = false
    }

    init(words: [String], estimated: Bool, salt: UInt64) {
        self.words = words
        self.estimated = estimated
        self.salt = salt
    }

    /// Vocabulary entries that decode to a space and 2 to 12 lower-case ASCII letters.
    static func vocabularyWords(_ tokenizer: Tokenizer) -> [String] {
        var found: [String] = []
        var seen: Set<String> = []
        for id in 0..<tokenizer.model.tokens.count where tokenizer.model.tokens[id] != nil {
            let bytes = tokenizer.decodeBytes([UInt32(id)], skipSpecialTokens: true)
            guard bytes.count >= 3, bytes.count <= 13, bytes[0] == 0x20,
                  bytes.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { continue }
            let word = String(decoding: bytes, as: UTF8.self)
            if seen.insert(word).inserted { found.append(word) }
        }
        return found
    }

    /// The block of `id` cut to `tokens` tokens; `space` keeps blocks of other kinds (trace ids,
    /// shared prefixes, unique tails) apart.
    func text(id: UInt64, space: UInt64, tokens: Int) -> String {
        var generator = SeededGenerator(seed: salt ^ (space &* 0x9E37_79B9_7F4A_7C15) ^ (id &* 0xD1B5_4A32_D192_ED03))
        var text = ""
        if estimated {
            let bytes = tokens * SeedProtocol.charactersPerToken
            text.reserveCapacity(bytes + 16)
            while text.utf8.count < bytes { text += words[Int(generator.next() % UInt64(words.count))] }
            return String(decoding: text.utf8.prefix(bytes), as: UTF8.self)
        }
        text.reserveCapacity(tokens * 8)
        for _ in 0..<tokens { text += words[Int(generator.next() % UInt64(words.count))] }
        return text
    }

    static let traceSpace: UInt64 = 1
    static let prefixSpace: UInt64 = 2
    static let uniqueSpace: UInt64 = 3
}
