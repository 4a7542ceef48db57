import Glibc
import Synchronization

/// A running load level: event-loop threads driving one `LoadPlan`.
///
/// Embed it in two ways. Blocking:
/// ```swift
/// let result = try LoadRun.run(plan)
/// ```
/// Or start it, watch its progress from your own thread, cancel it if you must, and wait:
/// ```swift
/// let run = try LoadRun.start(plan)
/// while !run.isFinished { print(run.progress.completed); sleep(1) }
/// let result = try run.wait()
/// ```
public final class LoadRun: Sendable {
    private let control: RunControl
    private let threads: Mutex<[Thread.Handle]>
    private let results: [ResultBox]
    private let finalResult = Mutex<RunResult?>(nil)
    private let plan: LoadPlan
    private let startCPU: (user: UInt64, system: UInt64)
    private let startWall: UInt64
    /// CLOCK_REALTIME read together with `startWall` (monotonic), to put the measured window on
    /// the calendar: the loops time everything on the monotonic clock, which no other machine shares.
    private let startUnixSeconds: Double
    /// Keeps the kernel's receive timestamps on until the loops have finished (nil after `wait`).
    private let timestampSwitch: Mutex<ReceiveTimestampSwitch?>
    /// How an OpenAI workload's prompts were made, for the result.
    private let prompts: (facts: PromptFacts, nonce: String?)?
    /// What a prepared workload's prompts were made from, with its preparation time.
    private let workloadRecord: WorkloadRecord?

    /// Progress so far (only requests in the measured window count).
    public struct Progress: Sendable, Equatable {
        /// Measured requests that succeeded.
        public var completed: Int
        /// Measured requests that failed.
        public var failed: Int
        /// False while the warmup is still running.
        public var measuring: Bool
    }

    private init(plan: LoadPlan, control: RunControl, threads: [Thread.Handle], results: [ResultBox],
                 startCPU: (user: UInt64, system: UInt64), startWall: UInt64, startUnixSeconds: Double,
                 timestampSwitch: consuming ReceiveTimestampSwitch,
                 prompts: (facts: PromptFacts, nonce: String?)?, workloadRecord: WorkloadRecord?) {
        self.timestampSwitch = Mutex(Optional(timestampSwitch))
        self.workloadRecord = workloadRecord
        self.plan = plan
        self.prompts = prompts
        self.control = control
        self.threads = Mutex(threads)
        self.results = results
        self.startCPU = startCPU
        self.startWall = startWall
        self.startUnixSeconds = startUnixSeconds
    }

    /// Runs `plan` to the end and returns what it measured.
    public static func run(_ plan: LoadPlan) throws(LoadgenError) -> RunResult {
        try start(plan).wait()
    }

    /// Runs `plan` to the end, calling `onProgress` about four times a second with the progress and
    /// the seconds elapsed. A signal on `signals` cancels the run (in-flight requests end as
    /// `cancelled`); it is returned with what was measured, and the caller decides what it means.
    public static func run(_ plan: LoadPlan, signals: SignalWatcher?,
                           onProgress: (Progress, Double) -> Void = { _, _ in }) throws(LoadgenError) -> (result: RunResult, signal: Int32?) {
        let run = try start(plan)
        var interruptedBy: Int32?
        while !run.isFinished {
            if let signals {
                if let signal = run.waitForCompletion(milliseconds: 250, signals: signals), interruptedBy == nil {
                    interruptedBy = signal
                    run.cancel()
                }
            } else {
                _ = ProcessResources.sleep(milliseconds: 100)
            }
            onProgress(run.progress, run.elapsedSeconds)
        }
        var result = try run.wait()
        result.interruptedBySignal = interruptedBy
        return (result, interruptedBy)
    }

    /// Starts the event loops and returns at once.
    public static func start(_ plan: LoadPlan) throws(LoadgenError) -> LoadRun {
        try plan.validate()
        let address: SocketAddress
        do {
            address = try SocketAddress(host: plan.target.host, port: plan.target.port)
        } catch {
            throw .unresolvableHost(plan.target.host)
        }
        var tls: LoadPlanTLS?
        if plan.target.scheme == .https {
            // One context for the run: a missing OpenSSL or a bad --cacert is one line, before any connect.
            do { tls = LoadPlanTLS(context: try TLSClientContext(plan.tls), serverName: TLSServerName(host: plan.target.host)) } catch {
                throw .tls(error)
            }
        }
        let serializing = Clock.monotonicNanoseconds()
        let serializingCPU = ProcessResources.cpuMicroseconds()
        var built = try plan.requests()
        // Multi-turn: the template is cut into the sessions' pieces; its own bytes are not sent.
        let sessions = try plan.workload?.sessions.map { sessions throws(LoadgenError) in
            try SessionScript(sessions, template: built.templates[0])
        }
        // The sessions write their own requests and count what each turn asks for themselves
        // (`SessionTable.countRequested`); the one template left counts nothing.
        if sessions != nil { built.templates = [RequestTemplate(bytes: [], counterOffset: nil, inputTokens: 0, outputTokens: 0)] }
        // A prepared workload is ready once its templates are serialized: that time is its too.
        var workloadRecord = plan.workload?.prepared?.record
        workloadRecord?.preparationSeconds += Double(Clock.monotonicNanoseconds() - serializing) / 1e9
        let serializedCPU = ProcessResources.cpuMicroseconds()
        workloadRecord?.preparationCPUSeconds += Double(serializedCPU.user + serializedCPU.system - serializingCPU.user - serializingCPU.system) / 1e6
        let requests = RequestSet(built.templates, validatesOpenAI: plan.workload != nil)
        let snapshot = LoadPlanSnapshot(plan: plan, requests: requests, address: address, tls: tls, sessions: sessions)
        let loops = min(plan.threads, plan.concurrency)
        // One descriptor per connection, one epoll per loop, plus stdio and a margin for the caller.
        try ProcessResources.ensureDescriptors(plan.concurrency + loops + 64)
        ProcessResources.ignoreSIGPIPE()

        let control: RunControl
        do { control = try RunControl(loops: loops) } catch { throw .system(error) }
        let connections = Self.split(plan.concurrency, into: loops)
        let quotas: [Int]
        switch plan.stop {
        case .requests(let count): quotas = Self.split(count, into: loops, weights: connections)
        case .duration: quotas = Array(repeating: .max, count: loops)
        }

        // Before the first connect: the kernel must be stamping when the first response arrives.
        let timestampSwitch = ReceiveTimestampSwitch(timeoutMilliseconds: 1000)
        let minimums = Self.split(plan.minimumRequests, into: loops, weights: connections)
        let warmups = Self.split(plan.warmupRequests, into: loops, weights: connections)
        let startCPU = ProcessResources.cpuMicroseconds()
        let startWall = Clock.monotonicNanoseconds()
        let startUnixSeconds = Clock.wallSeconds()
        var handles: [Thread.Handle] = []
        var boxes: [ResultBox] = []
        for loop in 0..<loops {
            let box = ResultBox()
            boxes.append(box)
            let progress = control.progress[loop]
            let connectionCount = connections[loop]
            let quota = quotas[loop]
            let minimum = minimums[loop]
            let warmup = warmups[loop]
            let affinity = plan.cpuAffinity
            do throws(SystemError) {
                let thread = try Thread {
                    if let affinity { Self.pin(loop: loop, of: loops, to: affinity) }
                    do throws(SystemError) {
                        var eventLoop = try ClientEventLoop(loop: loop, loops: loops, connections: connectionCount, quota: quota, minimumRequests: minimum,
                                                            warmupRequests: warmup, plan: snapshot, progress: progress, control: control)
                        box.result = eventLoop.run()
                    } catch {
                        box.setupError = error
                    }
                    control.loopFinished()
                }
                handles.append(thread.handle)
            } catch {
                control.cancelled.store(true, ordering: .relaxed)
                for handle in handles { Thread.join(handle) }
                throw .system(error)
            }
        }
        return LoadRun(plan: plan, control: control, threads: handles, results: boxes,
                       startCPU: startCPU, startWall: startWall, startUnixSeconds: startUnixSeconds,
                       timestampSwitch: timestampSwitch,
                       prompts: built.prompts.map { ($0.facts, $0.nonce) }, workloadRecord: workloadRecord)
    }

    /// Stops the run: no new requests; those in flight are counted as cancelled.
    public func cancel() {
        control.cancelled.store(true, ordering: .relaxed)
    }

    /// True once every loop has stopped; `wait()` then returns at once.
    public var isFinished: Bool {
        control.finishedLoops.load(ordering: .acquiring) == results.count
    }

    /// A descriptor that becomes readable each time a loop finishes, for callers that poll
    /// (e.g. together with a signal descriptor).
    public var finishedDescriptor: Int32 { control.finishedEvent.rawValue }

    /// Waits up to `milliseconds` for the run to finish or for a signal on `signals`.
    /// Returns the signal number if one arrived (the caller decides whether to `cancel()`).
    public func waitForCompletion(milliseconds: Int32, signals: SignalWatcher) -> Int32? {
        if isFinished { return nil }
        let signal = signals.wait(milliseconds: milliseconds, alsoWatching: control.finishedEvent.rawValue)
        _ = control.finishedEvent.readCounter()
        return signal
    }

    /// Seconds since the run started.
    public var elapsedSeconds: Double { Double(Clock.monotonicNanoseconds() - startWall) / 1e9 }

    /// The counts so far, read without stopping the loops (each publishes its own).
    public var progress: Progress {
        var progress = Progress(completed: 0, failed: 0, measuring: true)
        for loop in control.progress {
            progress.completed += loop.completed.load(ordering: .relaxed)
            progress.failed += loop.failed.load(ordering: .relaxed)
            if !loop.measuring.load(ordering: .relaxed) { progress.measuring = false }
        }
        return progress
    }

    /// Waits for every loop to finish and returns the merged result (the same value on every call).
    public func wait() throws(LoadgenError) -> RunResult {
        let handles = threads.withLock { handles in
            let taken = handles
            handles = []
            return taken
        }
        for handle in handles { Thread.join(handle) }
        timestampSwitch.withLock { $0 = nil }
        for box in results {
            if let error = box.setupError { throw .system(error) }
        }
        return finalResult.withLock { stored in
            if let stored { return stored }
            var merged = RunResult()
            for box in results { merged.merge(box.result) }
            let endCPU = ProcessResources.cpuMicroseconds()
            merged.clientCPUUserMicroseconds = endCPU.user - startCPU.user
            merged.clientCPUSystemMicroseconds = endCPU.system - startCPU.system
            merged.concurrency = plan.concurrency
            merged.workloadKind = plan.workload.map { $0.stream ? .openAIStreamed : .openAI } ?? .http
            merged.objectives = plan.objectives
            merged.timestamps = plan.timestamps
            merged.clientLimits = plan.clientLimits
            if let prompts {
                merged.promptTokenMethod = prompts.facts.method
                merged.promptTokenSource = prompts.facts.source
                merged.promptNonce = prompts.nonce
                merged.promptSpecialTokens = prompts.facts.specialTokens
                if prompts.facts.method != .estimate {
                    merged.promptTemplateTokens = plan.workload?.endpoint == .chat ? prompts.facts.chatTemplateTokens : prompts.facts.specialTokens
                }
            }
            merged.threads = results.count
            merged.workloadRecord = workloadRecord
            if let profile = plan.arrivals?.profile, profile != .steady { merged.rateProfile = profile.description }
            if plan.arrivals?.timetable != nil { merged.rateProfile = "replay" }
            if merged.firstSendNanoseconds != .max {
                merged.startedAtWallSeconds = wallSeconds(atMonotonic: merged.firstSendNanoseconds)
                merged.endedAtWallSeconds = wallSeconds(atMonotonic: merged.lastCompletionNanoseconds)
            }
            stored = merged
            return merged
        }
    }

    /// A monotonic reading taken during the run, as Unix seconds.
    private func wallSeconds(atMonotonic nanoseconds: UInt64) -> Double {
        startUnixSeconds + Double(Int64(bitPattern: nanoseconds &- startWall)) / 1e9
    }

    /// Splits `total` into `parts` shares differing by at most one (or in proportion to `weights`).
    static func split(_ total: Int, into parts: Int, weights: [Int]? = nil) -> [Int] {
        guard let weights else {
            return (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
        }
        let weightSum = weights.reduce(0, +)
        var shares = weights.map { total * $0 / weightSum }
        var remainder = total - shares.reduce(0, +)
        var index = 0
        while remainder > 0 {
            shares[index % parts] += 1
            remainder -= 1
            index += 1
        }
        return shares
    }

    private static func pin(loop: Int, of loops: Int, to range: CPURange) {
        if range.count >= loops {
            _ = ProcessResources.pinCurrentThread(firstCPU: range.first + loop % range.count, count: 1)
        } else {
            _ = ProcessResources.pinCurrentThread(firstCPU: range.first, count: range.count)
        }
    }
}

/// Where one loop leaves its result; read only after its thread has been joined.
final class ResultBox: @unchecked Sendable {
    var result = RunResult()
    var setupError: SystemError?
}
