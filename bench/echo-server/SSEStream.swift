/// One streamed completion in progress: OpenAI chunk-format SSE events over a chunked body, one
/// token per event, on a schedule (first token after the TTFT, then one every ITL).
struct SSEStream {
    let id: Int
    let chat: Bool
    let model: [UInt8]
    let promptTokens: Int
    let completionTokens: Int
    /// When each token is due.
    let schedule: TokenSchedule
    private(set) var sentTokens = 0
    /// The framed events, built once when the stream starts, so that a token costs one copy and
    /// no allocation (at 1,000 streams of 100 tokens/s each, building every event cost three
    /// allocations per token and made echo-server, the reference peer, late on its own timers):
    /// the first token's, the one every token between the first and the last shares, and the
    /// last token's with everything after it (the usage event, `[DONE]`, the terminating chunk).
    private var firstEvent: [UInt8] = []
    private var middleEvent: [UInt8] = []
    private var lastEventAndEnd: [UInt8] = []

    init(id: Int, chat: Bool, model: [UInt8], promptTokens: Int, completionTokens: Int,
         firstDueNanoseconds: UInt64, interTokenNanoseconds: UInt64) {
        self.id = id
        self.chat = chat
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = max(completionTokens, 1)
        schedule = TokenSchedule(firstDueNanoseconds: firstDueNanoseconds, interTokenNanoseconds: interTokenNanoseconds)
        // Every event starts with the same id, object and model: built once, and each event is
        // built in one scratch buffer sized for it, so a stream starts with six allocations.
        var prefix: [UInt8] = []
        prefix.reserveCapacity(112 + model.count)
        appendChunkPrefix(into: &prefix)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(prefix.count + 96)
        let framed = prefix.count + 112
        if self.completionTokens > 1 {
            firstEvent.reserveCapacity(framed)
            appendEvent(token: 0, prefix: prefix, scratch: &scratch, into: &firstEvent)
        }
        if self.completionTokens > 2 {
            middleEvent.reserveCapacity(framed)
            appendEvent(token: 1, prefix: prefix, scratch: &scratch, into: &middleEvent)
        }
        lastEventAndEnd.reserveCapacity(2 * framed + 64)
        appendEvent(token: self.completionTokens - 1, prefix: prefix, scratch: &scratch, into: &lastEventAndEnd)
        appendEnd(prefix: prefix, scratch: &scratch, into: &lastEventAndEnd)
    }

    var isFinished: Bool { sentTokens >= completionTokens }

    /// When the next token is due (absolute, so lateness never accumulates).
    var nextDueNanoseconds: UInt64 { schedule.dueNanoseconds(ofToken: sentTokens) }

    /// When token `index` (0-based) is due.
    func dueNanoseconds(ofToken index: Int) -> UInt64 { schedule.dueNanoseconds(ofToken: index) }

    static func appendHead(into output: inout [UInt8]) {
        output.append(ascii: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n")
    }

    /// Appends every token due by `now`; after the last one, the usage event, `[DONE]` and the
    /// terminating chunk.
    mutating func appendDue(now: UInt64, into output: inout [UInt8]) {
        while !isFinished, nextDueNanoseconds <= now {
            if sentTokens == completionTokens - 1 {
                output.append(contentsOf: lastEventAndEnd)
            } else if sentTokens == 0 {
                output.append(contentsOf: firstEvent)
            } else {
                output.append(contentsOf: middleEvent)
            }
            sentTokens += 1
        }
    }

    /// What follows the last token: the usage event, `[DONE]` and the terminating chunk.
    private func appendEnd(prefix: [UInt8], scratch usage: inout [UInt8], into output: inout [UInt8]) {
        usage.removeAll(keepingCapacity: true)
        usage.append(ascii: "data: ")
        usage.append(contentsOf: prefix)
        usage.append(ascii: #"[],"usage":{"prompt_tokens":"#)
        usage.append(decimal: promptTokens)
        usage.append(ascii: #","completion_tokens":"#)
        usage.append(decimal: completionTokens)
        usage.append(ascii: #","total_tokens":"#)
        usage.append(decimal: promptTokens + completionTokens)
        usage.append(ascii: "}}\n\n")
        Self.appendChunk(usage, into: &output)
        output.append(ascii: "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
    }

    /// The framed event of token `token` (0-based): text "echo" first, " echo" after, and the
    /// last one with finish_reason "length".
    private func appendEvent(token: Int, prefix: [UInt8], scratch event: inout [UInt8], into output: inout [UInt8]) {
        event.removeAll(keepingCapacity: true)
        event.append(ascii: "data: ")
        event.append(contentsOf: prefix)
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
        output.append(hex: bytes.count)
        output.append(ascii: "\r\n")
        output.append(contentsOf: bytes)
        output.append(ascii: "\r\n")
    }
}

/// When a stream's tokens are due: the first at `firstDueNanoseconds` (the request's arrival plus
/// the TTFT and any prefill), then one every `interTokenNanoseconds`. Absolute times from the
/// start, so a late token never makes the ones after it late.
struct TokenSchedule {
    let firstDueNanoseconds: UInt64
    let interTokenNanoseconds: UInt64

    /// When token `index` (0-based) is due.
    @inline(__always)
    func dueNanoseconds(ofToken index: Int) -> UInt64 { firstDueNanoseconds &+ UInt64(index) &* interTokenNanoseconds }
}
