import Testing
@testable import Loadgen

/// Encoding and decoding agree with Hugging Face `tokenizers` on every committed vector.
@Suite("Tokenizer vectors")
struct TokenizerVectorTests {
    @Test("encode gives tokenizers' ids for every test string", arguments: TokenizerFixtures.all)
    func encodeMatches(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        var encoder = TokenEncoder(tokenizer)
        let expected = TokenizerFixtures.lines("\(fixture).encode.txt")
        let strings = TokenizerFixtures.strings
        #expect(expected.count >= (TokenizerFixtures.extras.contains(fixture) ? 3_000 : 10_000))
        var mismatches = 0
        for (index, line) in expected.enumerated() {
            let want = TokenizerFixtures.ids(line)
            let got = encoder.encode(strings[index])
            if got != want {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(fixture) line \(index + 1) \(strings[index].debugDescription): got \(got), want \(want)")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(expected.count) strings differ")
    }

    @Test("encode with special tokens adds what the post-processor adds", arguments: TokenizerFixtures.all)
    func encodeWithSpecialTokensMatches(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        var encoder = TokenEncoder(tokenizer)
        let expected = TokenizerFixtures.lines("\(fixture).special.txt")
        #expect(expected.count >= 1_000)
        var mismatches = 0
        for (index, line) in expected.enumerated() {
            let want = TokenizerFixtures.ids(line)
            let got = encoder.encode(TokenizerFixtures.strings[index], addSpecialTokens: true)
            if got != want {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(fixture) line \(index + 1): got \(got), want \(want)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("decode gives tokenizers' text, with and without special tokens", arguments: TokenizerFixtures.all)
    func decodeMatches(fixture: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(fixture)
        let cases = TokenizerFixtures.lines("\(fixture).decode.txt")
        #expect(cases.count >= 1_000)
        var mismatches = 0
        for (index, line) in cases.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let keep = TokenizerFixtures.jsonString(fields[1]), let skip = TokenizerFixtures.jsonString(fields[2]) else {
                Issue.record("\(fixture) decode line \(index + 1) is malformed")
                continue
            }
            let ids = TokenizerFixtures.ids(fields[0])
            let gotKeep = tokenizer.decode(ids)
            let gotSkip = tokenizer.decode(ids, skipSpecialTokens: true)
            if gotKeep.unicodeScalars.elementsEqual(keep.unicodeScalars) == false || gotSkip.unicodeScalars.elementsEqual(skip.unicodeScalars) == false {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(fixture) decode line \(index + 1) \(ids): got \(gotKeep.debugDescription) / \(gotSkip.debugDescription), want \(keep.debugDescription) / \(skip.debugDescription)")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
