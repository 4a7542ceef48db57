/// Whether the client kept up with the load it measured, judged from the run's own figures
/// against `ClientLimits`: so a late token can be told apart as the client's or the server's.
///
/// - **Client lag p99** (`RunResult.clientLag`): how long received bytes waited in the kernel
///   before the event loop read them. A late client shows here first, whatever the server did.
/// - **Send lag p99** (`RunResult.clientSendLag`): how long a request the client could have sent
///   waited for it (closed loop: the think time after a response; open loop: the send lag less
///   any wait for a free connection, which is the server's doing).
/// - **Loop load**: CPU time over wall time of the busiest event-loop thread.
/// - **Merged token events** (streams): the share of token events returned by one read with an
///   earlier one of their response (`RunResult.mergedTokenChunks`). They share the read's stamp,
///   so their inter-token gaps read 0: the client read late, or the machine (the server, or the
///   loopback under two busy programs) delivered them together. Either way the ITL no longer
///   measures the server's gaps. The verdict names a share over its limit as a **caution** on the
///   ITL but does not fail on it (`keptUp` ignores it): one read cannot tell a late client from a
///   server that wrote the events together, and a fast server must not make the client look
///   late. A client that really read late shows in the client lag, which does fail.
///
/// A figure the run could not measure (no kernel timestamps, a result from an older file) is
/// left out; a verdict with nothing measured says so and is not a failure.
///
/// ```swift
/// let verdict = result.clientVerdict
/// print(verdict.summary)      // "the client kept up (client lag p99 0.041 ms, ...)"
/// if !verdict.keptUp { exit(3) }
/// ```
public struct ClientVerdict: Sendable, Equatable {
    /// A figure the verdict judges; the raw value is its name in `client_verdict.exceeded`.
    public enum Figure: String, Sendable, Equatable, CaseIterable {
        /// p99 of `RunResult.clientLag`, against `ClientLimits.clientLagMilliseconds`.
        case clientLag = "client_lag_p99"
        /// p99 of `RunResult.clientSendLag`, against `ClientLimits.sendLagMilliseconds`.
        case sendLag = "send_lag_p99"
        /// The busiest loop's `LoopLoad.load`, against `ClientLimits.loopLoad`.
        case loopLoad = "loop_load"
        /// `RunResult.mergedTokenShare`, against `ClientLimits.mergedTokenShare`.
        case mergedTokens = "merged_token_share"
    }

    /// One figure against its limit: milliseconds for the lags, a fraction 0...1 for the load
    /// and the merged share.
    public struct Reading: Sendable, Equatable {
        /// Which figure.
        public var figure: Figure
        /// What the run measured.
        public var value: Double
        /// Its limit.
        public var limit: Double
        /// Over the limit.
        public var exceeded: Bool { value > limit }
        /// A caution, not a failure: the merged share says the ITL is not resolved, not whose
        /// doing that was.
        public var isCaution: Bool { figure == .mergedTokens }
        /// How many times the limit the value is.
        public var ratio: Double { limit > 0 ? value / limit : 0 }
    }

    /// The figures measured, in `Figure` order.
    public let readings: [Reading]
    /// Closed loop names the send-side figure "think time"; open loop "send lag".
    let closedLoop: Bool
    /// The busiest loop thread (0-based) and the number of loops, for the text.
    let busiestLoop: Int
    let loopCount: Int
    /// Token events measured, for the merged share's text.
    let tokenChunks: UInt64

    /// The verdict on `result`'s figures, by its `clientLimits`.
    public init(_ result: RunResult) {
        let limits = result.clientLimits
        var readings: [Reading] = []
        if result.clientLag.count > 0 {
            readings.append(Reading(figure: .clientLag, value: Double(result.clientLag.valueAtPercentile(99)) / 1e6,
                                    limit: limits.clientLagMilliseconds))
        }
        if result.clientSendLag.count > 0 {
            readings.append(Reading(figure: .sendLag, value: Double(result.clientSendLag.valueAtPercentile(99)) / 1e6,
                                    limit: limits.sendLagMilliseconds))
        }
        let loads = result.loopLoads.map(\.load)
        if let busiest = loads.indices.max(by: { loads[$0] < loads[$1] }) {
            readings.append(Reading(figure: .loopLoad, value: loads[busiest], limit: limits.loopLoad))
            busiestLoop = busiest
        } else {
            busiestLoop = 0
        }
        loopCount = loads.count
        if result.tokenChunks > 0 {
            readings.append(Reading(figure: .mergedTokens, value: result.mergedTokenShare, limit: limits.mergedTokenShare))
        }
        tokenChunks = result.tokenChunks
        self.readings = readings
        closedLoop = result.requestedRate == 0
    }

    /// The failing figures over their limits, the worst (most times its limit) first.
    public var exceeded: [Reading] { readings.filter { $0.exceeded && !$0.isCaution }.sorted { $0.ratio > $1.ratio } }
    /// Cautions over their limits (the merged token share): said, not failed on.
    public var cautions: [Reading] { readings.filter { $0.exceeded && $0.isCaution } }
    /// No measured figure was over its limit.
    public var keptUp: Bool { exceeded.isEmpty }
    /// At least one figure was measured (a result from before the figures has none).
    public var isMeasured: Bool { !readings.isEmpty }

    /// One line: "the client kept up (...)" with the figures, or "the client fell behind: ..."
    /// naming each figure over its limit and by how much.
    public var summary: String {
        guard isMeasured else { return "the client's own timing was not measured" }
        let over = exceeded
        let caution = cautions.isEmpty ? "" : "; but " + cautions.map(excessText).joined(separator: "; ")
        if over.isEmpty {
            let values = readings.map { "\(name($0.figure)) \(valueText($0))" }.joined(separator: ", ")
            let limits = readings.map { limitText($0) }.joined(separator: ", ")
            return "the client kept up (\(values); limits \(limits))" + caution
        }
        var line = "the client fell behind: " + over.map(excessText).joined(separator: "; ")
        // Late with CPU to spare: the loop's thread was runnable but not running.
        if let load = readings.first(where: { $0.figure == .loopLoad }), !load.exceeded, load.value < load.limit / 2 {
            line += " (with the loop \(Format.percent(load.value)) busy: its thread waited for a CPU, taken by other processes or other threads)"
        }
        return line + caution
    }

    /// A table cell: "kept up", or the worst figure over its limit ("lag p99 3.20 ms",
    /// "think p99 1.52 ms", "load 97.0%"), or "n/a" when nothing was measured.
    public var brief: String {
        guard isMeasured else { return "n/a" }
        guard let worst = exceeded.first else {
            return cautions.first.map { "kept up, merged \(valueText($0))" } ?? "kept up"
        }
        let name = switch worst.figure {
        case .clientLag: "lag p99"
        case .sendLag: closedLoop ? "think p99" : "send p99"
        case .loopLoad: "load"
        case .mergedTokens: "merged"
        }
        return "\(name) \(valueText(worst))"
    }

    func name(_ figure: Figure) -> String {
        switch figure {
        case .clientLag: "client lag p99"
        case .sendLag: closedLoop ? "think time p99" : "send lag p99"
        case .loopLoad:
            loopCount > 1 ? "loop load (thread \(busiestLoop + 1) of \(loopCount))" : "loop load"
        case .mergedTokens: "merged token events"
        }
    }

    /// The load and the merged share are fractions, the lags milliseconds.
    private func isShare(_ figure: Figure) -> Bool { figure == .loopLoad || figure == .mergedTokens }

    private func valueText(_ reading: Reading) -> String {
        isShare(reading.figure) ? Format.percent(reading.value) : Format.milliseconds(reading.value) + " ms"
    }

    private func limitText(_ reading: Reading) -> String {
        isShare(reading.figure)
            ? Format.fixed(reading.limit * 100, decimals: 1, trimZeros: true) + "%"
            : Format.fixed(reading.limit, decimals: 3, trimZeros: true) + " ms"
    }

    private func excessText(_ reading: Reading) -> String {
        if reading.figure == .loopLoad {
            return "\(name(reading.figure)) \(valueText(reading)), over the \(limitText(reading)) limit"
        }
        if reading.figure == .mergedTokens {
            return "\(name(reading.figure)) \(valueText(reading)) of \(Format.grouped(tokenChunks)), over the \(limitText(reading)) limit "
                + "(several in one read share its stamp, so their ITL reads 0 and measures neither side: the server wrote them together, "
                + "or the client or the machine delivered them late)"
        }
        return "\(name(reading.figure)) \(valueText(reading)), \(Format.rate(reading.ratio))x the \(limitText(reading)) limit"
    }
}

extension RunResult {
    /// Whether the client kept up, by `clientLimits` (see `ClientVerdict`).
    public var clientVerdict: ClientVerdict { ClientVerdict(self) }

    /// `mergedTokenChunks` over `tokenChunks` (0 without token events).
    public var mergedTokenShare: Double { tokenChunks > 0 ? Double(mergedTokenChunks) / Double(tokenChunks) : 0 }
}
