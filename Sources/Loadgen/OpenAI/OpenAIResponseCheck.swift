import HTTPWire

/// One response body read as an OpenAI answer while it streams past, keeping no bytes: the token
/// counts of its `usage`, the Server-Sent Events framing of a stream and which of its events carry
/// text, and whether a 200 is a real answer (valid JSON with a choice, or a stream with text).
///
/// The event loop hands it every body piece (`scan`), then a plain answer's pieces to `validate`
/// when the workload checks answers, a stream's to `nextTextEvent`; at the end it asks `failure`
/// and `tokens`. The loop knows nothing else about OpenAI.
struct OpenAIResponseCheck {
    private var usage = UsageScanner()
    private var events = SSEParser()
    private var delta = ContentDeltaScanner()
    private var json = JSONValidator()
    private var choices = ChoicesScanner()

    /// Forgets the previous response.
    mutating func reset() {
        usage.reset()
        events.reset()
        delta.reset()
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

    /// Reads a stream's body piece from `offset` through the next event that carries text, and
    /// returns true; or to its end, and returns false. Call until false, timing each true.
    mutating func nextTextEvent(in piece: UnsafeRawBufferPointer, offset: inout Int) -> Bool {
        while true {
            switch events.parse(piece, offset: &offset) {
            case .needMoreInput:
                return false
            case .data(let range):
                delta.scan(UnsafeRawBufferPointer(rebasing: piece[range]))
            case .dataLineBreak:
                continue
            case .eventComplete:
                let carriesText = delta.carriesText
                delta.reset()
                if carriesText { return true }
            }
        }
    }

    /// The output tokens of the answer: `usage.completion_tokens`, or one per token event.
    @inline(__always)
    func outputTokens(tokenEvents: Int) -> Int { usage.completionTokens ?? tokenEvents }

    /// Why a complete 2xx answer of an OpenAI workload is not a success, if it is not: a body that
    /// is not JSON, or one with no choice, no text or no completion tokens.
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

/// The tokens one answer reported (0 where it did not say).
struct AnswerTokens {
    var prompt: UInt64 = 0
    var completion: UInt64 = 0
    /// The answer carried no `usage` and no token events.
    var withoutUsage = false
}
