import Loadgen

/// The server-metrics flags shared by `run`, `validate`, `bench`, `sweep` and `latency`
/// (issue 18): which Prometheus endpoints to scrape, how often, or none.
struct MetricsOptions {
    private var urls: [HTTPTarget] = []
    private var off = false
    private var intervalSeconds: Double?

    static let help = """
          --metrics-url URL       scrape the server's Prometheus metrics here, repeatable (one per
                                  replica behind a router); default BASE/metrics, used when it
                                  answers with Prometheus text, else nothing is scraped
          --metrics-interval TIME between scheduled scrapes (default 1s); every level is also
                                  bracketed by a scrape before its first request and one after its
                                  last answer, so the server's counters cover exactly its requests
          --no-metrics            scrape nothing
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--metrics-url":
            let text = try cursor.value(for: argument)
            do { urls.append(try HTTPTarget(url: text)) } catch { throw UsageError("--metrics-url: \(error.description)") }
        case "--metrics-interval":
            intervalSeconds = try cursor.seconds(for: argument, atMost: 3600)
            guard intervalSeconds! >= 0.05 else { throw UsageError("--metrics-interval must be at least 50ms") }
        case "--no-metrics": off = true
        default: return false
        }
        return true
    }

    /// The plan these flags describe; nil with `--no-metrics`.
    func plan() throws(UsageError) -> ServerMetricsPlan? {
        if off {
            if !urls.isEmpty || intervalSeconds != nil {
                throw UsageError("--no-metrics turns scraping off: it cannot be given with --metrics-url or --metrics-interval")
            }
            return nil
        }
        var plan = ServerMetricsPlan(endpoints: urls.isEmpty ? .automatic : .given(urls))
        if let intervalSeconds { plan.intervalSeconds = intervalSeconds }
        return plan
    }
}
