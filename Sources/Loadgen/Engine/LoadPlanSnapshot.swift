/// The parts of a `LoadPlan` every event loop reads, resolved and serialized once before the run.
struct LoadPlanSnapshot: Sendable {
    let requests: RequestSet
    let address: SocketAddress
    let requestTimeoutNanoseconds: UInt64
    let connectTimeoutNanoseconds: UInt64
    let drainNanoseconds: UInt64
    let warmupNanoseconds: UInt64
    let durationNanoseconds: UInt64?
    let arrivals: OpenLoopArrivals?
    let objectives: ObjectiveLimits
    let maxResponseBytes: Int
    let keepsLatencySamples: Bool
    let timestamps: TimestampSource
    let injectedBatchDelayNanoseconds: UInt64

    init(plan: LoadPlan, requests: RequestSet, address: SocketAddress) {
        self.requests = requests
        self.address = address
        requestTimeoutNanoseconds = Self.nanoseconds(plan.requestTimeoutSeconds)
        connectTimeoutNanoseconds = Self.nanoseconds(plan.connectTimeoutSeconds)
        drainNanoseconds = Self.nanoseconds(plan.drainSeconds)
        warmupNanoseconds = Self.nanoseconds(plan.warmupSeconds)
        arrivals = plan.arrivals
        objectives = ObjectiveLimits(plan.objectives)
        maxResponseBytes = plan.maxResponseBytes
        keepsLatencySamples = plan.keepsLatencySamples
        timestamps = plan.timestamps
        injectedBatchDelayNanoseconds = plan.injectedBatchDelayNanoseconds
        if case .duration(let seconds) = plan.stop {
            durationNanoseconds = Self.nanoseconds(seconds)
        } else {
            durationNanoseconds = nil
        }
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 {
        Clock.nanoseconds(seconds: seconds)
    }
}
