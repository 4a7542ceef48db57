import Glibc

/// Writes echo-server's responses: OpenAI-shaped JSON, health, model list, errors.
struct OpenAIResponder {
    let modelName: [UInt8]
    private var responseCounter = 0
    /// The last completion request body and the full keep-alive response it got. A benchmark sends
    /// the same body over and over; answering it from here costs a compare and a copy instead of a
    /// scan and a JSON build, which keeps echo-server's CPU per request below nginx's.
    private var cachedRoute: RequestHead.Route = .notFound
    private var cachedBody: [UInt8] = []
    private var cachedResponse: [UInt8] = []
    /// The cached answer's usage, for `--metrics`.
    private var cachedTokens = (prompt: 0, generation: 0)
    /// With `--metrics`: all loops' counts (for /metrics) and this loop's (to add to).
    private let metrics: EchoMetrics?
    private let counts: EchoMetrics.LoopCounts?

    init(modelName: String, metrics: (all: EchoMetrics, loop: EchoMetrics.LoopCounts)? = nil) {
        self.modelName = Array(modelName.utf8)
        self.metrics = metrics?.all
        counts = metrics?.loop
    }

    /// Appends the full response to `request` (head already parsed, body in `body`) to `output`.
    /// When a completion asks for `"stream": true`, the streaming head is appended and the stream
    /// returned for the caller to schedule; every other answer is appended whole and nil returned.
    /// `counted`: the answer is really sent, so `--metrics` counts it (a fault's mangled answer
    /// is not).
    mutating func respond(to head: RequestHead, body: UnsafeRawBufferPointer, into output: inout [UInt8],
                          timing: StreamTiming, counted: Bool = true) -> SSEStream? {
        let counts = counted ? counts : nil
        switch head.route {
        case .chatCompletions, .completions:
            let cacheable = head.keepAlive && !head.isHead
            if cacheable, head.route == cachedRoute, sameBytes(body, cachedBody) {
                output.append(contentsOf: cachedResponse)
                counts?.answered(promptTokens: cachedTokens.prompt, generationTokens: cachedTokens.generation)
                return nil
            }
            let fields = RequestBodyFields(body)
            responseCounter &+= 1
            if fields.stream, !head.isHead {
                let promptTokens = body.count / 4
                counts?.streamStarted(promptTokens: promptTokens)
                let prefill = UInt64(timing.prefillNanosecondsPerToken * Double(promptTokens))
                SSEStream.appendHead(into: &output)
                return SSEStream(id: responseCounter, chat: head.route == .chatCompletions,
                                 model: fields.model.map { Array(body[$0]) } ?? modelName,
                                 promptTokens: promptTokens, completionTokens: fields.maxTokens,
                                 firstDueNanoseconds: timing.arrivalNanoseconds &+ timing.ttftNanoseconds &+ prefill,
                                 interTokenNanoseconds: timing.itlNanoseconds)
            }
            let json = completionBody(chat: head.route == .chatCompletions, fields: fields, body: body)
            let start = output.count
            appendResponse(status: "200 OK", json: json, head: head, into: &output)
            if !head.isHead { counts?.answered(promptTokens: body.count / 4, generationTokens: fields.maxTokens) }
            if cacheable {
                cachedRoute = head.route
                cachedBody = Array(body)
                cachedResponse = Array(output[start...])
                cachedTokens = (body.count / 4, fields.maxTokens)
            }
            return nil
        case .metrics where metrics != nil:
            let text = metrics!.exposition()
            output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: ")
            output.append(decimal: text.count)
            output.append(ascii: head.keepAlive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
            if !head.isHead { output.append(contentsOf: text) }
            return nil
        case .health:
            appendResponse(status: "200 OK", json: [], head: head, into: &output)
            return nil
        case .models:
            var json: [UInt8] = []
            json.append(ascii: #"{"object":"list","data":[{"id":""#)
            json.append(contentsOf: modelName)
            json.append(ascii: #"","object":"model","created":0,"owned_by":"loadgen-echo-server"}]}"#)
            appendResponse(status: "200 OK", json: json, head: head, into: &output)
            return nil
        case .notFound, .stats, .metrics:
            // GET /stats and GET /metrics are answered by the loop, and only with --stats or --metrics.
            appendResponse(status: "404 Not Found", json: Self.errorJSON("not found", code: 404), head: head, into: &output)
            return nil
        }
    }

    /// A 200 with `json` as its body (GET /stats).
    func respond(json: [UInt8], to head: RequestHead, into output: inout [UInt8]) {
        appendResponse(status: "200 OK", json: json, head: head, into: &output)
    }

    /// memcmp, not `elementsEqual`: the generic walk cost echo-server 2% of its CPU per request.
    private func sameBytes(_ body: UnsafeRawBufferPointer, _ cached: [UInt8]) -> Bool {
        guard body.count == cached.count else { return false }
        return body.isEmpty || cached.withUnsafeBytes { memcmp(body.baseAddress!, $0.baseAddress!, body.count) == 0 }
    }

    /// A refusal, always followed by closing the connection.
    static func appendError(_ error: RequestError, into output: inout [UInt8]) {
        let status: StaticString
        let json: [UInt8]
        switch error {
        case .malformed:
            status = "400 Bad Request"
            json = errorJSON("malformed request", code: 400)
        case .headersTooLarge:
            status = "431 Request Header Fields Too Large"
            json = errorJSON("request header section too large", code: 431)
        case .bodyTooLarge:
            status = "413 Content Too Large"
            json = errorJSON("request body too large", code: 413)
        case .lengthRequired:
            status = "411 Length Required"
            json = errorJSON("chunked request bodies are not supported; send Content-Length", code: 411)
        }
        appendHead(status: status, contentLength: json.count, keepAlive: false, into: &output)
        output.append(contentsOf: json)
    }

    private func completionBody(chat: Bool, fields: RequestBodyFields, body: UnsafeRawBufferPointer) -> [UInt8] {
        // prompt_tokens follows the ~4 bytes per token rule; completion_tokens is what was asked for,
        // so clients can check token accounting exactly.
        let promptTokens = body.count / 4
        let completionTokens = fields.maxTokens
        var json: [UInt8] = []
        json.reserveCapacity(512)
        json.append(ascii: chat ? #"{"id":"chatcmpl-echo-"# : #"{"id":"cmpl-echo-"#)
        json.append(decimal: responseCounter)
        json.append(ascii: chat ? #"","object":"chat.completion","created":0,"model":""# : #"","object":"text_completion","created":0,"model":""#)
        if let model = fields.model {
            json.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[model]))
        } else {
            json.append(contentsOf: modelName)
        }
        json.append(ascii: chat ? #"","choices":[{"index":0,"message":{"role":"assistant","content":""# : #"","choices":[{"index":0,"text":""#)
        // A short filler stands for the generated text; usage carries the real count.
        for index in 0..<min(max(completionTokens, 1), 32) {
            json.append(ascii: index == 0 ? "echo" : " echo")
        }
        json.append(ascii: chat ? #""},"finish_reason":"length"}],"usage":{"prompt_tokens":"# : #"","finish_reason":"length"}],"usage":{"prompt_tokens":"#)
        json.append(decimal: promptTokens)
        json.append(ascii: #","completion_tokens":"#)
        json.append(decimal: completionTokens)
        json.append(ascii: #","total_tokens":"#)
        json.append(decimal: promptTokens + completionTokens)
        json.append(ascii: "}}")
        return json
    }

    private func appendResponse(status: StaticString, json: [UInt8], head: RequestHead, into output: inout [UInt8]) {
        Self.appendHead(status: status, contentLength: json.count, keepAlive: head.keepAlive, into: &output)
        if !head.isHead { output.append(contentsOf: json) }
    }

    private static func appendHead(status: StaticString, contentLength: Int, keepAlive: Bool, into output: inout [UInt8]) {
        output.append(ascii: "HTTP/1.1 ")
        output.append(ascii: status)
        output.append(ascii: "\r\nContent-Type: application/json\r\nContent-Length: ")
        output.append(decimal: contentLength)
        output.append(ascii: keepAlive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
    }

    private static func errorJSON(_ message: StaticString, code: Int) -> [UInt8] {
        var json: [UInt8] = []
        json.append(ascii: #"{"object":"error","message":""#)
        json.append(ascii: message)
        json.append(ascii: #"","type":"invalid_request_error","code":"#)
        json.append(decimal: code)
        json.append(ascii: "}")
        return json
    }
}

/// The stream delays in nanoseconds, and when the request arrived (monotonic; the kernel's
/// receive time where echo-server reads it, `RequestArrival`): a stream's first token is due a
/// TTFT (and any prefill) after it.
struct StreamTiming {
    var arrivalNanoseconds: UInt64
    var ttftNanoseconds: UInt64
    var itlNanoseconds: UInt64
    var prefillNanosecondsPerToken: Double
}
