/// loadgen's own choices for server metrics (issue 18), in one place.
enum ServerMetricsPolicy {
    /// Scrape every second by default: fine enough to see a queue build within a 10 s level,
    /// cheap for the server (one small GET a second on loopback).
    static let defaultIntervalSeconds = 1.0
    /// A scrape with no complete answer in 2 s is recorded as timed out. Longer than the
    /// interval on purpose: a vLLM API server saturated on two cores can take over a second to
    /// answer `/metrics`, and those readings are the interesting ones.
    static let defaultTimeoutSeconds = 2.0
    /// vLLM 0.32's answer is tens of kilobytes; 16 MiB leaves room for many engines and label
    /// sets while refusing an endpoint that streams without end.
    static let defaultMaximumBodyBytes = 16 << 20
    /// Issue 18: the server's token deltas and loadgen's counts differing by more than 2% is
    /// reported plainly as a disagreement.
    static let tokenAgreementTolerance = 0.02
    /// After a level's last answer, how long to wait (server idle) before the closing scrape:
    /// vLLM's API process books a request's tokens in its counters a moment after answering it
    /// (its output handler runs once per engine step), so a scrape taken at once can miss the
    /// last requests. 0.3 s was always enough against the realpeer vLLM on two busy cores.
    static let settleSeconds = 0.3
    /// How long a window's edge waits for its deliberate scrape. At an edge the server is idle
    /// and answers in milliseconds (the realpeer vLLM: under 20 ms), so a second is plenty; a
    /// stalled endpoint costs that second once. After an edge gave up, the next edges wait only
    /// `stalledEdgeWaitSeconds`, until one succeeds again: a broken metrics endpoint must not
    /// stretch the gaps between levels by seconds each.
    static let edgeWaitSeconds = 1.0
    static let stalledEdgeWaitSeconds = 0.2
    /// Quantiles reported from the server's histograms.
    static let reportedQuantiles = [0.5, 0.9, 0.99]
}
