/// `loadgen run --requests-out FILE`: one JSON object per line per measured request (every
/// started request, success or failure: the line count is `requests`), in send order, written
/// after the run from `RunResult.requestRecords`:
///
/// ```
/// {"start":12345.678901,"offset":0.000000,"outcome":"success","ttft_ms":212.4,"last_token_ms":2101.9,
///  "e2e_ms":2102.3,"token_events":50,"prompt_tokens":110,"output_tokens":50}
/// ```
///
/// - `start`: the send start in seconds on CLOCK_MONOTONIC, the clock of Python's
///   `time.perf_counter()` on Linux and so of `vllm bench serve --save-detailed`'s `start_times`;
///   `offset`: seconds since the measured window opened (its first request's start; a request
///   that had to connect first starts when connected, a little later).
/// - `outcome`: `success` or the failure class's name (as in the report's `errors`).
/// - `ttft_ms` and `last_token_ms` (the first and the last token event, from `start`): null
///   without a token event. TPOT is (last_token_ms - ttft_ms) / (output_tokens - 1) and the
///   per-chunk ITL gaps are token_events - 1 spanning the same time, as the report defines them.
/// - `e2e_ms`: to the last byte of the response (the usage chunk and `[DONE]` included) or to the
///   failure.
public enum RequestRecordLines {
    public static func text(_ records: [RequestRecord], firstSendNanoseconds: UInt64) -> String {
        var output = ""
        for record in records.sorted(by: { $0.startNanoseconds < $1.startNanoseconds }) {
            output += line(record, firstSendNanoseconds: firstSendNanoseconds).serialized()
            output += "\n"
        }
        return output
    }

    static func line(_ record: RequestRecord, firstSendNanoseconds: UInt64) -> JSONValue {
        func milliseconds(since start: UInt64, _ time: UInt64) -> JSONValue {
            .number(Double(time &- start) / 1e6, decimals: 3)
        }
        let streamed = record.tokenEvents > 0
        let offset = record.startNanoseconds >= firstSendNanoseconds ? record.startNanoseconds - firstSendNanoseconds : 0
        return .object([
            ("start", .number(Double(record.startNanoseconds) / 1e9, decimals: 6)),
            ("offset", .number(Double(offset) / 1e9, decimals: 6)),
            ("outcome", .string(record.failure?.name ?? "success")),
            ("ttft_ms", streamed ? milliseconds(since: record.startNanoseconds, record.firstTokenNanoseconds) : .null),
            ("last_token_ms", streamed ? milliseconds(since: record.startNanoseconds, record.lastTokenNanoseconds) : .null),
            ("e2e_ms", milliseconds(since: record.startNanoseconds, record.endNanoseconds)),
            ("token_events", .int(Int64(record.tokenEvents))),
            ("prompt_tokens", .uint(record.promptTokens)),
            ("output_tokens", .uint(record.outputTokens)),
        ])
    }
}
