import Glibc
import Testing
@testable import Loadgen

/// Loading, refusing what is not implemented, and the pieces the vectors do not isolate.
@Suite("Tokenizer")
struct TokenizerTests {
    static func fixtureText(_ name: String) -> String {
        String(decoding: TextFile.readBytes(TokenizerFixtures.path(name)) ?? [], as: UTF8.self)
    }

    /// The gpt2 fixture with one component swapped for `replacement` (JSON text).
    static func gpt2(replacing original: String, with replacement: String) -> String {
        let text = fixtureText("gpt2")
        precondition(text.contains(original), "the fixture no longer contains \(original)")
        return text.replacingFirst(original, with: replacement)
    }

    @Test("a model folder holding tokenizer.json loads like the file itself")
    func loadsFromFolder() throws {
        let folder = "/tmp/loadgen-tokenizer-test-\(getpid())"
        try TextFile.makeDirectory(folder)
        defer {
            unlink(folder + "/tokenizer.json")
            rmdir(folder)
        }
        try TextFile.writeAtomically(Self.fixtureText("tinyllama"), to: folder + "/tokenizer.json")
        let fromFolder = try Tokenizer(path: folder)
        let fromFile = try TokenizerFixtures.tokenizer("tinyllama")
        let text = "def main():\n    print('hello, world')  # 42"
        #expect(fromFolder.encode(text) == fromFile.encode(text))
        #expect(!fromFolder.encode(text).isEmpty)
    }

    @Test("a missing path and a file that is not JSON are refused with what went wrong")
    func unreadableAndInvalid() {
        #expect(throws: TokenizerError.unreadable(path: "/nonexistent/tokenizer.json", reason: "No such file or directory")) {
            try Tokenizer(path: "/nonexistent/tokenizer.json")
        }
        #expect {
            try Tokenizer(json: "{\"model\": ")
        } throws: { error in
            guard case .invalidJSON = error as? TokenizerError else { return false }
            return true
        }
        #expect(throws: TokenizerError.invalidFile("no 'model'")) { try Tokenizer(json: "{}") }
    }

    @Test("models, normalizers, pre-tokenizers, decoders and processors loadgen lacks are named in the error",
          arguments: [
            ("\"type\":\"BPE\"", "\"type\":\"WordPiece\"", TokenizerError.unsupported(component: "model", type: "WordPiece")),
            ("\"type\":\"BPE\"", "\"type\":\"Unigram\"", TokenizerError.unsupported(component: "model", type: "Unigram")),
            ("\"normalizer\":null", "\"normalizer\":{\"type\":\"NFKC\"}", TokenizerError.unsupported(component: "normalizer", type: "NFKC")),
            ("\"normalizer\":null", "\"normalizer\":{\"type\":\"Lowercase\"}", TokenizerError.unsupported(component: "normalizer", type: "Lowercase")),
            ("\"pre_tokenizer\":{", "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},\"unused\":{",
             TokenizerError.unsupported(component: "pre_tokenizer", type: "BertPreTokenizer")),
            ("\"decoder\":{", "\"decoder\":{\"type\":\"WordPiece\"},\"unused\":{", TokenizerError.unsupported(component: "decoder", type: "WordPiece")),
            ("\"post_processor\":{", "\"post_processor\":{\"type\":\"Mystery\"},\"unused\":{",
             TokenizerError.unsupported(component: "post_processor", type: "Mystery")),
          ])
    func unsupportedComponents(original: String, replacement: String, expected: TokenizerError) {
        let json = Self.gpt2(replacing: original, with: replacement)
        #expect(throws: expected) { try Tokenizer(json: json) }
        #expect(expected.description.contains("'\(expected.unsupportedType)'"))
    }

    @Test("split patterns outside the exact subset are refused, naming the construct",
          arguments: ["(?<=a)b", "(a)\\1", "[[:alpha:]]", "\\bword", "(?x) a", "[a&&b]", "(?<name>a)", "(a*)*"])
    func unsupportedPatterns(pattern: String) {
        #expect {
            _ = try TokenizerRegex(pattern)
        } throws: { error in
            guard case .unsupportedPattern(let refused, let reason) = error as? TokenizerError else { return false }
            return refused == pattern && !reason.isEmpty
        }
    }

    @Test("ids, special ids and the special tokens a sequence gets match the files")
    func metadata() throws {
        let llama3 = try TokenizerFixtures.tokenizer("llama3")
        #expect(llama3.vocabularySize == 3000)
        #expect(llama3.specialTokensAddedPerSequence == 1)
        #expect(llama3.specialTokenIDs.count == 11)
        #expect(llama3.token(for: llama3.specialTokenIDs[0]) == "<|begin_of_text|>")
        let gpt2 = try TokenizerFixtures.tokenizer("gpt2")
        #expect(gpt2.specialTokensAddedPerSequence == 0)
        let roberta = try TokenizerFixtures.tokenizer("roberta")
        #expect(roberta.specialTokensAddedPerSequence == 2)
        let qwen2 = try TokenizerFixtures.tokenizer("qwen2")
        #expect(qwen2.addedTokenIDs.count == qwen2.specialTokenIDs.count + 3, "three non-special added tokens")
    }

    @Test("SentencePiece-style vocabularies are cut at '▁'; byte-level ones are not")
    func metaspaceCuts() throws {
        for name in ["llama2", "mistral", "metaspace"] {
            #expect(try TokenizerFixtures.tokenizer(name).model.cutsBeforeMetaspace, "\(name)")
        }
        for name in ["gpt2", "tinyllama", "llama3"] {
            #expect(try !TokenizerFixtures.tokenizer(name).model.cutsBeforeMetaspace, "\(name)")
        }
        #expect(BPEModel.metaspaceCuts(Array("▁a▁▁b▁".utf8)) == [4, 11])
    }

    @Test("merges written the older way (\"a b\" strings) load to the same tokenizer")
    func legacyMergeStrings() throws {
        let json = try JSONParser.parse(Self.fixtureText("llama2"))
        guard case .object(var members) = json, let modelIndex = members.firstIndex(where: { $0.0 == "model" }),
              case .object(var model) = members[modelIndex].1, let mergesIndex = model.firstIndex(where: { $0.0 == "merges" }),
              let merges = model[mergesIndex].1.arrayValue else {
            Issue.record("the llama2 fixture has no model.merges")
            return
        }
        model[mergesIndex].1 = .array(merges.map { pair in
            .string((pair.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " "))
        })
        members[modelIndex].1 = .object(model)
        let legacy = try Tokenizer(json: JSONValue.object(members).serialized())
        let current = try TokenizerFixtures.tokenizer("llama2")
        for text in TokenizerFixtures.strings.prefix(500) {
            #expect(legacy.encode(text) == current.encode(text))
        }
    }

    @Test("decoding skips ids the tokenizer does not have, as tokenizers does")
    func unknownIDsAreSkipped() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let ids = tokenizer.encode("hello world")
        #expect(tokenizer.decode([999_999] + ids + [-1, 123_456_789]) == "hello world")
    }

    @Test("a TokenEncoder gives the same ids as one-off encodes, text after text")
    func encoderMatchesOneOffEncodes() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("deepseek3")
        var encoder = TokenEncoder(tokenizer)
        for text in TokenizerFixtures.strings.prefix(300) {
            #expect(encoder.encode(text) == tokenizer.encode(text))
        }
    }
}

extension TokenizerError {
    fileprivate var unsupportedType: String {
        if case .unsupported(_, let type) = self { return type }
        return ""
    }
}

extension String {
    /// The text with its first occurrence of `target` replaced (fixtures' component keys appear once).
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }
}
