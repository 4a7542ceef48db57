/// What `ResponseParser.parse` found.
public enum ResponseEvent: Equatable, Sendable {
    /// Every byte of the input was consumed and the response is not complete.
    case needMoreInput
    /// Status line and headers are parsed: `statusCode`, `keepAlive` and the framing are valid.
    case headComplete
    /// Body bytes (chunk framing removed) at these offsets of the input.
    case body(Range<Int>)
    /// The response is complete; the parser is ready for the next one (the input may hold more).
    case messageComplete
}
