/// A prompt whose text encodes to exactly `tokens` tokens with its tokenizer (without special
/// tokens: a chat template or BOS comes on top, as in vLLM).
public struct ExactTokenPrompt: Sendable, Equatable {
    /// The request number written at the start of the text.
    public let index: Int
    /// The prompt text.
    public let text: String
    /// Its tokens as the tokenizer counts them (exactly the requested number).
    public let tokens: Int
}

/// Builds prompts of exactly N tokens as `vllm bench serve --dataset-name random` does, and then
/// exactly: token ids are decoded to text, the text is re-encoded, and the ids are truncated or
/// extended with random ones until the text encodes to N tokens. vLLM gives up after ten tries
/// and keeps a prompt of the wrong length ("token_mismatch"); this keeps trying (new random
/// tokens, then a new starting point) and only fails, with a typed error, if nothing converges.
///
/// Every prompt starts with the run's nonce and its request number ("5f3a9c01-17 …"), inside
/// the N tokens, so no two prompts of a run share a first block and prompts of different runs
/// differ too: a server's prefix cache cannot serve one request from another's work. The rest
/// follows vLLM's random dataset: consecutive ids of the vocabulary (special and added tokens
/// excluded) from a random offset per request. Everything is drawn from `seed` and the request
/// number alone, so a prompt does not depend on the others or on the thread that built it, and
/// `seed` fixes the nonce too unless one is given.
///
/// Build prompts before a run (they become pre-serialized request templates):
/// ```swift
/// let prompts = try ExactTokenPrompts.build(tokenCounts: Array(repeating: 2048, count: 10_000),
///                                           tokenizer: tokenizer, seed: 42)
/// ```
public struct ExactTokenPrompts {
    /// The tokenizer that counts the prompts.
    public let tokenizer: Tokenizer
    /// The seed of the random token ids; the same seed gives the same prompts.
    public let seed: UInt64
    /// Mixed into every prompt; printed and stored with a run's results.
    public let nonce: UInt64
    private var encoder: TokenEncoder
    /// Vocabulary ids a prompt may be built from (no added or special tokens).
    private let usable: [UInt32]
    private let isAdded: [Bool]
    /// Usable ids whose text alone is whole characters (no byte-level fragment): the fillers.
    private let whole: [UInt32]
    private let isWhole: [Bool]

    /// Rounds of re-encoding with new random tokens before starting over from a new offset.
    static let roundsPerAttempt = 24
    static let attempts = 8

    /// A builder of prompts under `seed`, each led by `nonce` (drawn from the seed when nil) and its request
    /// number.
    public init(tokenizer: Tokenizer, seed: UInt64, nonce: UInt64? = nil) {
        self.tokenizer = tokenizer
        self.seed = seed
        self.nonce = nonce ?? Self.nonce(seed: seed)
        encoder = TokenEncoder(tokenizer)
        let added = Set(tokenizer.addedVocabulary.tokens.keys)
        var isAdded = [Bool](repeating: false, count: max(tokenizer.model.tokens.count, Int(added.max() ?? 0) + 1))
        for id in added { isAdded[Int(id)] = true }
        self.isAdded = isAdded
        let usable = tokenizer.model.tokens.indices.compactMap { id in
            tokenizer.model.tokens[id] != nil && !isAdded[id] ? UInt32(id) : nil
        }
        self.usable = usable
        var isWhole = [Bool](repeating: false, count: isAdded.count)
        for id in usable {
            let bytes = tokenizer.decodeBytes([id], skipSpecialTokens: false)
            isWhole[Int(id)] = !bytes.isEmpty && !bytes.starts(with: UTF8Bytes.replacementCharacter)
                && !(bytes.count >= 3 && Array(bytes.suffix(3)) == UTF8Bytes.replacementCharacter)
        }
        self.isWhole = isWhole
        whole = usable.filter { isWhole[Int($0)] }
    }

    /// The nonce a seed gives (the nonce of a run with that `--seed`).
    public static func nonce(seed: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: seed ^ 0x6E6F_6E63_6521_2121)
        return generator.next() & 0xFFFF_FFFF
    }

    /// The prompt of request `index` with exactly `tokens` tokens.
    public mutating func prompt(index: Int, tokens: Int) throws(TokenizerError) -> ExactTokenPrompt {
        let text = try text(header: Self.header(nonce: nonce, index: index), tokens: tokens, variant: index)
        return ExactTokenPrompt(index: index, text: text, tokens: tokens)
    }

    /// Text of exactly `tokens` tokens that starts with `header` (which must fit in them); the
    /// rest is drawn from `seed` and `variant`.
    mutating func text(header: String, tokens: Int, variant index: Int) throws(TokenizerError) -> String {
        guard tokens > 0 else { return "" }
        guard !usable.isEmpty, !whole.isEmpty else { throw .promptNotBuilt(tokens: tokens, reason: "the tokenizer has no ordinary tokens") }
        let headerIDs = encoder.encodeIDs(header, addSpecialTokens: false)
        var generator = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: index + 1))
        for _ in 0..<Self.attempts {
            // vLLM's body: consecutive vocabulary ids from a random offset (shifted by the index).
            let offset = Int(generator.next() % UInt64(usable.count))
            var ids = Array(headerIDs.prefix(tokens))
            var next = offset + index
            while ids.count < tokens {
                ids.append(usable[next % usable.count])
                next += 1
            }
            var text = decodeKeepingHeader(ids, header: header, headerIDs: headerIDs)
            for round in 0..<Self.roundsPerAttempt {
                let encoded = encoder.encodeIDs(text, addSpecialTokens: false)
                if encoded.count == tokens {
                    // Text that happens to spell an added token would send the server a special token.
                    if encoded.contains(where: { Int($0) < isAdded.count && isAdded[Int($0)] }) { break }
                    return text
                }
                ids = encoded
                if ids.count > tokens {
                    // Later rounds cut a little deeper, so a cut that re-encodes long again
                    // (a merge across the cut) cannot repeat forever.
                    let deeper = round < 2 ? 0 : Int(generator.next() % 4)
                    ids.removeLast(min(ids.count, ids.count - tokens + deeper))
                }
                // A byte-level fragment at the end decodes to U+FFFD, which re-encodes longer
                // than the fragment: end on a whole character, then fill with whole ones.
                while let last = ids.last, !isWhole[Int(last)] { ids.removeLast() }
                while ids.count < tokens { ids.append(whole[Int(generator.next() % UInt64(whole.count))]) }
                text = decodeKeepingHeader(ids, header: header, headerIDs: headerIDs)
            }
        }
        throw .promptNotBuilt(tokens: tokens, reason: "re-encoding never gave exactly that many tokens")
    }

    /// "5f3a9c01-17 ": the run's nonce and the request number.
    static func header(nonce: UInt64, index: Int) -> String {
        var hex = String(nonce, radix: 16)
        while hex.count < 8 { hex = "0" + hex }
        return "\(hex)-\(index) "
    }

    /// Decodes `ids`; when they start with the header's ids, the header text is kept verbatim
    /// (a decoder may not give back its leading space, Metaspace's for one).
    private func decodeKeepingHeader(_ ids: [UInt32], header: String, headerIDs: [UInt32]) -> String {
        guard ids.count > headerIDs.count, ids.starts(with: headerIDs) else {
            return String(decoding: tokenizer.decodeBytes(ids, skipSpecialTokens: false), as: UTF8.self)
        }
        let body = tokenizer.decodeBytes(Array(ids[headerIDs.count...]), skipSpecialTokens: false)
        return header + String(decoding: body, as: UTF8.self)
    }

    /// Prompts for requests 0..<tokenCounts.count, request i with tokenCounts[i] tokens, built on
    /// `threads` threads (the result does not depend on how many).
    public static func build(tokenCounts: [Int], tokenizer: Tokenizer, seed: UInt64, nonce: UInt64? = nil,
                             threads: Int = 2) throws(TokenizerError) -> [ExactTokenPrompt] {
        let threadCount = max(1, min(threads, tokenCounts.count / 64 + 1))
        let results = PromptSlots(count: tokenCounts.count)
        let resolvedNonce = nonce ?? Self.nonce(seed: seed)
        let work: @Sendable (Int) -> Void = { worker in
            var builder = ExactTokenPrompts(tokenizer: tokenizer, seed: seed, nonce: resolvedNonce)
            var index = worker
            while index < tokenCounts.count {
                do throws(TokenizerError) {
                    results.store(.success(try builder.prompt(index: index, tokens: tokenCounts[index])), at: index)
                } catch {
                    results.store(.failure(error), at: index)
                    return
                }
                index += threadCount
            }
        }
        var handles: [Thread.Handle] = []
        for worker in 1..<threadCount {
            if let thread = try? Thread({ work(worker) }) { handles.append(thread.handle) } else { work(worker) }
        }
        work(0)
        for handle in handles { Thread.join(handle) }
        return try results.collect()
    }

    /// `count` prompts of `tokens` tokens each.
    public static func build(count: Int, tokens: Int, tokenizer: Tokenizer, seed: UInt64, nonce: UInt64? = nil,
                             threads: Int = 2) throws(TokenizerError) -> [ExactTokenPrompt] {
        try build(tokenCounts: Array(repeating: tokens, count: count), tokenizer: tokenizer, seed: seed, nonce: nonce, threads: threads)
    }
}

/// Results written by the building threads: each slot by exactly one thread, all read after
/// the threads are joined, so the slots need no lock.
private final class PromptSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Result<ExactTokenPrompt, TokenizerError>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ result: Result<ExactTokenPrompt, TokenizerError>, at index: Int) { slots[index] = result }

    /// The prompts in request order, or the first error (a failed thread leaves its later slots empty).
    func collect() throws(TokenizerError) -> [ExactTokenPrompt] {
        var prompts: [ExactTokenPrompt] = []
        prompts.reserveCapacity(slots.count)
        for slot in slots {
            switch slot {
            case .success(let prompt): prompts.append(prompt)
            case .failure(let error): throw error
            case nil: throw .promptNotBuilt(tokens: 0, reason: "a building thread stopped early")
            }
        }
        return prompts
    }
}
