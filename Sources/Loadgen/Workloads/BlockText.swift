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
/// One exception, found when the words are chosen: a tokenizer that puts a "▁" before the text
/// itself (Llama 2's `Prepend` normalizer, older files of that family) turns a leading " time"
/// into "▁▁time", two tokens; then the first word of a prompt is written without its space
/// (`firstWordBare`), which that "▁" stands in for. A prompt's first block is therefore a
/// function of its id and of being first, and the same ids still give the same bytes.
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
    /// The tokenizer prefixes the text with its own "▁": a prompt's first word goes without its space.
    let firstWordBare: Bool
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
            firstWordBare = false
            return
        }
        var single: [String] = []
        for word in candidates where try counter.count(word, addSpecialTokens: false) == 1 {
            single.append(word)
            if single.count >= 4096 { break }
        }
        var bare = false
        if single.count < 8 {
            // " time" alone may be two tokens only because the tokenizer put a "▁" before it: then
            // "time" must be one token at the start and "time time" two.
            single = []
            for word in candidates {
                let first = String(word.dropFirst())
                guard try counter.count(first, addSpecialTokens: false) == 1,
                      try counter.count(first + word, addSpecialTokens: false) == 2 else { continue }
                single.append(word)
                if single.count >= 4096 { break }
            }
            bare = true
        }
        guard single.count >= 8 else {
            throw .promptsNotBuilt("the tokenizer has fewer than 8 lower-case words that are one token with a leading space; "
                + "blocks of exact length cannot be built (use --tokenizer estimate)")
        }
        words = single
        estimated = false
        firstWordBare = bare
    }

    init(words: [String], estimated: Bool, firstWordBare: Bool = false, salt: UInt64) {
        self.words = words
        self.estimated = estimated
        self.firstWordBare = firstWordBare
        self.salt = salt
    }

    /// Vocabulary entries that decode to a space and 2 to 12 lower-case ASCII letters, or (as a
    /// Metaspace decoder strips the space of a text's first token) are "▁" and such letters.
    static func vocabularyWords(_ tokenizer: Tokenizer) -> [String] {
        var found: [String] = []
        var seen: Set<String> = []
        func isWord(_ letters: ArraySlice<UInt8>) -> Bool {
            letters.count >= 2 && letters.count <= 12 && letters.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        }
        for id in 0..<tokenizer.model.tokens.count {
            guard let token = tokenizer.model.tokens[id] else { continue }
            var bytes = tokenizer.decodeBytes([UInt32(id)], skipSpecialTokens: true)
            if !(bytes.first == 0x20 && isWord(bytes.dropFirst())), token.starts(with: BPEModel.metaspace), isWord(token.dropFirst(3)) {
                bytes = [0x20] + token.dropFirst(3)
            }
            guard bytes.first == 0x20, isWord(bytes.dropFirst()) else { continue }
            let word = String(decoding: bytes, as: UTF8.self)
            if seen.insert(word).inserted { found.append(word) }
        }
        return found
    }

    /// The block of `id` cut to `tokens` tokens; `space` keeps blocks of other kinds (trace ids,
    /// shared prefixes, unique tails) apart; `startsPrompt`: the block is the prompt's first.
    func text(id: UInt64, space: UInt64, tokens: Int, startsPrompt: Bool) -> String {
        var generator = SeededGenerator(seed: salt ^ (space &* 0x9E37_79B9_7F4A_7C15) ^ (id &* 0xD1B5_4A32_D192_ED03))
        var text = ""
        if estimated {
            let bytes = tokens * SeedProtocol.charactersPerToken
            text.reserveCapacity(bytes + 16)
            while text.utf8.count < bytes { text += words[Int(generator.next() % UInt64(words.count))] }
            return String(decoding: text.utf8.prefix(bytes), as: UTF8.self)
        }
        text.reserveCapacity(tokens * 8)
        for index in 0..<tokens {
            let word = words[Int(generator.next() % UInt64(words.count))]
            if index == 0, startsPrompt, firstWordBare { text += word.dropFirst() } else { text += word }
        }
        return text
    }

    static let traceSpace: UInt64 = 1
    static let prefixSpace: UInt64 = 2
    static let uniqueSpace: UInt64 = 3
}
