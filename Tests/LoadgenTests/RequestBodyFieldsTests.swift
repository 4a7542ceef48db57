import Testing
@testable import EchoServer

/// The fields echo-server reads from a request body by its byte scan (`RequestBodyFields`).
@Suite("echo-server request body fields")
struct RequestBodyFieldsTests {
    private func fields(_ body: String) -> (model: String?, maxTokens: Int, stream: Bool) {
        let bytes = Array(body.utf8)
        return bytes.withUnsafeBytes { raw in
            let found = RequestBodyFields(raw)
            return (found.model.map { String(decoding: bytes[$0], as: UTF8.self) }, found.maxTokens, found.stream)
        }
    }

    @Test("model, max_tokens and stream are found with or without spaces around the colon")
    func found() {
        let tight = fields(#"{"model":"m1","messages":[{"role":"user","content":"hi"}],"max_tokens":20,"stream":true}"#)
        #expect(tight.model == "m1" && tight.maxTokens == 20 && tight.stream)
        let spaced = fields(#"{ "stream" : false , "max_tokens" :7, "model" : "a\"b" }"#)
        #expect(spaced.model == #"a\"b"# && spaced.maxTokens == 7 && !spaced.stream)
    }

    @Test("max_completion_tokens stands in for max_tokens; absent fields keep their defaults")
    func defaults() {
        let completion = fields(#"{"max_completion_tokens":33}"#)
        #expect(completion.maxTokens == 33 && completion.model == nil && !completion.stream)
        #expect(fields("{}").maxTokens == 16)
        #expect(fields("").maxTokens == 16)
    }

    @Test("a key inside a string value or without a colon is no key; one ending the body has no value")
    func notKeys() {
        let inText = fields(#"{"messages":[{"content":"say \"model\" twice"}],"model":"real"}"#)
        #expect(inText.model == "real")
        #expect(fields(#"{"max_tokens" 5, "max_tokens":9}"#).maxTokens == 9)
        #expect(fields(#"{"x":"model","#).model == nil)
        #expect(fields(#""max_tokens""#).maxTokens == 16)
    }
}
