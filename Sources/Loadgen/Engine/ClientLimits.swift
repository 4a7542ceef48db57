/// The limits under which a run's own figures say the client kept up (`ClientVerdict`).
///
/// ```swift
/// plan.clientLimits = ClientLimits(clientLagMilliseconds: 2)   // a busier client host
/// let result = try LoadRun.run(plan)
/// if !result.clientVerdict.keptUp { print(result.clientVerdict.summary) }
/// ```
public struct ClientLimits: Sendable, Equatable {
    /// p99 of the client lag (`RunResult.clientLag`), in milliseconds.
    public var clientLagMilliseconds: Double
    /// p99 of the client's own send lag (`RunResult.clientSendLag`), in milliseconds.
    public var sendLagMilliseconds: Double
    /// CPU time over wall time of the busiest event-loop thread (`RunResult.loopLoads`), 0...1.
    public var loopLoad: Double
    /// The share of token events that arrived merged, in one read with an earlier token event
    /// of their response (`RunResult.mergedTokenShare`), 0...1.
    public var mergedTokenShare: Double

    /// The defaults: 1 ms, 1 ms, 90% and 5%. A client that reads its bytes within a millisecond
    /// of their arrival and sends within a millisecond of being able to adds under a millisecond
    /// to any figure, and a loop under 90% busy still has slack for bursts. Merged token events
    /// share one kernel stamp, so each after the first reads as an inter-token gap of 0: past 5%
    /// of them the ITL median and spread start to say more about the reads than the server.
    public init(clientLagMilliseconds: Double = 1, sendLagMilliseconds: Double = 1, loopLoad: Double = 0.9,
                mergedTokenShare: Double = 0.05) {
        self.clientLagMilliseconds = clientLagMilliseconds
        self.sendLagMilliseconds = sendLagMilliseconds
        self.loopLoad = loopLoad
        self.mergedTokenShare = mergedTokenShare
    }

    func validate() throws(LoadgenError) {
        guard clientLagMilliseconds > 0, clientLagMilliseconds.isFinite else { throw .invalidPlan("the client lag limit must be a positive number of milliseconds") }
        guard sendLagMilliseconds > 0, sendLagMilliseconds.isFinite else { throw .invalidPlan("the send lag limit must be a positive number of milliseconds") }
        guard loopLoad > 0, loopLoad <= 1 else { throw .invalidPlan("the loop load limit must be in (0, 100%]") }
        guard mergedTokenShare > 0, mergedTokenShare <= 1 else { throw .invalidPlan("the merged token events limit must be in (0, 100%]") }
    }
}
