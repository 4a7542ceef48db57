/// Counts the tokens of dataset texts before a run, with the same tokenizer the exact prompts
/// use (`ExactPrompts`): loadgen's own, the server's `/tokenize`, or the bytes / 4 estimate.
struct PromptTokenCounter {
    enum Way {
        case tokenizer(TokenEncoder)
        case server(ServerTokenizer, model: String)
        case estimate
    }

    private(set) var way: Way
    /// A dataset has many more distinct words than generated prompts: a larger word cache
    /// (about 16 MiB) keeps re-encoding them rare.
    static let cacheEntries = 1 << 18
    /// How the counts were made, for the results.
    private(set) var facts: PromptFacts
    /// Tokens the tokenizer adds to every sequence (a BOS).
    var specialTokens: Int { facts.specialTokens }

    /// From the workload's tokenizer choice (nil: the estimate).
    init(_ exactPrompts: ExactPrompts?, model: String) throws(LoadgenError) {
        guard let exactPrompts else {
            way = .estimate
            facts = PromptFacts(method: .estimate, source: "no tokenizer")
            return
        }
        let facts = try exactPrompts.resolve(model: model)
        self.facts = facts
        switch (facts.method, exactPrompts.source) {
        case (.tokenizer, .tokenizer(let tokenizer, _)): way = .tokenizer(TokenEncoder(tokenizer, cacheEntries: Self.cacheEntries))
        case (.server, .server(let server, _)): way = .server(server, model: model)
        default: way = .estimate
        }
    }

    init(tokenizer: Tokenizer, name: String) {
        way = .tokenizer(TokenEncoder(tokenizer, cacheEntries: Self.cacheEntries))
        var facts = PromptFacts(method: .tokenizer, source: "tokenizer \(name)")
        facts.specialTokens = tokenizer.specialTokensAddedPerSequence
        self.facts = facts
    }

    var isExact: Bool { if case .estimate = way { false } else { true } }

    /// The tokens of `text`, with the tokens added to every sequence when asked (as vLLM's
    /// `len(tokenizer(prompt).input_ids)` counts a prompt).
    mutating func count(_ text: String, addSpecialTokens: Bool) throws(LoadgenError) -> Int {
        let special = addSpecialTokens ? facts.specialTokens : 0
        switch way {
        case .tokenizer(var encoder):
            // Take the encoder out so its caches are not copied on write.
            way = .estimate
            let count = encoder.count(text)
            way = .tokenizer(encoder)
            return count + special
        case .server(let server, let model):
            do throws(ServerTokenizer.Failure) {
                return try server.encode(text, model: model, addSpecialTokens: false).count + special
            } catch {
                if case .interrupted(let signal) = error { throw .interrupted(signal: signal) }
                throw .promptsNotBuilt("the server's tokenizer: \(error)")
            }
        case .estimate:
            return max((text.utf8.count + SeedProtocol.charactersPerToken - 1) / SeedProtocol.charactersPerToken, 1) + special
        }
    }

    /// With the server's tokenizer and chat requests: what the chat template adds, measured on
    /// one real prompt with `/tokenize` (the template is fixed text around the message), so the
    /// results can say what the server should count.
    mutating func measureChatTemplate(on text: String) throws(LoadgenError) {
        guard case .server(let server, let model) = way, facts.chatTemplateTokens == nil else { return }
        let plain = try count(text, addSpecialTokens: false)
        do throws(ServerTokenizer.Failure) {
            let counted = try server.countChat(text, model: model)
            facts.chatTemplateTokens = max(counted - plain, 0)
        } catch {
            if case .interrupted(let signal) = error { throw .interrupted(signal: signal) }
            throw .promptsNotBuilt("the server's tokenizer: \(error)")
        }
    }

    /// loadgen's own tokenizer, when that is what counts.
    var tokenizer: Tokenizer? {
        if case .tokenizer(let encoder) = way { return encoder.tokenizer }
        return nil
    }
}
