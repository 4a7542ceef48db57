import HTTPWire

/// The served model's own tokenizer, reached through `POST /tokenize` and `POST /detokenize`
/// (vLLM and SGLang serve both at the root, beside `/v1`), for building exact prompts before a
/// run when no `--tokenizer` is given. Never used during a run.
///
/// vLLM's `/tokenize` takes `{"prompt", "add_special_tokens"}` and answers `{"count", "tokens"}`;
/// given chat `messages` with `add_generation_prompt` it renders the chat template first, so the
/// count is what the server will count for that request. `/detokenize` takes `{"tokens"}` and
/// answers `{"prompt"}` (SGLang: `{"text"}`).
public final class ServerTokenizer: Sendable {
    /// The server; `/tokenize` and `/detokenize` are asked under its base path.
    public let target: HTTPTarget
    /// Headers sent with each call (an API key, as in the run).
    public let headers: [HTTPHeader]
    /// How an https server is verified (`--cacert`, `--insecure`, a client certificate).
    public let tls: TLSClientConfiguration
    let signals: SignalWatcher?

    /// The tokenizer of the model `target` serves; nothing is asked until prompts are built.
    public init(target: HTTPTarget, headers: [HTTPHeader] = [], tls: TLSClientConfiguration = TLSClientConfiguration(),
                signals: SignalWatcher? = nil) {
        self.target = target
        self.headers = headers
        self.tls = tls
        self.signals = signals
    }

    /// Why the server's tokenizer could not be used, as one line.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// No answer, or not the answer of a tokenizer endpoint (e.g. 404 from a server without one).
        case unavailable(String)
        /// SIGINT or SIGTERM arrived while waiting for the server.
        case interrupted(signal: Int32)
        /// The failure as one line, for messages.
        public var description: String {
            switch self {
            case .unavailable(let reason): reason
            case .interrupted(let signal): LoadgenError.interrupted(signal: signal).description
            }
        }
    }

    /// Token ids of `text` as the server encodes a completion prompt.
    func encode(_ text: String, model: String, addSpecialTokens: Bool) throws(Failure) -> [Int] {
        let body: JSONValue = .object([("model", .string(model)), ("prompt", .string(text)), ("add_special_tokens", .bool(addSpecialTokens))])
        return try tokens(in: try call("/tokenize", body))
    }

    /// The tokens the server counts for a chat request whose one user message is `text`, the
    /// chat template and its generation prompt included.
    func countChat(_ text: String, model: String) throws(Failure) -> Int {
        let message: JSONValue = .object([("role", .string("user")), ("content", .string(text))])
        let body: JSONValue = .object([("model", .string(model)), ("messages", .array([message])), ("add_generation_prompt", .bool(true))])
        let answer = try call("/tokenize", body)
        if let count = answer["count"]?.intValue { return count }
        return try tokens(in: answer).count
    }

    /// The text of `ids`.
    func decode(_ ids: [Int], model: String) throws(Failure) -> String {
        let body: JSONValue = .object([("model", .string(model)), ("tokens", .array(ids.map { .int(Int64($0)) }))])
        let answer = try call("/detokenize", body)
        guard let text = answer["prompt"]?.stringValue ?? answer["text"]?.stringValue else {
            throw .unavailable("\(url("/detokenize")) answered without a 'prompt'")
        }
        return text
    }

    private func url(_ path: String) -> String { target.url(path: target.openAIBasePath + path) }

    private func call(_ path: String, _ body: JSONValue) throws(Failure) -> JSONValue {
        let answer: HTTPFetch.Response
        do {
            answer = try HTTPFetch.post(target, path: target.openAIBasePath + path, headers: headers,
                                        json: Array(body.serialized().utf8), signals: signals,
                                        tls: try HTTPFetch.tlsContext(for: target, tls))
        } catch {
            if case .interrupted(let signal) = error { throw .interrupted(signal: signal) }
            throw .unavailable("\(url(path)): \(error)")
        }
        guard answer.status == 200 else { throw .unavailable("\(url(path)) answered HTTP \(answer.status)") }
        guard let json = try? JSONParser.parse(String(decoding: answer.body, as: UTF8.self)), json.objectMembers != nil else {
            throw .unavailable("\(url(path)) answered something that is not a JSON object")
        }
        return json
    }

    private func tokens(in answer: JSONValue) throws(Failure) -> [Int] {
        guard let values = answer["tokens"]?.arrayValue else { throw .unavailable("\(url("/tokenize")) answered without 'tokens'") }
        var ids: [Int] = []
        ids.reserveCapacity(values.count)
        for value in values {
            guard let id = value.intValue, id >= 0 else { throw .unavailable("\(url("/tokenize")) answered a token that is not an id") }
            ids.append(id)
        }
        return ids
    }
}
