import Testing
@testable import Loadgen

/// Prompts of exactly N tokens, checked by encoding them again with a separate tokenizer.
@Suite("Exact-token prompts")
struct ExactTokenPromptTests {
    static let families = ["tinyllama", "llama3", "qwen2", "deepseek3", "llama2", "mistral", "metaspace", "gpt2"]

    @Test("every prompt encodes to exactly the tokens asked for, for many lengths and seeds", arguments: families)
    func exactLengths(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        let check = try TokenizerFixtures.tokenizer(fixture)
        let lengths = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100, 128, 257, 500, 1000, 2048]
        for seed: UInt64 in [0, 1, 42, 0xDEAD_BEEF] {
            var builder = ExactTokenPrompts(tokenizer: tokenizer, seed: seed)
            for (index, tokens) in lengths.enumerated() {
                let prompt = try builder.prompt(index: index, tokens: tokens)
                let ids = check.encode(prompt.text)
                #expect(ids.count == tokens, "\(fixture) seed \(seed) index \(index): \(ids.count) tokens, asked \(tokens)")
                #expect(prompt.tokens == tokens && prompt.index == index)
                #expect(!ids.contains { check.addedTokenIDs.contains($0) }, "\(fixture): a prompt spells an added token")
            }
        }
    }

    @Test("the run's nonce and the request number lead each prompt, inside its tokens")
    func headerIsInside() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("tinyllama")
        var builder = ExactTokenPrompts(tokenizer: tokenizer, seed: 7)
        let prompt = try builder.prompt(index: 12_345, tokens: 100)
        let header = ExactTokenPrompts.header(nonce: builder.nonce, index: 12_345)
        #expect(prompt.text.hasPrefix(header), "\(prompt.text.prefix(40).debugDescription)")
        #expect(tokenizer.encode(prompt.text).count == 100)
        #expect(header == String(builder.nonce, radix: 16).leftPadded(8) + "-12345 ")
    }

    @Test("the seed fixes prompts and nonce; another seed changes both; a given nonce is used")
    func seedDeterminism() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3")
        let first = try ExactTokenPrompts.build(count: 20, tokens: 64, tokenizer: tokenizer, seed: 99)
        let again = try ExactTokenPrompts.build(count: 20, tokens: 64, tokenizer: tokenizer, seed: 99)
        let other = try ExactTokenPrompts.build(count: 20, tokens: 64, tokenizer: tokenizer, seed: 100)
        #expect(first == again)
        #expect(ExactTokenPrompts.nonce(seed: 99) != ExactTokenPrompts.nonce(seed: 100))
        for (a, b) in zip(first, other) { #expect(a.text != b.text) }
        let withNonce = try ExactTokenPrompts.build(count: 3, tokens: 64, tokenizer: tokenizer, seed: 99, nonce: 0xABCDEF)
        #expect(withNonce.allSatisfy { $0.text.hasPrefix("00abcdef-\($0.index) ") })
    }

    @Test("prompts of a run all differ, and do not depend on the number of threads building them")
    func uniqueAndThreadIndependent() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("mistral")
        let lengths = (0..<300).map { 20 + ($0 * 37) % 300 }
        let one = try ExactTokenPrompts.build(tokenCounts: lengths, tokenizer: tokenizer, seed: 5, threads: 1)
        let two = try ExactTokenPrompts.build(tokenCounts: lengths, tokenizer: tokenizer, seed: 5, threads: 2)
        #expect(one == two)
        #expect(Set(one.map(\.text)).count == one.count)
        #expect(one.map(\.index) == Array(0..<300))
        var encoder = TokenEncoder(tokenizer)
        for (prompt, tokens) in zip(one, lengths) { #expect(encoder.count(prompt.text) == tokens) }
    }

    @Test("zero tokens is the empty prompt")
    func zeroTokens() throws {
        var builder = ExactTokenPrompts(tokenizer: try TokenizerFixtures.tokenizer("gpt2"), seed: 1)
        #expect(try builder.prompt(index: 3, tokens: 0) == ExactTokenPrompt(index: 3, text: "", tokens: 0))
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
