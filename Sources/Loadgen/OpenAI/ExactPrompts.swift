/// How a run's prompt lengths are counted, stored with its results.
public enum PromptTokenMethod: String, Sendable, Equatable {
    /// `--tokenizer PATH`: loadgen's own copy of the model's tokenizer, exact.
    case tokenizer
    /// The server's `POST /tokenize` and `/detokenize`, exact.
    case server
    /// No tokenizer: about four bytes of text per token (the seeds' rule), checked after the run
    /// against the tokens the server counted.
    case estimate
}

/// What a run's prompts are, for its results: how they were counted, and what the server adds.
public struct PromptFacts: Sendable, Equatable {
    /// How the prompt tokens were counted.
    public var method: PromptTokenMethod
    /// Where the counts came from, for people: "tokenizer /models/x/tokenizer.json", "POST /tokenize".
    public var source: String
    /// Tokens the tokenizer adds to every sequence (a BOS): taken off the prompt text, as vLLM's
    /// random dataset does, so a completion request's server count is the requested one.
    public var specialTokens: Int = 0
    /// Chat requests: the tokens the server counts beyond the text (the chat template and its
    /// generation prompt, a BOS), measured with `/tokenize`; nil when not known.
    public var chatTemplateTokens: Int?

    /// Facts of prompts counted by `method` with `source` (a path, a URL, or the estimate's name).
    public init(method: PromptTokenMethod, source: String) {
        self.method = method
        self.source = source
    }
}

/// Prompt texts of exactly N tokens, built before a run with loadgen's tokenizer or the
/// server's, and kept for every later run that asks for the same lengths (sweep levels, bench
/// tests).
///
/// Each text starts with a placeholder `PromptHeader` (nonce and request number), inside the N
/// tokens; a run writes its nonce over the placeholder and each request's number is patched in as
/// it is sent. So one text per length serves every request, however many a run sends or however
/// long it lasts, and building costs the same for 100 requests as for a million. That only works
/// if the count does not depend on the header's value, so every text is re-encoded with other
/// headers in place (32 values the first time, 4 for each later length) and refused, with a
/// clear error, if any count differs. (The other way, a text per request, would cap a
/// `--duration` run at the texts built, and with the server's tokenizer would cost two HTTP
/// calls per request before the run.)
///
/// The text after the header is built as `vllm bench serve --dataset-name random` builds its
/// prompts, then made exact: with a tokenizer, consecutive vocabulary ids from a random offset,
/// decoded, re-encoded and adjusted (`ExactTokenPrompts`); with the server, the ids of a seeded
/// word text from `/tokenize`, cut to length, decoded by `/detokenize`, re-encoded and adjusted
/// until the count is exactly N. As in vLLM, the tokens a tokenizer adds to every sequence (a BOS)
/// are taken off the text, and a chat template comes on top.
public final class ExactPrompts: Sendable, Equatable {
    /// Where the token counts come from.
    public enum Source: Sendable {
        /// loadgen's tokenizer; `name` says where it was loaded from.
        case tokenizer(Tokenizer, name: String)
        /// The server's; without `required` a server that does not answer `/tokenize` means
        /// the bytes / 4 estimate instead of an error.
        case server(ServerTokenizer, required: Bool)
    }

    /// The tokenizer that counts the prompts.
    public let source: Source
    /// The seed of the random token ids the prompts are built from.
    public let seed: UInt64
    private let state: LockedValue<State>

    private struct State: @unchecked Sendable {
        // @unchecked: `builder` holds the tokenizer's encoder (a struct of caches) and is only
        // touched under the lock.
        var facts: PromptFacts?
        var texts: [Int: String] = [:]
        var builder: ExactTokenPrompts?
        /// Re-encodes texts with other headers; a small word cache (a default one is 3 MiB, and
        /// a new one per length would churn that much for every length of a range).
        var checker: TokenEncoder?
        /// Server: the ids of the filler text, as long as the longest prompt built so far needed.
        var fillerIDs: [Int] = []
        var fillerWords = 0
        var headerChecked = false
    }

    /// Exact prompts from `source`, drawn under `seed`; built when a run first needs them.
    public init(source: Source, seed: UInt64) {
        self.source = source
        self.seed = seed
        state = LockedValue(State())
    }

    /// The same builder (its cache of texts is its identity).
    public static func == (lhs: ExactPrompts, rhs: ExactPrompts) -> Bool { lhs === rhs }

    /// The fewest text tokens an exact prompt can have: the header's 15, and one of text.
    public static let minimumTokens = PromptHeader.width + 2

    /// How prompts will be counted: asks the server once whether it answers `/tokenize`; later
    /// calls give the same answer.
    public func resolve(model: String) throws(LoadgenError) -> PromptFacts {
        if let facts = state.withLock({ $0.facts }) { return facts }
        var facts: PromptFacts
        switch source {
        case .tokenizer(let tokenizer, let name):
            facts = PromptFacts(method: .tokenizer, source: "tokenizer \(name)")
            facts.specialTokens = tokenizer.specialTokensAddedPerSequence
        case .server(let server, let required):
            do throws(ServerTokenizer.Failure) {
                let probe = PromptHeader.text(nonce: 0, number: 0) + "hello world"
                let plain = try server.encode(probe, model: model, addSpecialTokens: false)
                let special = try server.encode(probe, model: model, addSpecialTokens: true)
                facts = PromptFacts(method: .server, source: "POST \(server.target.openAIBasePath)/tokenize")
                facts.specialTokens = max(special.count - plain.count, 0)
            } catch {
                if case .interrupted(let signal) = error { throw .interrupted(signal: signal) }
                if required { throw .promptsNotBuilt("the server's tokenizer is not available: \(error)") }
                facts = PromptFacts(method: .estimate, source: "no --tokenizer; \(error)")
            }
        }
        let resolved = facts
        state.withLock { $0.facts = resolved }
        return resolved
    }

    /// The prompt text of a request asking for `inputTokens` tokens: `inputTokens` less the
    /// special tokens, exactly, starting with the placeholder header; nil with the estimate.
    func text(inputTokens: Int, model: String, endpoint: OpenAIWorkload.Endpoint) throws(LoadgenError) -> String? {
        let facts = try resolve(model: model)
        if facts.method == .estimate { return nil }
        let tokens = inputTokens - facts.specialTokens
        if let text = state.withLock({ $0.texts[tokens] }) { return text }
        guard tokens >= Self.minimumTokens else {
            throw .promptsNotBuilt("exact prompts need at least \(Self.minimumTokens + facts.specialTokens) input tokens "
                + "(\(PromptHeader.width) of them are the unique header), got \(inputTokens); use --prompt fixed for shorter ones")
        }
        let text: String
        switch source {
        case .tokenizer(let tokenizer, _): text = try tokenizerText(tokens: tokens, tokenizer: tokenizer)
        case .server(let server, _):
            do throws(ServerTokenizer.Failure) {
                text = try serverText(tokens: tokens, server: server, model: model)
                if endpoint == .chat, facts.chatTemplateTokens == nil {
                    // The template is fixed text around the message: measured once, on a real prompt.
                    let counted = try server.countChat(text, model: model)
                    state.withLock { $0.facts?.chatTemplateTokens = counted - tokens }
                }
            } catch {
                if case .interrupted(let signal) = error { throw .interrupted(signal: signal) }
                throw .promptsNotBuilt("the server's tokenizer: \(error)")
            }
        }
        state.withLock { $0.texts[tokens] = text }
        return text
    }

    /// The facts as known now (the chat template's tokens once a chat prompt was built).
    var facts: PromptFacts? { state.withLock { $0.facts } }

    /// How many header values a text is checked with: all symbols the first time, then a few.
    private func headerVariants() -> [String] {
        let first = state.withLock { state -> Bool in
            defer { state.headerChecked = true }
            return !state.headerChecked
        }
        let all = PromptHeader.variants(count: 32)
        return first ? all : Array(all[26..<30])
    }

    private static let attempts = 8

    // MARK: With loadgen's tokenizer

    private func tokenizerText(tokens: Int, tokenizer: Tokenizer) throws(LoadgenError) -> String {
        var (builder, encoder) = state.withLock { state in
            (state.builder ?? ExactTokenPrompts(tokenizer: tokenizer, seed: seed, nonce: 0),
             state.checker ?? TokenEncoder(tokenizer, cacheEntries: 4096))
        }
        defer {
            state.withLock { state in
                state.builder = builder
                state.checker = encoder
            }
        }
        let placeholder = PromptHeader.text(nonce: 0, number: 0)
        let variants = headerVariants()
        for attempt in 0..<Self.attempts {
            let text: String
            do throws(TokenizerError) {
                text = try builder.text(header: placeholder, tokens: tokens, variant: tokens &+ attempt &* 1_000_003)
            } catch {
                throw .promptsNotBuilt(error.description)
            }
            guard text.utf8.starts(with: placeholder.utf8) else { continue }
            let body = text.utf8.dropFirst(placeholder.utf8.count)
            if variants.allSatisfy({ encoder.count($0 + String(decoding: body, as: UTF8.self)) == tokens }) { return text }
        }
        throw Self.headerChanges(tokens)
    }

    private static func headerChanges(_ tokens: Int) -> LoadgenError {
        .promptsNotBuilt("no prompt of \(tokens) tokens keeps its count when the request number in its header changes "
            + "(this tokenizer merges digits and letters); use --tokenizer estimate")
    }

    // MARK: With the server's tokenizer

    /// Common English words: the filler the server's tokenizer cuts prompts from, shuffled by
    /// the seed. (vLLM draws random vocabulary ids; the server does not say what its vocabulary
    /// is, and plain words decode and re-encode to themselves, so the loop below converges.)
    static let words = """
        time year people way day man thing woman life child world school state family student group country problem \
        hand part place case week company system program question work government number night point home water room \
        mother area money story fact month lot right study book eye job word business issue side kind head house service \
        friend father power hour game line end member law car city community name president team minute idea kid body \
        information back parent face others level office door health person art war history party result change morning \
        reason research girl guy moment air teacher force education foot boy age policy process music market sense nation \
        plan college interest death experience effect class control care field development role effort rate heart drug \
        show leader light voice wife police mind price report decision son view relationship town road arm difference
        """.split(separator: " ").map(String.init)

    private func serverText(tokens: Int, server: ServerTokenizer, model: String) throws(ServerTokenizer.Failure) -> String {
        let placeholder = PromptHeader.text(nonce: 0, number: 0)
        let headerTokens = try server.encode(placeholder, model: model, addSpecialTokens: false).count
        let filler = try fillerIDs(atLeast: tokens + 64, server: server, model: model)
        let variants = headerVariants()
        var wanted = tokens - headerTokens
        var tried: Set<Int> = []
        for _ in 0..<(Self.attempts * 3) {
            guard wanted > 0, wanted <= filler.count else { break }
            tried.insert(wanted)
            let text = placeholder + (try server.decode(Array(filler[0..<wanted]), model: model))
            let counted = try server.encode(text, model: model, addSpecialTokens: false).count
            if counted == tokens {
                let body = String(decoding: Array(text.utf8.dropFirst(placeholder.utf8.count)), as: UTF8.self)
                for variant in variants {
                    guard try server.encode(variant + body, model: model, addSpecialTokens: false).count == tokens else {
                        throw .unavailable(Self.headerChanges(tokens).description)
                    }
                }
                return text
            }
            // A cut inside a word may merge with its neighbour: move by the difference, and
            // step past a length already tried so the loop cannot cycle.
            wanted += tokens - counted
            while tried.contains(wanted) { wanted += counted > tokens ? -1 : 1 }
        }
        throw .unavailable("re-encoding never gave exactly \(tokens) tokens")
    }

    /// The token ids of the seeded filler text, at least `count` of them (cached and grown).
    private func fillerIDs(atLeast count: Int, server: ServerTokenizer, model: String) throws(ServerTokenizer.Failure) -> [Int] {
        let (cached, wordsSoFar) = state.withLock { ($0.fillerIDs, $0.fillerWords) }
        if cached.count >= count { return cached }
        var words = max(wordsSoFar * 2, count + 64)
        while true {
            var generator = SeededGenerator(seed: seed ^ 0x7772_6473)
            var text = ""
            text.reserveCapacity(words * 7)
            for index in 0..<words {
                if index > 0 { text += " " }
                text += Self.words[Int(generator.next() % UInt64(Self.words.count))]
            }
            let ids = try server.encode(text, model: model, addSpecialTokens: false)
            if ids.count >= count {
                state.withLock { state in
                    state.fillerIDs = ids
                    state.fillerWords = words
                }
                return ids
            }
            guard ids.count > 0 else { throw .unavailable("the server's tokenizer encoded \(words) words as no tokens") }
            words *= 2
        }
    }
}
