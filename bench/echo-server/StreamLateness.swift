import Loadgen
import Synchronization

/// How late echo-server's stream tokens leave, and how long its requests wait to be read.
///
/// Lateness, per token: the time its bytes were handed to the socket minus the time it was due
/// (its TTFT, then one ITL after another, from the kernel's receive time of the request: see
/// `RequestArrival`). echo-server is the reference peer; when a client sees a late token, this
/// says whether it left late. A request that waited in its socket is compensated (its stream is
/// timed from its arrival, not from its read), so its wait shows here only if it outlasted the
/// TTFT.
///
/// Read lag, per read of request bytes (timed streams over plain HTTP): the loop's clock at the
/// read minus the kernel's receive time of the bytes. It is echo-server's own queueing: what a
/// burst of requests waits for the loop to answer the ones before it.
///
/// Each loop records into its own histograms (nothing shared per token) and publishes copies to
/// the board: at most every 100 ms with `--stats` (for GET /stats), and when it stops (for the
/// report on stderr at exit).
final class LatenessBoard: Sendable {
    private let loops: Mutex<[(lateness: LatencyHistogram, readLag: LatencyHistogram)]>

    init(loops count: Int) {
        loops = Mutex(Array(repeating: (LatencyHistogram(), LatencyHistogram()), count: count))
    }

    /// Keeps copies with their own counters: a histogram shared with the board would copy its
    /// 30 KiB of counters at the loop's next `record`, on the token path.
    func publish(lateness: LatencyHistogram, readLag: LatencyHistogram, loop: Int) {
        var lateCopy = LatencyHistogram()
        lateCopy.merge(lateness)
        var readCopy = LatencyHistogram()
        readCopy.merge(readLag)
        loops.withLock { $0[loop] = (lateCopy, readCopy) }
    }

    /// Every loop's figures as last published.
    var merged: (lateness: LatencyHistogram, readLag: LatencyHistogram) {
        loops.withLock { loops in
            var lateness = LatencyHistogram()
            var readLag = LatencyHistogram()
            for loop in loops {
                lateness.merge(loop.lateness)
                readLag.merge(loop.readLag)
            }
            return (lateness, readLag)
        }
    }

    /// The exit report: "echo-server: stream token lateness ms p50 0.012  p99 0.080  max 1.23 over 12,000 tokens (sent minus due)".
    static func line(_ histogram: LatencyHistogram, programName: String) -> String {
        "\(programName): stream token lateness ms \(spread(histogram)) over \(Format.grouped(histogram.count)) tokens (sent minus due)"
    }

    /// The exit report's second line: "echo-server: request read lag ms p50 ... over 3,000 reads (read minus kernel receive)".
    static func readLagLine(_ histogram: LatencyHistogram, programName: String) -> String {
        "\(programName): request read lag ms \(spread(histogram)) over \(Format.grouped(histogram.count)) reads (read minus kernel receive)"
    }

    private static func spread(_ histogram: LatencyHistogram) -> String {
        func ms(_ nanoseconds: UInt64) -> String { Format.milliseconds(Double(nanoseconds) / 1e6) }
        return "p50 \(ms(histogram.valueAtPercentile(50)))  p99 \(ms(histogram.valueAtPercentile(99)))  max \(ms(histogram.maxNanoseconds))"
    }

    /// GET /stats: {"stream_token_lateness_ms": {count, mean, p50, p90, p95, p99, min, max},
    /// "stream_token_lateness_histogram": "v2:...", "request_read_lag_ms": {...},
    /// "request_read_lag_histogram": "v2:..."}.
    static func json(_ figures: (lateness: LatencyHistogram, readLag: LatencyHistogram)) -> JSONValue {
        .object([
            ("stream_token_lateness_ms", RunReport.distribution(figures.lateness)),
            ("stream_token_lateness_histogram", .string(figures.lateness.encoded())),
            ("request_read_lag_ms", RunReport.distribution(figures.readLag)),
            ("request_read_lag_histogram", .string(figures.readLag.encoded())),
        ])
    }
}
