import Glibc
import HTTPWire
import Loadgen

/// The OpenAI workload flags shared by `run`, `bench` and `latency`: where the server is, which
/// model, and how requests are built. Lengths and images are per command (`bench` sets them per test).
struct OpenAIOptions {
    var baseURL = "http://localhost:8000"
    var model: String?
    var endpoint = OpenAIWorkload.Endpoint.chat
    var inputTokens = TokenCount.fixed(500)
    var outputTokens = TokenCount.fixed(100)
    var prompt = OpenAIWorkload.PromptStyle.unique
    var stream = false
    var temperature: Double?
    var ignoreEOS = false
    var extraBody: String?
    var seed: UInt64 = 0
    var images = 0
    var imageURLs: [String] = []
    var headers: [HTTPHeader] = []
    /// The OpenAI-only flags given, so `run URL` can refuse them by name.
    var given: [String] = []

    static let help = """
          --base-url URL          server (default http://localhost:8000)
          --model NAME            default: the first id from GET /v1/models
          --completions           /v1/completions with a prompt (default /v1/chat/completions)
          --prompt unique|fixed   unique (default): a distinct request number leads every prompt,
                                  so a prefix cache cannot serve it; fixed: the seeds' repeated text
          --stream                stream: true, with stream_options.include_usage (adds TTFT, TPOT, ITL)
          --temperature T, --ignore-eos, --extra-body JSON
          --image-url URL         image to send, repeatable (default: the seeds' three URLs)
          --image-file PATH       image file sent as a base64 data: URL, repeatable
      -H, --header 'K: V'         extra header, repeatable
          --seed N                lengths, images and arrival times are a function of it (default 0)
          (OPENAI_API_KEY, when set, is sent as Authorization: Bearer unless -H gives one)
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--base-url": baseURL = try cursor.value(for: argument)
        case "--model": model = try cursor.value(for: argument)
        case "--completions": endpoint = .completions
        case "--input-tokens":
            let text = try cursor.value(for: argument)
            guard let count = TokenCount(text, minimum: 1), count.upperBound <= 1_000_000 else {
                throw UsageError("--input-tokens must be N or A:B with 1 <= A <= B <= 1000000, got '\(text)'")
            }
            inputTokens = count
        case "--max-tokens", "--output-tokens":
            let text = try cursor.value(for: argument)
            guard let count = TokenCount(text, minimum: 1), count.upperBound <= 10_000_000 else {
                throw UsageError("\(argument) must be N or A:B with 1 <= A <= B <= 10000000, got '\(text)'")
            }
            outputTokens = count
        case "--prompt":
            let text = try cursor.value(for: argument)
            switch text {
            case "unique": prompt = .unique
            case "fixed": prompt = .fixed
            default: throw UsageError("--prompt must be unique or fixed, got '\(text)'")
            }
        case "--stream": stream = true
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
            return true  // also valid for URL runs
        case "--seed":
            let text = try cursor.value(for: argument)
            guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer, got '\(text)'") }
            seed = value
            return true  // also seeds open-loop arrivals of URL runs
        default:
            return false
        }
        given.append(argument)
        return true
    }

    /// The workload these options describe (model may still be empty: see `resolveModel`).
    func workload() throws(UsageError) -> OpenAIWorkload {
        var workload = OpenAIWorkload(model: model ?? "")
        workload.endpoint = endpoint
        workload.inputTokens = inputTokens
        workload.outputTokens = outputTokens
        workload.prompt = prompt
        workload.stream = stream
        workload.temperature = temperature
        workload.ignoreEOS = ignoreEOS
        workload.extraBody = extraBody
        workload.seed = seed
        workload.imagesPerRequest = images
        if !imageURLs.isEmpty { workload.imageURLs = imageURLs }
        do { try workload.validate() } catch { throw UsageError(error.description) }
        return workload
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

    /// The model to use: `--model`, or the first id of GET /v1/models under the base URL.
    /// Returns a one-line error message when there is none.
    static func resolveModel(_ model: String?, target: HTTPTarget, headers: [HTTPHeader]) -> Result<String, ModelLookupError> {
        if let model, !model.isEmpty { return .success(model) }
        let path = (target.path.hasSuffix("/") ? String(target.path.dropLast()) : target.path) + "/v1/models"
        do {
            let answer = try HTTPFetch.get(target, path: path, headers: headers)
            guard answer.status == 200, let id = ModelList.firstID(in: answer.body) else {
                return .failure(ModelLookupError(message: "\(target.url)v1/models listed no model (HTTP \(answer.status)); give --model"))
            }
            return .success(id)
        } catch {
            return .failure(ModelLookupError(message: "cannot list models: \(error); give --model or check --base-url"))
        }
    }

    struct ModelLookupError: Error { let message: String }

    static func parseHeader(_ text: String) throws(UsageError) -> HTTPHeader {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw UsageError("--header must look like 'Name: value', got '\(text)'")
        }
        let name = String(text[..<colon]).trimmingSpaces()
        let value = String(text[text.index(after: colon)...]).trimmingSpaces()
        guard !name.isEmpty, !name.contains(" ") else { throw UsageError("--header name is empty or has spaces in '\(text)'") }
        return HTTPHeader(name, value)
    }
}
