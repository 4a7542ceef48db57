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

    @Test("streamed chunks: null usage first, the final usage chunk wins")
    func streamingChunks() {
        let body = """
        data: {"choices":[{"delta":{"content":"a"}}],"usage":null}

        data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1}}

        data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3}}

        data: [DONE]

        """
        let scanner = scan(body)
        #expect(scanner.promptTokens == 10)
        #expect(scanner.completionTokens == 3)
    }

    @Test("whitespace and newlines around the colon are allowed")
    func whitespace() {
        let scanner = scan("{\"prompt_tokens\" :\n\t 5 , \"completion_tokens\"\r\n:7}")
        #expect(scanner.promptTokens == 5)
        #expect(scanner.completionTokens == 7)
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

    @Test("reset forgets earlier values")
    func resetForgets() {
        var scanner = scan(Self.vllmBody)
        scanner.reset()
        #expect(scanner.promptTokens == nil)
        #expect(scanner == UsageScanner())
    }
}
