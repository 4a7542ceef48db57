/// One streamed completion in progress: OpenAI chunk-format SSE events over a chunked body, one
/// token per event, on a schedule (first token after the TTFT, then one every ITL).
struct SSEStream {
    let id: Int
    let chat: Bool
    let model: [UInt8]
    let promptTokens: Int
    let completionTokens: Int
    /// Monotonic time the first content event is due, and the gap between events.
    let firstDueNanoseconds: UInt64
    let interTokenNanoseconds: UInt64
    private(set) var sentTokens = 0
    /// The framed event of every token but the first and the last, which are all the same bytes:
    /// built once per stream, so a token costs a copy (at 1,000 streams of 100 tokens/s each,
    /// building every event cost three allocations per token and made echo-server, the reference
    /// peer, late on its own timers).
    private var middleEvent: [UInt8] = []

    init(id: Int, chat: Bool, model: [UInt8], promptTokens: Int, completionTokens: Int,
         firstDueNanoseconds: UInt64, interTokenNanoseconds: UInt64) {
        self.id = id
        self.chat = chat
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = max(completionTokens, 1)
        self.firstDueNanoseconds = firstDueNanoseconds
        self.interTokenNanoseconds = interTokenNanoseconds
        if self.completionTokens > 2 { appendEvent(token: 1, into: &middleEvent) }
    }

    var isFinished: Bool { sentTokens >= completionTokens }

    /// When the next token is due (absolute, so lateness never accumulates).
    var nextDueNanoseconds: UInt64 { dueNanoseconds(ofToken: sentTokens) }

    /// When token `index` (0-based) is due.
    func dueNanoseconds(ofToken index: Int) -> UInt64 { firstDueNanoseconds &+ UInt64(index) &* interTokenNanoseconds }

    static func appendHead(into output: inout [UInt8]) {
        output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n")
    }

    /// Appends every token due by `now`; after the last one, the usage event, `[DONE]` and the
    /// terminating chunk.
    mutating func appendDue(now: UInt64, into output: inout [UInt8]) {
        while !isFinished, nextDueNanoseconds <= now {
            if sentTokens > 0, sentTokens < completionTokens - 1 {
                output.append(contentsOf: middleEvent)
            } else {
                appendEvent(token: sentTokens, into: &output)
            }
            sentTokens += 1
        }
        guard isFinished else { return }
        var usage: [UInt8] = []
        usage.append(ascii: "data: ")
        appendChunkPrefix(into: &usage)
        usage.append(ascii: #"[],"usage":{"prompt_tokens":"#)
        usage.append(decimal: promptTokens)
        usage.append(ascii: #","completion_tokens":"#)
        usage.append(decimal: completionTokens)
        usage.append(ascii: #","total_tokens":"#)
        usage.append(decimal: promptTokens + completionTokens)
        usage.append(ascii: "}}\n\n")
        Self.appendChunk(usage, into: &output)
        Self.appendChunk(Array("data: [DONE]\n\n".utf8), into: &output)
        output.append(ascii: "0\r\n\r\n")
    }

    /// The framed event of token `token` (0-based): text "echo" first, " echo" after, and the
    /// last one with finish_reason "length".
    private func appendEvent(token: Int, into output: inout [UInt8]) {
        var event: [UInt8] = []
        event.append(ascii: "data: ")
        appendChunkPrefix(into: &event)
        event.append(ascii: chat ? #"[{"index":0,"delta":{"content":"#  : #"[{"index":0,"text":"#)
        event.append(ascii: token == 0 ? #""echo""# : #"" echo""#)
        event.append(ascii: chat ? "}," : ",")
        event.append(ascii: token == completionTokens - 1 ? #""finish_reason":"length"}]}"# : #""finish_reason":null}]}"#)
        event.append(ascii: "\n\n")
        Self.appendChunk(event, into: &output)
    }

    private func appendChunkPrefix(into event: inout [UInt8]) {
        event.append(ascii: chat ? #"{"id":"chatcmpl-echo-"# : #"{"id":"cmpl-echo-"#)
        event.append(decimal: id)
        event.append(ascii: chat ? #"","object":"chat.completion.chunk","created":0,"model":""# : #"","object":"text_completion","created":0,"model":""#)
        event.append(contentsOf: model)
        event.append(ascii: #"","choices":"#)
    }

    /// HTTP/1.1 chunked framing: size in hex, CRLF, bytes, CRLF.
    private static func appendChunk(_ bytes: [UInt8], into output: inout [UInt8]) {
        let digits = Array(String(bytes.count, radix: 16).utf8)
        output.append(contentsOf: digits)
        output.append(ascii: "\r\n")
        output.append(contentsOf: bytes)
        output.append(ascii: "\r\n")
    }
}
