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

    init(id: Int, chat: Bool, model: [UInt8], promptTokens: Int, completionTokens: Int,
         firstDueNanoseconds: UInt64, interTokenNanoseconds: UInt64) {
        self.id = id
        self.chat = chat
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = max(completionTokens, 1)
        self.firstDueNanoseconds = firstDueNanoseconds
        self.interTokenNanoseconds = interTokenNanoseconds
    }

    var isFinished: Bool { sentTokens >= completionTokens }

    /// When the next token is due (absolute, so lateness never accumulates).
    var nextDueNanoseconds: UInt64 { firstDueNanoseconds &+ UInt64(sentTokens) &* interTokenNanoseconds }

    static func appendHead(into output: inout [UInt8]) {
        output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n")
    }

    /// Appends every token due by `now`; after the last one, the usage event, `[DONE]` and the
    /// terminating chunk.
    mutating func appendDue(now: UInt64, into output: inout [UInt8]) {
        while !isFinished, nextDueNanoseconds <= now {
            var event: [UInt8] = []
            event.append(ascii: "data: ")
            appendChunkPrefix(into: &event)
            event.append(ascii: chat ? #"[{"index":0,"delta":{"content":"#  : #"[{"index":0,"text":"#)
            event.append(ascii: sentTokens == 0 ? #""echo""# : #"" echo""#)
            sentTokens += 1
            event.append(ascii: chat ? "}," : ",")
            event.append(ascii: isFinished ? #""finish_reason":"length"}]}"# : #""finish_reason":null}]}"#)
            event.append(ascii: "\n\n")
            Self.appendChunk(event, into: &output)
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
