/// Runs `loadgen bench`: the phases in order, each test a closed-loop level on loadgen's engine.
public enum BenchRunner {
    /// Progress while a test runs (about four times a second).
    public struct Progress: Sendable {
        /// The phase of the running test.
        public var phase: BenchPhase
        /// Its name.
        public var test: String
        /// Requests of this test completed so far ...
        public var completed: Int
        /// ... of which failed.
        public var failed: Int
        /// Requests the test sends.
        public var total: Int
        /// Seconds since the test started.
        public var elapsedSeconds: Double
        /// Seconds since the benchmark started.
        public var benchElapsedSeconds: Double
        /// Seconds of cooldown left (0 while a test runs).
        public var coolingDownSeconds: Double
    }

    /// Runs every phase. A signal on `signals` ends the current test (its in-flight requests are
    /// cancelled and it is kept, marked interrupted) and the benchmark, with `complete` false.
    /// `onTest` sees each result as it is made, so a caller can save partial results; an error it
    /// throws (a result file that could not be written) ends the benchmark with that error.
    public static func run(_ config: BenchConfig, signals: SignalWatcher?,
                           onProgress: (Progress) -> Void = { _ in },
                           onTest: (BenchResult) throws(LoadgenError) -> Void = { _ in }) throws(LoadgenError) -> BenchResult {
        let metrics = config.serverMetrics.map { ServerMetricsSession($0, server: config.target, signals: signals) }
        defer { metrics?.finish() }
        return try run(config, signals: signals, executor: EngineExecutor(config: config, signals: signals), metrics: metrics,
                       onProgress: onProgress, onTest: onTest)
    }

    /// Runs one test: the real one drives the engine; tests substitute crafted results.
    protocol TestExecutor {
        func execute(_ test: BenchTest, progress: (Int, Int, Double) -> Void) throws(LoadgenError) -> (RunResult, Int32?)
    }

    struct EngineExecutor: TestExecutor {
        let config: BenchConfig
        let signals: SignalWatcher?
        func execute(_ test: BenchTest, progress: (Int, Int, Double) -> Void) throws(LoadgenError) -> (RunResult, Int32?) {
            try BenchRunner.runTest(test, config: config, signals: signals, progress: progress)
        }
    }

    /// The phase logic, over any executor.
    static func run<Executor: TestExecutor>(_ config: BenchConfig, signals: SignalWatcher?, executor: Executor,
                                            metrics: ServerMetricsSession? = nil,
                                            onProgress: (Progress) -> Void,
                                            onTest: (BenchResult) throws(LoadgenError) -> Void) throws(LoadgenError) -> BenchResult {
        try config.validate()
        let started = Clock.monotonicNanoseconds()
        var bench = BenchResult(config: config, environment: .current(), startedAtWallSeconds: Clock.wallSeconds())
        func benchElapsed() -> Double { Double(Clock.monotonicNanoseconds() - started) / 1e9 }

        phases: for (phaseIndex, phase) in BenchPhase.allCases.enumerated() {
            let tests = config.tests(of: phase)
            if tests.isEmpty { continue }
            // Cooldown between measurement phases (none after the warmup, as in the paper).
            if phaseIndex > 1, config.cooldownSeconds > 0 {
                if let signal = coolDown(config.cooldownSeconds, phase: phase, signals: signals, onProgress: onProgress, benchElapsed: benchElapsed) {
                    bench.interruptedBySignal = signal
                    break phases
                }
            }
            var previousThroughput: Double?
            for test in tests {
                let opening = metrics?.openWindow()
                let startedWall = Clock.wallSeconds()
                let (run, signal) = try executor.execute(test) { completed, failed, elapsed in
                    onProgress(Progress(phase: phase, test: test.name, completed: completed, failed: failed, total: test.requests,
                                        elapsedSeconds: elapsed, benchElapsedSeconds: benchElapsed(), coolingDownSeconds: 0))
                }
                var result = BenchTestResult(test: test, run: run, status: .ok, statusReason: "", startedAtWallSeconds: startedWall)
                let (status, reason) = BenchStatusRule.classify(
                    phase: phase, successRate: result.successRate, p99Seconds: result.latencyP99,
                    baselineP99Seconds: phase == .scaling ? bench.baselineP99 : nil,
                    throughputTotal: result.throughputTotal, previousThroughputTotal: previousThroughput)
                result.status = status
                result.statusReason = reason
                if let signal {
                    result.interrupted = true
                    result.status = .interrupted
                    result.statusReason = "stopped by \(LoadgenError.signalName(signal)) after \(run.requests) of \(test.requests) requests started"
                }
                result.serverMetrics = metrics?.closeWindow(opening, label: test.name, result: run)
                bench.results.append(result)
                bench.serverMetrics = metrics?.snapshot()
                bench.endedAtWallSeconds = Clock.wallSeconds()
                try onTest(bench)
                if let signal {
                    bench.interruptedBySignal = signal
                    break phases
                }
                if phase == .warmup, let reason = run.connectionSetupFailure {
                    // Nothing answers: every later test would only repeat the connect errors.
                    bench.abortReason = "cannot connect to \(config.target.hostHeader): \(reason)"
                    break phases
                }
                previousThroughput = result.throughputTotal
                if phase == .scaling, status == .saturated || status == .failing { break }
            }
        }
        bench.complete = bench.interruptedBySignal == nil && bench.abortReason == nil
        bench.serverMetrics = metrics?.finish()
        bench.endedAtWallSeconds = Clock.wallSeconds()
        return bench
    }

    /// One test: exactly `requests` requests at `concurrency`, exact latencies kept.
    static func runTest(_ test: BenchTest, config: BenchConfig, signals: SignalWatcher?,
                        progress: (Int, Int, Double) -> Void) throws(LoadgenError) -> (RunResult, Int32?) {
        var plan = LoadPlan(target: config.target)
        // A seeded benchmark's tests must not share prompts either (see `derivingNonce`).
        var workload = config.workload.derivingNonce(Self.salt(test.name))
        workload.inputTokens = .fixed(test.inputTokens)
        workload.outputTokens = .fixed(test.outputTokens)
        if let images = test.images {
            workload.imagesPerRequest = images.lowerBound
            workload.maxImagesPerRequest = images.upperBound
        } else {
            workload.imagesPerRequest = 0
            workload.maxImagesPerRequest = nil
        }
        plan.workload = workload
        plan.headers = config.headers
        plan.tls = config.tls
        plan.concurrency = test.concurrency
        plan.stop = .requests(test.requests)
        plan.threads = max(1, min(config.threads, test.concurrency))
        plan.requestTimeoutSeconds = config.requestTimeoutSeconds
        plan.timestamps = config.timestamps
        plan.clientLimits = config.clientLimits
        plan.keepsLatencySamples = true
        return try LoadRun.run(plan, signals: signals) { now, elapsed in progress(now.completed, now.failed, elapsed) }
    }

    /// A number that stays the same for a test's name (FNV-1a), so each test of a seeded benchmark
    /// gets a nonce of its own, the same in every run of it.
    static func salt(_ name: String) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: hash)
    }

    /// Sleeps `seconds`, reporting progress; returns a signal if one ended it early.
    private static func coolDown(_ seconds: Double, phase: BenchPhase, signals: SignalWatcher?,
                                 onProgress: (Progress) -> Void, benchElapsed: () -> Double) -> Int32? {
        let end = Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: seconds)
        while true {
            let now = Clock.monotonicNanoseconds()
            if now >= end { return nil }
            let left = Double(end - now) / 1e9
            onProgress(Progress(phase: phase, test: "cooldown", completed: 0, failed: 0, total: 0, elapsedSeconds: 0,
                                benchElapsedSeconds: benchElapsed(), coolingDownSeconds: left))
            let wait = Int32(min(left * 1000, 250).rounded(.up))
            if let signals {
                if let signal = signals.wait(milliseconds: wait) { return signal }
            } else {
                _ = ProcessResources.sleep(milliseconds: Int(wait))
            }
        }
    }
}
