import HTTPWire

/// One response body read as an OpenAI answer while it streams past, keeping no bytes: the token
/// counts of its `usage`, the Server-Sent Events framing of a stream and which of its events are
/// token events (`StreamChunkScanner`), and whether a 200 is a real answer (valid JSON with a
/// choice, or a stream with a token).
///
/// The event loop hands it every body piece (`scan`), then a plain answer's pieces to `validate`
/// when the workload checks answers, a stream's to `nextTokenChunk`; at the end it asks `failure`
/// and `tokens`. The loop knows nothing else about OpenAI.
struct OpenAIResponseCheck {
    private var usage = UsageScanner()
    private var events = SSEParser()
    private var chunk = StreamChunkScanner()
    private var json = JSONValidator()
    private var choices = ChoicesScanner()

    /// Forgets the previous response.
    mutating func reset() {
        usage.reset()
        events.reset()
        chunk.reset()
        json = JSONValidator()
        choices.reset()
    }

    /// The next piece of the body, for its usage counts.
    @inline(__always)
    mutating func scan(_ piece: UnsafeRawBufferPointer) {
        usage.scan(piece)
    }

    /// The same piece of a plain (not streamed) answer, checked for JSON syntax and a choice.
    @inline(__always)
    mutating func validate(_ piece: UnsafeRawBufferPointer) {
        json.feed(piece)
        choices.scan(piece)
    }

    /// Reads a stream's body piece from `offset` through the next token event, and returns it; or
    /// to the piece's end, and returns nil. Call until nil, timing each chunk.
    mutating func nextTokenChunk(in piece: UnsafeRawBufferPointer, offset: inout Int) -> TokenChunk? {
        while true {
            switch events.parse(piece, offset: &offset) {
            case .needMoreInput:
                return nil
            case .data(let range):
                chunk.scan(UnsafeRawBufferPointer(rebasing: piece[range]))
            case .dataLineBreak:
                continue
            case .eventComplete:
                chunk.finish()
                let isToken = chunk.isTokenEvent
                let completionTokens = chunk.completionTokens
                chunk.reset()
                if isToken { return TokenChunk(completionTokens: completionTokens) }
            }
        }
    }

    /// The output tokens of the answer: `usage.completion_tokens`, or one per token event.
    @inline(__always)
    func outputTokens(tokenEvents: Int) -> Int { usage.completionTokens ?? tokenEvents }

    /// Why a complete 2xx answer of an OpenAI workload is not a success, if it is not: a body that
    /// is not JSON, or one with no choice, no token event or no completion tokens.
    mutating func failure(isEventStream: Bool, tokenEvents: Int) -> FailureClass? {
        if isEventStream {
            let tokens = usage.completionTokens ?? tokenEvents
            return tokens > 0 && tokenEvents > 0 ? nil : .empty
        }
        guard json.finish() else { return .invalidJSON }
        guard choices.hasChoice, (usage.completionTokens ?? 1) > 0 else { return .empty }
        return nil
    }

    /// The tokens of a successful answer: the usage counts, or without them the token events of a
    /// stream (one token each), or else none and `withoutUsage`.
    @inline(__always)
    func tokens(tokenEvents: Int) -> AnswerTokens {
        var tokens = AnswerTokens()
        if let prompt = usage.promptTokens { tokens.prompt = UInt64(prompt) }
        if let completion = usage.completionTokens {
            tokens.completion = UInt64(completion)
        } else if tokenEvents > 0 {
            tokens.completion = UInt64(tokenEvents)
        } else if usage.promptTokens == nil {
            tokens.withoutUsage = true
        }
        return tokens
    }
}

/// One token event of a stream: the cumulative `completion_tokens` its chunk carried (vLLM's
/// continuous usage), or -1.
struct TokenChunk {
    var completionTokens: Int
}

/// The tokens one answer reported (0 where it did not say).
struct AnswerTokens {
    var prompt: UInt64 = 0
    var completion: UInt64 = 0
    /// The answer carried no `usage` and no token events.
    var withoutUsage = false
}
