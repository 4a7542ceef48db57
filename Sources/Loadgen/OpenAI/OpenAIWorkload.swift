import HTTPWire

/// An OpenAI-compatible request mix: endpoint, model, prompt and output lengths, sampling options.
///
/// Bodies are built once per distinct request shape before the run (never on the hot path). With
/// `.unique` prompts every request still differs: each prompt starts with the run's nonce and a
/// fixed-width request number (`PromptHeader`), the number patched into the pre-serialized bytes
/// as they are sent, so a prefix cache cannot serve one request from another's work, nor from an
/// earlier run's (the seeds' fixed prompt could). With `exactPrompts` the prompt text has exactly
/// the input tokens asked for; without, about four bytes per token.
public struct OpenAIWorkload: Sendable, Equatable {
    /// Which OpenAI API the requests call.
    public enum Endpoint: Sendable, Equatable {
        /// `/v1/chat/completions` with `messages`.
        case chat
        /// `/v1/completions` with `prompt`.
        case completions

        var path: String { self == .chat ? "/v1/chat/completions" : "/v1/completions" }
    }

    /// How prompts are written.
    public enum PromptStyle: Sendable, Equatable {
        /// The run's nonce and a distinct request number lead every prompt (default).
        case unique
        /// The seeds' prompt: "Explain in detail: " repeated input_tokens / 4 times.
        case fixed
    }

    /// Chat (default) or completions.
    public var endpoint: Endpoint = .chat
    /// The request path in full (vLLM's `--endpoint` under the base URL's path), or nil for the
    /// endpoint's own path under the target's OpenAI base path.
    public var requestPath: String?
    /// The `model` of every request (the CLI's default is the first id of GET /v1/models).
    public var model: String
    /// Prompt length in tokens, by the ~4 characters per token the seeds used (default 500).
    public var inputTokens: TokenCount = .fixed(SeedProtocol.defaultInputTokens)
    /// `max_tokens` of every request (default 100).
    public var outputTokens: TokenCount = .fixed(SeedProtocol.defaultOutputTokens)
    /// Unique prompts (default) or the seeds' fixed one.
    public var prompt: PromptStyle = .unique
    /// `temperature`, when set; otherwise the server's default.
    public var temperature: Double?
    /// vLLM's `ignore_eos`, so the server generates exactly max_tokens.
    public var ignoreEOS = false
    /// `stream: true` with `stream_options: {include_usage: true}`.
    public var stream = false
    /// Also `stream_options.continuous_usage_stats: true` (vLLM): every chunk carries the usage so
    /// far, so the tokens of each chunk are known (`RunResult.interTokenLatencyPerToken`).
    public var continuousUsage = false
    /// Prompt texts of exactly `inputTokens` tokens, with a tokenizer or the server's; nil: about
    /// four bytes per token (the seeds' rule).
    public var exactPrompts: ExactPrompts?
    /// Prompts from a dataset, a trace or shared prefixes, prepared before the run
    /// (`PreparedPrompts.prepare`): one request template each, instead of prompts generated for
    /// `inputTokens` (which, with `outputTokens`, `prompt` and the images, then do not apply).
    public var prepared: PreparedPrompts?
    /// The run's nonce, written into every unique prompt (`PromptHeader`); nil draws a random one
    /// for every run, so runs never share prompts. Set it (e.g. from `--seed`) to repeat a run's
    /// prompts exactly.
    public var nonce: UInt64?
    /// A JSON object whose members are added to every body (after loadgen's, so they win in
    /// servers that take the last of duplicate keys, as Python's json does).
    public var extraBody: String?
    /// Lengths drawn from ranges, image order and open-loop arrivals are a function of it.
    public var seed: UInt64 = 0
    /// Vision (chat only): this many `image_url` content parts follow the text of every request,
    /// taken in turn from `imageURLs` (request k starts at image k * imagesPerRequest).
    public var imagesPerRequest = 0
    /// With a value above `imagesPerRequest`: requests cycle through every count in between
    /// (the paper's multi-image test sends 3 to 5 images per request).
    public var maxImagesPerRequest: Int?
    /// http(s) URLs or `data:` URLs (see `dataURL(image:fileName:)`); default: the seeds' three.
    public var imageURLs: [String] = SeedProtocol.testImageURLs
    /// Multi-turn chat sessions instead of independent requests (nil: one turn each).
    public var sessions: MultiTurnSessions?

    /// A chat workload for `model` with the default lengths (500 in, 100 out).
    public init(model: String) { self.model = model }

    /// An image file's bytes as a `data:` URL, its type taken from the file name's extension.
    public static func dataURL(image: [UInt8], fileName: String) throws(LoadgenError) -> String {
        let lower = fileName.lowercased()
        let types = [(".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"),
                     (".gif", "image/gif"), (".webp", "image/webp")]
        guard let type = types.first(where: { lower.hasSuffix($0.0) })?.1 else {
            throw .invalidPlan("cannot tell the image type of '\(fileName)': name it .png, .jpg, .jpeg, .gif or .webp")
        }
        return "data:\(type);base64," + Base64.encode(image)
    }

    /// Checks what can be wrong before a run: the extra body must be a JSON object.
    public func validate() throws(LoadgenError) {
        if let extraBody { _ = try Self.objectMembers(extraBody) }
        guard !model.contains("\u{0}") else { throw .invalidPlan("--model contains a NUL byte") }
        guard imagesPerRequest >= 0 else { throw .invalidPlan("the image count must be zero or positive") }
        if let maxImagesPerRequest, maxImagesPerRequest < imagesPerRequest {
            throw .invalidPlan("the largest image count is below the smallest")
        }
        if imagesPerRequest > 0 {
            guard endpoint == .chat else { throw .invalidPlan("images need chat requests: --images cannot be used with --completions") }
            guard !imageURLs.isEmpty else { throw .invalidPlan("--images needs at least one --image-url or --image-file") }
        }
    }

    /// The same workload with a nonce of its own for the `salt`-th run of a series (sweep levels,
    /// bench tests), when the nonce is fixed; a nil nonce stays nil (random per run anyway).
    public func derivingNonce(_ salt: Int) -> OpenAIWorkload {
        var workload = self
        workload.nonce = nonce.map { PromptHeader.derived($0, salt: UInt64(truncatingIfNeeded: salt)) }
        return workload
    }

    /// The nonce `--seed` gives (the same seed, the same prompts).
    public static func nonce(seed: UInt64) -> UInt64 { PromptHeader.nonce(seed: seed) }

    /// The six symbols a nonce is written as in prompts and results.
    public static func nonceText(_ nonce: UInt64) -> String { PromptHeader.nonceText(nonce) }

    /// The requests of one run: its templates, its nonce and how its prompts were counted.
    func requests(host: String, headers: [HTTPHeader], requestCount: Int?, pathPrefix: String = "") throws(LoadgenError) -> WorkloadRequests {
        if let prepared {
            return WorkloadRequests(templates: try preparedTemplates(prepared, host: host, headers: headers, pathPrefix: pathPrefix),
                                    facts: prepared.facts, nonce: nil)
        }
        let nonce = nonce ?? PromptHeader.nonce(seed: nil)
        let facts = try exactPrompts?.resolve(model: model) ?? PromptFacts(method: .estimate, source: "no tokenizer")
        let templates = try templates(host: host, headers: headers, requestCount: requestCount, pathPrefix: pathPrefix, nonce: nonce)
        return WorkloadRequests(templates: templates, facts: exactPrompts?.facts ?? facts,
                                nonce: prompt == .unique ? PromptHeader.nonceText(nonce) : nil)
    }

    /// Distinct request shapes: one for fixed lengths, else up to 1,024 drawn with the seed.
    func templates(host: String, headers: [HTTPHeader], requestCount: Int?, pathPrefix: String = "",
                   nonce: UInt64? = nil) throws(LoadgenError) -> [RequestTemplate] {
        var generator = SeededGenerator(seed: seed)
        var shapes = inputTokens.isFixed && outputTokens.isFixed ? 1 : min(requestCount ?? 1024, 1024)
        // Enough templates for every starting image, so the images cycle across requests.
        let imageCounts = imagesPerRequest > 0 ? max((maxImagesPerRequest ?? imagesPerRequest) - imagesPerRequest + 1, 1) : 1
        if imagesPerRequest > 0 {
            shapes = max(shapes, imageURLs.count * imageCounts)
            // Large data: URLs are copied into every template; keep all of them under ~256 MiB.
            let averageURL = imageURLs.reduce(0) { $0 + $1.utf8.count } / imageURLs.count
            shapes = max(1, min(shapes, (256 << 20) / max(averageURL * (imagesPerRequest + imageCounts - 1), 1)))
        }
        var templates: [RequestTemplate] = []
        templates.reserveCapacity(shapes)
        var firstImage = 0
        for shape in 0..<shapes {
            let input = inputTokens.draw(&generator)
            let output = outputTokens.draw(&generator)
            let images = imagesPerRequest + shape % imageCounts
            templates.append(try template(host: host, headers: headers, inputTokens: input, outputTokens: output,
                                          pathPrefix: pathPrefix, firstImage: firstImage, images: images, nonce: nonce))
            firstImage += images
        }
        return templates
    }

    func template(host: String, headers: [HTTPHeader], inputTokens: Int, outputTokens: Int,
                  pathPrefix: String = "", firstImage: Int = 0, images: Int? = nil, nonce: UInt64? = nil) throws(LoadgenError) -> RequestTemplate {
        let imageCount = images ?? imagesPerRequest
        let promptText: String
        var header: [UInt8]?
        switch prompt {
        case .fixed:
            promptText = String(repeating: SeedProtocol.fixedPromptText, count: inputTokens / SeedProtocol.promptTokensPerRepeat)
        case .unique:
            // Every unique text starts with the placeholder header: the run's nonce goes over its
            // first symbols here, each request's number over the rest as it is sent.
            let text = try exactPrompts?.text(inputTokens: inputTokens, model: model, endpoint: endpoint)
                ?? Self.uniquePrompt(inputTokens: inputTokens)
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBytes { raw in
                PromptHeader.write((nonce ?? self.nonce ?? 0) % PromptHeader.nonceValues, positions: 0,
                                   count: PromptHeader.nonceSymbols, into: raw, at: PromptHeader.nonceOffset)
            }
            header = [UInt8(ascii: "\"")] + bytes[0..<PromptHeader.width]
            promptText = String(decoding: bytes, as: UTF8.self)
        }
        var body = "{\"model\":" + JSONValue.string(model).serialized()
        switch endpoint {
        case .chat where imageCount > 0:
            // The seeds' shape: a text part, then one image_url part per image.
            body += ",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":" + JSONValue.string(promptText).serialized() + "}"
            for image in 0..<imageCount {
                let url = imageURLs[(firstImage + image) % imageURLs.count]
                body += ",{\"type\":\"image_url\",\"image_url\":{\"url\":" + JSONValue.string(url).serialized() + "}}"
            }
            body += "]}]"
        case .chat: body += ",\"messages\":[{\"role\":\"user\",\"content\":" + JSONValue.string(promptText).serialized() + "}]"
        case .completions: body += ",\"prompt\":" + JSONValue.string(promptText).serialized()
        }
        body += try bodyOptions(outputTokens: outputTokens)
        let bytes = try serializedRequest(body: Array(body.utf8), host: host, headers: headers, pathPrefix: pathPrefix)
        var counterOffset: Int?
        if let header, let start = ByteSearch.firstIndex(of: header, in: bytes) {
            // After the opening quote, the lead and the nonce.
            counterOffset = start + 1 + PromptHeader.numberOffset
        }
        return RequestTemplate(bytes: bytes, counterOffset: counterOffset, inputTokens: inputTokens, outputTokens: outputTokens)
    }

    /// The members after the prompt: `max_tokens`, then the sampling and streaming options and
    /// `--extra-body`, and the closing brace.
    func bodyOptions(outputTokens: Int) throws(LoadgenError) -> String {
        var body = ",\"max_tokens\":\(outputTokens)"
        if let temperature { body += ",\"temperature\":" + JSONValue.number(temperature).serialized() }
        if ignoreEOS { body += ",\"ignore_eos\":true" }
        if stream {
            body += continuousUsage ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}"
                : ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"
        }
        if let extraBody {
            let inner = try Self.objectMembers(extraBody)
            if !inner.isEmpty { body += "," + inner }
        }
        return body + "}"
    }

    /// The POST of `body` to the endpoint, serialized.
    func serializedRequest(body: [UInt8], host: String, headers: [HTTPHeader], pathPrefix: String) throws(LoadgenError) -> [UInt8] {
        var allHeaders = headers
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            allHeaders.append(HTTPHeader("Content-Type", "application/json"))
        }
        let request = HTTPRequest(method: "POST", target: requestPath ?? pathPrefix + endpoint.path, host: host, headers: allHeaders, body: body)
        do { return try request.serialized() } catch { throw .invalidRequest("a header contains a line break or NUL") }
    }

    /// The placeholder header, then filler words up to ~4 characters per token (the seeds' rule).
    /// Built as bytes: a 128,000-token prompt is half a megabyte, and String.count is O(n).
    static func uniquePrompt(inputTokens: Int) -> String {
        let lead = Array(PromptHeader.text(nonce: 0, number: 0).utf8)
        let target = max(inputTokens * SeedProtocol.charactersPerToken, lead.count)
        let words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "then", "explains", "why"]
            .map { Array(($0 + " ").utf8) }
        var text = lead
        text.reserveCapacity(target + 16)
        var index = 0
        while text.count < target {
            text += words[index % words.count]
            index += 1
        }
        return String(decoding: text.prefix(target), as: UTF8.self)
    }

    /// The members of a JSON object's text, without its braces; refuses anything but an object.
    static func objectMembers(_ text: String) throws(LoadgenError) -> String {
        let trimmed = text.trimmingCharacters()
        guard trimmed.hasPrefix("{"), trimmed.hasSuffix("}") else {
            throw .invalidPlan("--extra-body must be a JSON object like '{\"top_p\":0.9}'")
        }
        var validator = JSONValidator()
        Array(trimmed.utf8).withUnsafeBytes { validator.feed($0) }
        guard validator.finish() else { throw .invalidPlan("--extra-body is not valid JSON: \(text)") }
        return String(trimmed.dropFirst().dropLast()).trimmingCharacters()
    }
}

/// The requests of one run, before they are copied into the run's `RequestSet`.
struct WorkloadRequests {
    var templates: [RequestTemplate]
    var facts: PromptFacts
    /// The run's nonce as written in its prompts; nil with fixed prompts.
    var nonce: String?
}

/// One pre-serialized request, with where its request number goes (unique prompts).
struct RequestTemplate: Sendable, Equatable {
    var bytes: [UInt8]
    var counterOffset: Int?
    var inputTokens: Int
    var outputTokens: Int
}
