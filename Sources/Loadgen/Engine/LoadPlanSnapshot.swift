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
    let recordsRequests: Bool
    let timestamps: TimestampSource
    let injectedBatchDelayNanoseconds: UInt64
    /// Requests asked for `Connection: close`: each connection carries one.
    let keepAlive: Bool
    /// https: the run's TLS context and the name every connection sends and verifies; nil for http.
    let tls: LoadPlanTLS?
    /// Multi-turn sessions: what each session's requests are written from; nil for single turns.
    let sessions: SessionScript?

    init(plan: LoadPlan, requests: RequestSet, address: SocketAddress, tls: LoadPlanTLS?, sessions: SessionScript? = nil) {
        self.requests = requests
        self.sessions = sessions
        self.address = address
        self.tls = tls
        keepAlive = plan.keepAlive
        requestTimeoutNanoseconds = Self.nanoseconds(plan.requestTimeoutSeconds)
        connectTimeoutNanoseconds = Self.nanoseconds(plan.connectTimeoutSeconds)
        drainNanoseconds = Self.nanoseconds(plan.drainSeconds)
        warmupNanoseconds = Self.nanoseconds(plan.warmupSeconds)
        arrivals = plan.arrivals
        objectives = ObjectiveLimits(plan.objectives)
        maxResponseBytes = plan.maxResponseBytes
        keepsLatencySamples = plan.keepsLatencySamples
        recordsRequests = plan.recordsRequests
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

/// The TLS side of an https plan, set up once before the loops start and shared by them.
struct LoadPlanTLS: Sendable {
    let context: TLSClientContext
    /// SNI and the name the certificate is checked against: the URL's host.
    let serverName: TLSServerName
}
