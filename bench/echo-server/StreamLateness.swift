import Loadgen
import Synchronization

/// How late echo-server's stream tokens leave: per token, the time its bytes were handed to the
/// socket minus the time it was due (its TTFT or ITL after the request was read). echo-server is
/// the reference peer; when a client sees a late token, this says whether it left late.
///
/// Each loop records into its own histogram (nothing shared per token) and publishes a copy to
/// the board: at most every 100 ms with `--stats` (for GET /stats), and when it stops (for the
/// report on stderr at exit).
final class LatenessBoard: Sendable {
    private let loops: Mutex<[LatencyHistogram]>

    init(loops count: Int) {
        loops = Mutex(Array(repeating: LatencyHistogram(), count: count))
    }

    func publish(_ histogram: LatencyHistogram, loop: Int) {
        loops.withLock { $0[loop] = histogram }
    }

    /// Every loop's lateness as last published.
    var merged: LatencyHistogram {
        loops.withLock { loops in
            var merged = LatencyHistogram()
            for loop in loops { merged.merge(loop) }
            return merged
        }
    }

    /// The exit report: "echo-server: stream token lateness ms p50 0.012  p99 0.080  max 1.23 over 12,000 tokens".
    static func line(_ histogram: LatencyHistogram, programName: String) -> String {
        func ms(_ nanoseconds: UInt64) -> String { Format.milliseconds(Double(nanoseconds) / 1e6) }
        return "\(programName): stream token lateness ms p50 \(ms(histogram.valueAtPercentile(50)))  p99 \(ms(histogram.valueAtPercentile(99)))  "
            + "max \(ms(histogram.maxNanoseconds)) over \(Format.grouped(histogram.count)) tokens (sent minus due)"
    }

    /// GET /stats: {"stream_token_lateness_ms": {count, mean, p50, p90, p95, p99, min, max}, "stream_token_lateness_histogram": "v2:..."}.
    static func json(_ histogram: LatencyHistogram) -> JSONValue {
        .object([
            ("stream_token_lateness_ms", RunReport.distribution(histogram)),
            ("stream_token_lateness_histogram", .string(histogram.encoded())),
        ])
    }
}
