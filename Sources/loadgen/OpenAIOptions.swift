import Glibc
import HTTPWire
import Loadgen

/// The OpenAI workload flags shared by `run`, `bench`, `latency` and `sweep`: where the server is,
/// which model, and how requests are built. Lengths and images are per command (`bench` sets
/// them per test). `vllm bench serve`'s names are accepted beside loadgen's where they mean the
/// same thing (README, "Coming from vllm bench serve").
struct OpenAIOptions {
    var baseURL = "http://localhost:8000"
    var model: String?
    var endpoint = OpenAIWorkload.Endpoint.chat
    /// The command's defaults until a length flag is given.
    var inputTokens = TokenCount.fixed(SeedProtocol.defaultInputTokens)
    var outputTokens = TokenCount.fixed(SeedProtocol.defaultOutputTokens)
    var prompt = OpenAIWorkload.PromptStyle.unique
    var stream = false
    var temperature: Double?
    var ignoreEOS = false
    var extraBody: String?
    var seed: UInt64 = 0
    /// --seed was given: it fixes the prompts' nonce too (else a random one per run).
    var seedGiven = false
    /// `--tokenizer`: a tokenizer.json or model folder, `server` or `estimate`; nil: the server's
    /// `/tokenize` when it answers, else the estimate.
    var tokenizer: String?
    /// `--continuous-usage on|off`; nil: on for streams to a vLLM server.
    var continuousUsage: Bool?
    var images = 0
    var imageURLs: [String] = []
    var headers: [HTTPHeader] = []
    /// The OpenAI-only flags given, so `run URL` can refuse them by name.
    var given: [String] = []

    // vLLM's names: --host/--port instead of --base-url, --endpoint PATH under it, and
    // --random-range-ratio around the lengths.
    private var baseURLFlag: String?
    private var host: String?
    private var port: Int?
    private var endpointPath: String?
    private var endpointFlag: String?
    private var inputLengthFlag: String?
    private var outputLengthFlag: String?
    private var rangeRatio: (input: Double, output: Double)?

    static let help = """
          --base-url URL          server (default http://localhost:8000; https:// too; a trailing /v1 is fine)
          --model NAME            default: the first id from GET /v1/models
          --completions           /v1/completions with a prompt (default /v1/chat/completions)
          --prompt unique|fixed   unique (default): a distinct request number leads every prompt,
                                  so a prefix cache cannot serve it; fixed: the seeds' repeated text
          --tokenizer PATH        count prompt tokens exactly with this tokenizer.json (or the model
                                  folder holding one): --input-tokens N sends N tokens of text
          --tokenizer server|estimate  the server's POST /tokenize (an error if it does not answer),
                                  or ~4 bytes per token; default: the server's when it answers
          --stream                stream: true, with stream_options.include_usage (adds TTFT, TPOT, ITL)
          --continuous-usage on|off  ask for usage in every chunk (default on for vLLM, which is
                                  how chunks of several tokens are told apart)
          --temperature T, --ignore-eos, --extra-body JSON
          --image-url URL         image to send, repeatable (default: the seeds' three URLs)
          --image-file PATH       image file sent as a base64 data: URL, repeatable
      -H, --header 'K: V'         extra header, repeatable (vLLM's KEY=VALUE also works)
          --seed N                lengths, images, arrival times and prompts are a function of it
                                  (default 0; without it every run's prompts get a random nonce)
          (OPENAI_API_KEY, when set, is sent as Authorization: Bearer unless -H gives one)
      vllm bench serve names:   --host H --port P (for --base-url), --endpoint PATH (under the
                                base URL; picks chat or completions), --backend openai|openai-chat,
                                --random-input-len N, --random-output-len N (--input-len,
                                --output-len), --random-range-ratio R (lengths uniform in
                                [N*(1-R), N*(1+R)]), --dataset-name random
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--base-url":
            baseURL = try cursor.value(for: argument)
            baseURLFlag = argument
        case "--host":
            let value = try cursor.value(for: argument)
            guard !value.isEmpty, !value.contains("/") else { throw UsageError("--host must be a host name or address, got '\(value)'") }
            host = value
        case "--port": port = try cursor.int(for: argument, in: 1...65_535)
        case "--endpoint":
            let value = try cursor.value(for: argument)
            guard value.hasPrefix("/") else { throw UsageError("--endpoint must be a path like /v1/chat/completions, got '\(value)'") }
            guard let kind = Self.endpointKind(value) else {
                throw UsageError("--endpoint must end in /chat/completions or /completions (loadgen builds those requests), got '\(value)'")
            }
            try setEndpoint(kind, flag: argument)
            endpointPath = value
        case "--backend":
            let value = try cursor.value(for: argument)
            switch value {
            case "openai", "vllm": try setEndpoint(.completions, flag: "--backend \(value)")
            case "openai-chat": try setEndpoint(.chat, flag: "--backend \(value)")
            default: throw UsageError("--backend must be openai, vllm (completions) or openai-chat (chat), got '\(value)'")
            }
        case "--completions": try setEndpoint(.completions, flag: argument)
        case "--model": model = try cursor.value(for: argument)
        case "--input-tokens", "--random-input-len", "--input-len":
            let text = try cursor.value(for: argument)
            guard let count = TokenCount(text, minimum: 1), count.upperBound <= 1_000_000,
                  argument == "--input-tokens" || count.isFixed else {
                throw UsageError(argument == "--input-tokens"
                    ? "--input-tokens must be N or A:B with 1 <= A <= B <= 1000000, got '\(text)'"
                    : "\(argument) must be an integer from 1 to 1000000, got '\(text)'")
            }
            try claimLength(&inputLengthFlag, argument)
            inputTokens = count
        case "--max-tokens", "--output-tokens", "--random-output-len", "--output-len":
            let text = try cursor.value(for: argument)
            let vLLM = argument.hasPrefix("--random") || argument == "--output-len"
            guard let count = TokenCount(text, minimum: 1), count.upperBound <= 10_000_000, !vLLM || count.isFixed else {
                throw UsageError(vLLM ? "\(argument) must be an integer from 1 to 10000000, got '\(text)'"
                    : "\(argument) must be N or A:B with 1 <= A <= B <= 10000000, got '\(text)'")
            }
            try claimLength(&outputLengthFlag, argument)
            outputTokens = count
        case "--random-range-ratio": rangeRatio = try Self.parseRangeRatio(try cursor.value(for: argument))
        case "--dataset-name":
            let value = try cursor.value(for: argument)
            guard value == "random" else {
                throw UsageError("--dataset-name \(value): give loadgen's flag instead: --dataset sharegpt:PATH (sharegpt), --dataset jsonl:PATH "
                    + "(custom), --trace PATH (timed_trace, Mooncake), --shared-prefix-tokens N --prefixes K (prefix_repetition)")
            }
        case "--prompt":
            let text = try cursor.value(for: argument)
            switch text {
            case "unique": prompt = .unique
            case "fixed": prompt = .fixed
            default: throw UsageError("--prompt must be unique or fixed, got '\(text)'")
            }
        case "--stream": stream = true
        case "--tokenizer":
            let value = try cursor.value(for: argument)
            guard !value.isEmpty else { throw UsageError("--tokenizer needs a tokenizer.json, a model folder, server or estimate") }
            tokenizer = value
        case "--continuous-usage":
            let value = try cursor.value(for: argument)
            switch value {
            case "on": continuousUsage = true
            case "off": continuousUsage = false
            default: throw UsageError("--continuous-usage must be on or off, got '\(value)'")
            }
        case "--temperature": temperature = try cursor.double(for: argument)
        case "--ignore-eos": ignoreEOS = true
        case "--extra-body": extraBody = try cursor.value(for: argument)
        case "--images": images = try cursor.int(for: argument, in: 0...64)
        case "--image-url": imageURLs.append(try cursor.value(for: argument))
        case "--image-file":
            let path = try cursor.value(for: argument)
            let bytes = try FileInput.read(path)
            do { imageURLs.append(try OpenAIWorkload.dataURL(image: bytes, fileName: path)) } catch {
                throw UsageError(error.description)
            }
        case "-H", "--header":
            headers.append(try Self.parseHeader(try cursor.value(for: argument)))
            // vLLM takes several at once: --header a=1 b=2.
            while let next = cursor.peek(), next.contains("="), !next.contains(":"), !next.hasPrefix("-") {
                headers.append(try Self.parseHeader(next))
                _ = cursor.next()
            }
            return true  // also valid for URL runs
        case "--seed":
            let text = try cursor.value(for: argument)
            guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer, got '\(text)'") }
            seed = value
            seedGiven = true
            return true  // also seeds open-loop arrivals of URL runs
        default:
            return false
        }
        given.append(argument)
        return true
    }

    /// Whether an output length flag was given (it then overrides a dataset's own lengths).
    var outputTokensGiven: Bool { outputLengthFlag != nil }

    /// A second, different way of choosing the endpoint is a contradiction, not an override.
    private mutating func setEndpoint(_ kind: OpenAIWorkload.Endpoint, flag: String) throws(UsageError) {
        if let endpointFlag, kind != endpoint {
            throw UsageError("\(flag) asks for \(kind == .chat ? "chat" : "completion") requests but \(endpointFlag) asked for \(endpoint == .chat ? "chat" : "completion") requests")
        }
        endpoint = kind
        endpointFlag = flag
    }

    private func claimLength(_ slot: inout String?, _ flag: String) throws(UsageError) {
        if let previous = slot, previous != flag { throw UsageError("give \(previous) or \(flag), not both: they set the same length") }
        slot = flag
    }

    /// vLLM's `--random-range-ratio`: one number for both lengths, or `{"input": R, "output": R}`;
    /// each in [0, 1).
    static func parseRangeRatio(_ text: String) throws(UsageError) -> (input: Double, output: Double) {
        let problem = UsageError("--random-range-ratio must be a number in [0, 1) or {\"input\": R, \"output\": R}, got '\(text)'")
        func checked(_ value: Double?) throws(UsageError) -> Double {
            guard let value, value.isFinite, value >= 0, value < 1 else { throw problem }
            return value
        }
        if let single = Double(text) {
            let ratio = try checked(single)
            return (ratio, ratio)
        }
        guard let json = try? JSONParser.parse(text), case .object(let members) = json else { throw problem }
        func member(_ name: String) throws(UsageError) -> Double {
            guard let value = members.first(where: { $0.0 == name })?.1, let number = value.doubleValue else { throw problem }
            return try checked(number)
        }
        return (try member("input"), try member("output"))
    }

    /// "chat/completions" or "completions" at the end of an endpoint path.
    static func endpointKind(_ path: String) -> OpenAIWorkload.Endpoint? {
        let bare = path.split(separator: "?").first.map(String.init) ?? path
        if bare.hasSuffix("/chat/completions") { return .chat }
        if bare.hasSuffix("/completions") { return .completions }
        return nil
    }

    /// The server: `--base-url`, or vLLM's `--host`/`--port` (127.0.0.1 and 8000 by default, as
    /// vLLM's), or loadgen's default.
    func target() throws(UsageError) -> HTTPTarget {
        var url = baseURL
        if host != nil || port != nil {
            if let baseURLFlag { throw UsageError("give \(baseURLFlag) or --host/--port, not both") }
            let name = host ?? "127.0.0.1"
            url = "http://\(name.contains(":") && !name.hasPrefix("[") ? "[\(name)]" : name):\(port ?? 8000)"
        }
        do { return try HTTPTarget(url: url) } catch { throw UsageError(error.description) }
    }

    /// The workload these options describe (model may still be empty: see `prepare`).
    func workload() throws(UsageError) -> OpenAIWorkload {
        var workload = OpenAIWorkload(model: model ?? "")
        workload.endpoint = endpoint
        workload.inputTokens = try Self.applyingRatio(rangeRatio?.input, to: inputTokens, flag: inputLengthFlag ?? "the input length")
        workload.outputTokens = try Self.applyingRatio(rangeRatio?.output, to: outputTokens, flag: outputLengthFlag ?? "the output length")
        if let endpointPath {
            // vLLM's rule: the request URL is the base URL followed by the endpoint.
            let base = try target().path
            workload.requestPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + endpointPath
        }
        workload.prompt = prompt
        workload.stream = stream
        workload.temperature = temperature
        workload.ignoreEOS = ignoreEOS
        workload.extraBody = extraBody
        workload.seed = seed
        if seedGiven { workload.nonce = OpenAIWorkload.nonce(seed: seed) }
        if let tokenizer, tokenizer != "server", tokenizer != "estimate" {
            do {
                workload.exactPrompts = ExactPrompts(source: .tokenizer(try Tokenizer(path: tokenizer), name: tokenizer), seed: seed)
            } catch {
                throw UsageError("--tokenizer: \(error)")
            }
        }
        if let continuousUsage { workload.continuousUsage = continuousUsage && stream }
        workload.imagesPerRequest = images
        if !imageURLs.isEmpty { workload.imageURLs = imageURLs }
        do { try workload.validate() } catch { throw UsageError(error.description) }
        return workload
    }

    private static func applyingRatio(_ ratio: Double?, to count: TokenCount, flag: String) throws(UsageError) -> TokenCount {
        guard let ratio, ratio > 0 else { return count }
        guard case .fixed(let length) = count else {
            throw UsageError("--random-range-ratio spreads a single length; \(flag) already gives a range (\(count))")
        }
        return TokenCount.vLLMRange(length: length, ratio: ratio)
    }

    /// The headers to send: -H ones, plus OPENAI_API_KEY as a bearer token unless one was given.
    var requestHeaders: [HTTPHeader] {
        var all = headers
        if !all.contains(where: { $0.name.lowercased() == "authorization" }),
           let key = getenv("OPENAI_API_KEY").map({ String(cString: $0) }), !key.isEmpty {
            all.append(HTTPHeader("Authorization", "Bearer \(key)"))
        }
        return all
    }

    /// What to learn from the server before the run: `--model` (or none), `--tokenizer`, and
    /// `--continuous-usage` when given.
    struct ServerLookup {
        var model: String?
        var tokenizer: String?
        var continuousUsage: Bool?
    }

    var serverLookup: ServerLookup { ServerLookup(model: model, tokenizer: tokenizer, continuousUsage: continuousUsage) }

    /// Gets `workload` ready for the server: the model (`--model`, or the first id of GET
    /// /v1/models), continuous usage for streams when that list says the server is vLLM (unless
    /// `--continuous-usage` said), and the server's tokenizer for exact prompts unless
    /// `--tokenizer` chose another way (it answers, or not, when the first run starts: a sweep's
    /// server may only be up after its restart). Returns a one-line error when there is no model;
    /// a signal ends the wait at once.
    static func prepare(_ workload: inout OpenAIWorkload, _ lookup: ServerLookup, target: HTTPTarget, headers: [HTTPHeader],
                        tls: TLSClientConfiguration, signals: SignalWatcher?) -> ModelLookupError? {
        var owner: String?
        if lookup.model == nil || (workload.stream && lookup.continuousUsage == nil) {
            switch models(target: target, headers: headers, tls: tls, signals: signals) {
            case .success(let answer):
                owner = ModelList.firstOwner(in: answer.body)
                if lookup.model == nil {
                    guard answer.status == 200, let id = ModelList.firstID(in: answer.body) else {
                        return ModelLookupError(message: "\(modelsURL(target)) listed no model (HTTP \(answer.status)); give --model")
                    }
                    workload.model = id
                }
            case .failure(let error):
                if lookup.model == nil || error.signal != nil { return error }
            }
        }
        if let model = lookup.model { workload.model = model }
        if workload.stream, lookup.continuousUsage == nil { workload.continuousUsage = owner == "vllm" }
        switch lookup.tokenizer {
        case nil, "server"?:
            workload.exactPrompts = ExactPrompts(source: .server(ServerTokenizer(target: target, headers: headers, tls: tls, signals: signals),
                                                                 required: lookup.tokenizer != nil), seed: workload.seed)
        case "estimate"?:
            workload.exactPrompts = nil
        default:
            break  // a tokenizer file, loaded with the options
        }
        return nil
    }

    private static func modelsURL(_ target: HTTPTarget) -> String { target.url(path: target.openAIBasePath + "/v1/models") }

    private static func models(target: HTTPTarget, headers: [HTTPHeader], tls: TLSClientConfiguration,
                               signals: SignalWatcher?) -> Result<HTTPFetch.Response, ModelLookupError> {
        do {
            return .success(try HTTPFetch.get(target, path: target.openAIBasePath + "/v1/models", headers: headers, signals: signals, tls: tls))
        } catch {
            if case .interrupted(let signal) = error { return .failure(ModelLookupError(message: "\(error)", signal: signal)) }
            return .failure(ModelLookupError(message: "cannot list models: \(error); give --model or check --base-url"))
        }
    }

    struct ModelLookupError: Error {
        let message: String
        /// Set when SIGINT or SIGTERM ended the lookup: exit 128 + signal, no message.
        var signal: Int32?
    }

    /// `Name: value` (or vLLM's `Name=value`). A CR, LF or other control character would split
    /// the header into two on the wire, so it is refused here, with the reason.
    static func parseHeader(_ text: String) throws(UsageError) -> HTTPHeader {
        if let bad = text.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
            let name = bad == "\r" ? "a carriage return (CR)" : bad == "\n" ? "a line feed (LF)" : "a control character"
            throw UsageError("--header contains \(name), which would end the header early: '\(text.debugDescription.dropFirst().dropLast())'")
        }
        let separator = text.firstIndex(of: ":") ?? text.firstIndex(of: "=")
        guard let separator, separator != text.startIndex else {
            throw UsageError("--header must look like 'Name: value' (or Name=value), got '\(text)'")
        }
        let name = String(text[..<separator]).trimmingSpaces()
        let value = String(text[text.index(after: separator)...]).trimmingSpaces()
        guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { throw UsageError("--header name is empty or has spaces in '\(text)'") }
        return HTTPHeader(name, value)
    }
}
