import Glibc
import Testing
@testable import Loadgen

@Suite("Usage scanner")
struct UsageScannerTests {
    static let vllmBody = #"{"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2048,"total_tokens":2560,"completion_tokens":512,"prompt_tokens_details":{"cached_tokens":7}}}"#

    private func scan(_ text: String, pieces: [Int] = []) -> UsageScanner {
        var scanner = UsageScanner()
        let bytes = Array(text.utf8)
        var start = 0
        for cut in pieces + [bytes.count] where cut >= start {
            bytes[start..<cut].withUnsafeBytes { scanner.scan($0) }
            start = cut
        }
        return scanner
    }

    @Test("a vLLM body yields its prompt and completion tokens, details notwithstanding")
    func vllmBody() {
        let scanner = scan(Self.vllmBody)
        #expect(scanner.promptTokens == 2048)
        #expect(scanner.completionTokens == 512)
    }

    @Test("a count above 2^32 is not believed, at any split: the body counts as one without usage")
    func absurdCountsAreIgnored() {
        let body = #"{"choices":[],"usage":{"prompt_tokens":9223372036854775709,"completion_tokens":4294967297}}"#
        for cut in [0, 20, 50, 70, body.utf8.count] {
            let scanner = scan(body, pieces: [cut])
            #expect(scanner.promptTokens == nil && scanner.completionTokens == nil, "cut at \(cut)")
        }
        #expect(scan(#"{"usage":{"prompt_tokens":4294967296,"completion_tokens":7}}"#).promptTokens == 4_294_967_296)
    }

    @Test("every split point gives the same result")
    func everySplit() {
        let count = Self.vllmBody.utf8.count
        for cut in 0...count {
            let scanner = scan(Self.vllmBody, pieces: [cut])
            #expect(scanner.promptTokens == 2048 && scanner.completionTokens == 512, "split at \(cut)")
        }
        let oneByOne = scan(Self.vllmBody, pieces: Array(0..<count))
        #expect(oneByOne.promptTokens == 2048)
        #expect(oneByOne.completionTokens == 512)
    }

    @Test("a value split across pieces is read whole")
    func valueAcrossPieces() {
        let body = #"{"usage":{"completion_tokens":1234}}"#
        let at = Array(body.utf8).firstIndex(of: UInt8(ascii: "3"))!
        #expect(scan(body, pieces: [at]).completionTokens == 1234)
    }

    static let streamingBody = """
        data: {"choices":[{"delta":{"content":"a"}}],"usage":null}

        data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1}}

        data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":null}}

        data: [DONE]

        """

    static let spacedBody = "{\"prompt_tokens\" :\n\t 5 , \"completion_tokens\"\r\n:7}"

    @Test("streamed chunks: null usage first, the final usage chunk wins, at every split")
    func streamingChunks() {
        #expect(scan(Self.streamingBody).promptTokens == 10)
        #expect(scan(Self.streamingBody).completionTokens == 3)
        let count = Self.streamingBody.utf8.count
        for cut in 0...count {
            let scanner = scan(Self.streamingBody, pieces: [cut])
            #expect(scanner.promptTokens == 10 && scanner.completionTokens == 3, "split at \(cut)")
        }
        let oneByOne = scan(Self.streamingBody, pieces: Array(0..<count))
        #expect(oneByOne.promptTokens == 10)
        #expect(oneByOne.completionTokens == 3)
    }

    @Test("whitespace and newlines around the colon are allowed, at every split")
    func whitespace() {
        for cut in 0...Self.spacedBody.utf8.count {
            let scanner = scan(Self.spacedBody, pieces: [cut])
            #expect(scanner.promptTokens == 5 && scanner.completionTokens == 7, "split at \(cut)")
        }
    }

    @Test("random bodies in random pieces agree with a whole-body reference scan")
    func agreesWithReference() {
        // Fragments chosen to hit the fast path's look-back, the carry of a key prefix across
        // pieces, look-alike keys, values that are not counts, and quotes that restart a match.
        let fragments = [
            #""prompt_tokens""#, #""completion_tokens""#, #""prompt_tokens_details""#, #""prompt"#,
            #""completion"#, #"_tokens""#, "_", #"""#, ":", " ", "\n", "\t", "\r", "null", "x", "{", "}",
            ",", #""p"#, #""c"#, "p", "prompt_tokens", "0", "7", "42", "1234", "99999", "-3",
        ]
        var generator = SplitMix64(seed: 11)
        for trial in 0..<4_000 {
            var body = ""
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                body += fragments[Int.random(in: 0..<fragments.count, using: &generator)]
            }
            let bytes = Array(body.utf8)
            let expected = referenceScan(bytes)
            var cuts = (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                Int.random(in: 0...bytes.count, using: &generator)
            }
            cuts.sort()
            if trial % 8 == 0 { cuts = Array(0..<bytes.count) }
            let scanner = scan(body, pieces: cuts)
            #expect(scanner.promptTokens == expected.prompt && scanner.completionTokens == expected.completion,
                    "\(body.debugDescription) cut at \(cuts)")
        }
    }

    @Test("no usage, null values and look-alike keys leave the counts unset")
    func absentValues() {
        #expect(scan(#"{"choices":[]}"#).completionTokens == nil)
        let nulls = scan(#"{"usage":{"prompt_tokens":null,"completion_tokens":null}}"#)
        #expect(nulls.promptTokens == nil)
        #expect(nulls.completionTokens == nil)
        let lookalike = scan(#"{"prompt_tokens_details":{"x":1},"xcompletion_tokens":4,"text":"completion_tokens"}"#)
        #expect(lookalike.promptTokens == nil)
        #expect(lookalike.completionTokens == nil)
    }

    @Test("the real usage object is found when its keys also appear in a content string before it")
    func keysInContentFirst() {
        let body = #"{"choices":[{"message":{"content":"about \"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2} and usage prompt_tokens"}}],"usage":{"prompt_tokens":34,"completion_tokens":100,"total_tokens":134}}"#
        for cut in 0...body.utf8.count {
            let scanner = scan(body, pieces: [cut])
            #expect(scanner.promptTokens == 34 && scanner.completionTokens == 100, "split at \(cut)")
        }
    }

    @Test("fields after the usage object (vLLM) do not hide it")
    func fieldsAfterUsage() {
        let body = #"{"id":"cmpl-1","choices":[],"usage":{"prompt_tokens":2048,"total_tokens":2560,"completion_tokens":512,"prompt_tokens_details":null},"prompt_logprobs":null,"kv_transfer_params":{"a_b":[1,2]}}"#
        let scanner = scan(body)
        #expect(scanner.promptTokens == 2048)
        #expect(scanner.completionTokens == 512)
    }

    @Test("bodies the search from the end hands to the forward machine agree with the reference", arguments: [
        // A key's closing quote cannot open the next key: which occurrence counts depends on the start.
        #"{"prompt_tokens"prompt_tokens":5,"x":1}"#,
        #"{"prompt_tokens"completion_tokens":5,"completion_tokens":6}"#,
        #"{"completion_tokens":1,"prompt_tokens"prompt_tokens"prompt_tokens":5}"#,
        // Digit runs past Int's range saturate, and counts that large are not believed.
        #"{"completion_tokens":123456789012345678901234567890,"prompt_tokens":99999999999999999999}"#,
        // A tail with no punctuation near the end, ending inside a key or a value.
        #"{"completion_tokens":7,"text":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "prompt_tokens" : 12"#,
        #"{"completion_tokens":7,"usage":{"prompt_tokens":3,"completion_tokens"#,
        #"{"completion_tokens":7} "prompt_tokens": 3 "#,
        // Values that are not counts before and after counts.
        #"{"completion_tokens":5,"completion_tokens":null,"prompt_tokens":"9","prompt_tokens":-1}"#,
        #"{"completion_tokens":null,"completion_tokens":8,"prompt_tokens"  :  4  }"#,
    ])
    func handedToForwardMachine(body: String) {
        let expected = referenceScan(Array(body.utf8))
        let count = body.utf8.count
        for cut in 0...count {
            let scanner = scan(body, pieces: [cut])
            #expect(scanner.promptTokens == expected.prompt && scanner.completionTokens == expected.completion, "split at \(cut)")
        }
        let oneByOne = scan(body, pieces: Array(0..<count))
        #expect(oneByOne.promptTokens == expected.prompt && oneByOne.completionTokens == expected.completion)
    }

    @Test("the search from the end agrees with the forward machine after every piece of random JSON-like bodies")
    func fromEndAgreesWithForward() {
        let fragments = [
            #""prompt_tokens""#, #""completion_tokens""#, #""total_tokens""#, #""prompt_tokens_details""#,
            #""usage""#, #""content""#, #""prompt"#, #""completion"#, #"_tokens""#, "_", #"""#, ":", " ", "\n",
            "null", "x", "{", "}", "[", "]", ",", "0", "7", "42", "1234", "-3", "prompt_tokens", #"\""#,
            #""prompt_tokens": "#, #""completion_tokens" :"#, #"":12,"#, ": 7 ", " 9}", #"{"prompt_tokens":3"#,
        ]
        var generator = SplitMix64(seed: 29)
        for trial in 0..<4_000 {
            var body = ""
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                body += fragments[Int.random(in: 0..<fragments.count, using: &generator)]
            }
            let bytes = Array(body.utf8)
            var cuts = (0..<Int.random(in: 0...4, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }
            cuts.sort()
            if trial % 16 == 0 { cuts = Array(0..<bytes.count) }
            var fromEnd = UsageScanner()
            var forward = UsageScanner()
            var start = 0
            for cut in cuts + [bytes.count] where cut >= start {
                bytes[start..<cut].withUnsafeBytes {
                    fromEnd.scan($0)
                    forward.scanForward($0)
                }
                start = cut
                #expect(fromEnd.promptTokens == forward.promptTokens && fromEnd.completionTokens == forward.completionTokens,
                        "\(body.debugDescription) after the piece ending at \(cut) of \(cuts)")
            }
            let expected = referenceScan(bytes)
            #expect(fromEnd.promptTokens == expected.prompt && fromEnd.completionTokens == expected.completion,
                    "\(body.debugDescription) cut at \(cuts)")
        }
    }

    @Test("no read strays outside a piece, before its start or past its end")
    func staysInsidePieces() {
        let bodies = [Self.vllmBody, Self.streamingBody, Self.spacedBody,
                      #"{"completion_tokens":7,"text":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "prompt_tokens" : 12"#]
        for body in bodies {
            let bytes = Array(body.utf8)
            for cut in 0...bytes.count {
                for guardBefore in [false, true] {
                    var guarded = UsageScanner()
                    var plain = UsageScanner()
                    for piece in [Array(bytes[0..<cut]), Array(bytes[cut...])] {
                        withGuardedPiece(piece, guardBefore: guardBefore) { guarded.scan($0) }
                        piece.withUnsafeBytes { plain.scan($0) }
                    }
                    #expect(guarded == plain, "split at \(cut)")
                }
            }
        }
    }

    @Test("reset forgets earlier values")
    func resetForgets() {
        var scanner = scan(Self.vllmBody)
        scanner.reset()
        #expect(scanner.promptTokens == nil)
        #expect(scanner == UsageScanner())
    }
}

/// Calls `body` with `bytes` placed just before an inaccessible page (or just after one, with
/// `guardBefore`), so that a read outside the piece faults instead of passing unseen.
private func withGuardedPiece(_ bytes: [UInt8], guardBefore: Bool, _ body: (UnsafeRawBufferPointer) -> Void) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let dataSize = (bytes.count + page - 1) / page * page + page
    let total = dataSize + 2 * page
    guard let region = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
          region != MAP_FAILED else { fatalError("mmap failed") }
    defer { munmap(region, total) }
    mprotect(region, page, PROT_NONE)
    mprotect(region + page + dataSize, page, PROT_NONE)
    let start = guardBefore ? region + page : region + page + dataSize - bytes.count
    bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: start, count: bytes.count).copyMemory(from: $0) }
    body(UnsafeRawBufferPointer(start: start, count: bytes.count))
}

/// The definition the scanner implements, over the whole body at once: at every occurrence of a
/// quoted key, optional whitespace, a colon, optional whitespace, then digits ended by another byte.
/// As in JSON, the quote that closes a key cannot also open the next one (`"prompt_tokens"prompt_tokens":1`
/// holds one key, followed by junk).
private func referenceScan(_ bytes: [UInt8]) -> (prompt: Int?, completion: Int?) {
    let prompt = Array(#""prompt_tokens""#.utf8), completion = Array(#""completion_tokens""#.utf8)
    let spaces: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
    var result: (prompt: Int?, completion: Int?) = (nil, nil)
    var closingQuote = -1
    for start in bytes.indices where start != closingQuote {
        for (key, isPrompt) in [(prompt, true), (completion, false)]
        where bytes[start...].starts(with: key) {
            closingQuote = start + key.count - 1
            var index = start + key.count
            while index < bytes.count, spaces.contains(bytes[index]) { index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { continue }
            index += 1
            while index < bytes.count, spaces.contains(bytes[index]) { index += 1 }
            var value = 0, digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                // Absurd digit runs saturate, as in the scanner, rather than trap.
                if value < Int.max / 10 - 9 { value = value * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0, index < bytes.count else { continue }
            if isPrompt { result.prompt = value } else { result.completion = value }
        }
    }
    // The last value counts; one above 2^32 is not believed.
    func believable(_ value: Int?) -> Int? { value.flatMap { $0 <= UsageScanner.largestCount ? $0 : nil } }
    return (believable(result.prompt), believable(result.completion))
}
