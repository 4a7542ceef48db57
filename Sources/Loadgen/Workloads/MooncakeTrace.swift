/// One request of a Mooncake-style trace: when it arrives, its lengths, and the hash ids of its
/// prompt's blocks (equal ids: equal blocks, so the trace says exactly which prefixes repeat).
public struct TraceRequest: Sendable, Equatable {
    /// Milliseconds from the trace's start.
    public var timestampMilliseconds: Double
    /// Prompt tokens (`input_length`).
    public var inputLength: Int
    /// Output tokens asked for (`output_length`).
    public var outputLength: Int
    /// The prompt's blocks, in order (`hash_ids`), each `--block-tokens` tokens.
    public var hashIDs: [Int]
    /// The line in the file (1-based).
    public var line: Int
}

/// Reads a Mooncake trace (FAST'25, `kvcache-ai/Mooncake` traces, as GuideLLM and vLLM's
/// `timed_trace` read them): JSONL with `timestamp` (ms), `input_length`, `output_length` and
/// `hash_ids` on every line, timestamps never going back. Other members are ignored.
enum MooncakeTrace {
    static func read(_ file: DatasetBytes) throws(DatasetError) -> [TraceRequest] {
        var requests: [TraceRequest] = []
        try JSONLines.forEachLine(of: file) { (cursor: inout JSONCursor, line: Int) throws(JSONCursor.Failure) in
            let request = try entry(&cursor, line: line)
            if let previous = requests.last, request.timestampMilliseconds < previous.timestampMilliseconds {
                throw cursor.fail("timestamp \(request.timestampMilliseconds) is before the previous line's "
                    + "\(previous.timestampMilliseconds) (a trace is in arrival order)")
            }
            requests.append(request)
        }
        return requests
    }

    private static func entry(_ cursor: inout JSONCursor, line: Int) throws(JSONCursor.Failure) -> TraceRequest {
        guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("each line must be a JSON object, got \(cursor.nextKind())") }
        try cursor.beginObject()
        var timestamp: Double?
        var input: Int?
        var output: Int?
        var hashIDs: [Int]?
        var first = true
        while let key = try cursor.nextKey(first: &first) {
            switch key {
            case "timestamp":
                let start = cursor.position
                guard cursor.nextKind() == "a number" else { throw cursor.fail("'timestamp' must be a number of milliseconds, got \(cursor.nextKind())") }
                let value = try cursor.number()
                guard value >= 0, value.isFinite else { throw JSONCursor.Failure(offset: start, reason: "'timestamp' must be zero or positive") }
                timestamp = value
            case "input_length":
                input = try cursor.count(maximum: 10_000_000, "'input_length'")
                guard input! >= 1 else { throw cursor.fail("'input_length' must be at least 1") }
            case "output_length":
                output = try cursor.count(maximum: 10_000_000, "'output_length'")
                guard output! >= 1 else { throw cursor.fail("'output_length' must be at least 1") }
            case "hash_ids":
                guard cursor.peek() == UInt8(ascii: "[") else { throw cursor.fail("'hash_ids' must be an array of integers, got \(cursor.nextKind())") }
                try cursor.beginArray()
                var ids: [Int] = []
                var firstID = true
                while try cursor.nextElement(first: &firstID) {
                    ids.append(try cursor.count(maximum: Int(Int32.max) * 1024, "a hash id"))
                }
                hashIDs = ids
            default:
                try cursor.skipValue()
            }
        }
        guard cursor.isAtEnd else { throw cursor.fail("text after the object (one object per line)") }
        guard let timestamp else { throw cursor.fail("no 'timestamp'") }
        guard let input else { throw cursor.fail("no 'input_length'") }
        guard let output else { throw cursor.fail("no 'output_length'") }
        return TraceRequest(timestampMilliseconds: timestamp, inputLength: input, outputLength: output, hashIDs: hashIDs ?? [], line: line)
    }
}
