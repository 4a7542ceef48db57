/// Runs `loadgen sweep`: for each run, (restart and wait for the server,) a discarded warmup, then
/// every level in order; a cooldown between runs.
public enum SweepRunner {
    /// What the sweep is doing.
    public enum Stage: Sendable, Equatable {
        /// Waiting for the restarted server; `lastAnswer` says what the readiness check last saw.
        case restarting(lastAnswer: String)
        /// Pausing between runs.
        case coolingDown
        /// Sending the run's discarded warmup.
        case warmup
        /// Measuring one level.
        case level(concurrency: Int)
    }

    /// Progress, about four times a second.
    public struct Progress: Sendable {
        /// The run (1-based) ...
        public var run: Int
        /// ... of this many.
        public var runs: Int
        /// What it is doing.
        public var stage: Stage
        /// Requests completed in this stage ...
        public var completed: Int
        /// ... of which failed.
        public var failed: Int
        /// The level's request count, if it has one.
        public var total: Int?
        /// Seconds in this stage.
        public var elapsedSeconds: Double
    }

    /// Runs the sweep. A signal ends it (the interrupted level is kept, its in-flight requests
    /// cancelled); a server that never becomes ready ends it with `abortReason`. `onUpdate` sees the
    /// result after every level, so a caller can save partial results; an error it throws (a
    /// result file that could not be written) ends the sweep with that error.
    public static func run(_ plan: SweepPlan, signals: SignalWatcher?, restartLogPath: String,
                           onProgress: (Progress) -> Void = { _ in },
                           onUpdate: (SweepResult) throws(LoadgenError) -> Void = { _ in }) throws(LoadgenError) -> SweepResult {
        try plan.validate()
        var sweep = SweepResult(plan: plan, environment: .current(), startedAtWallSeconds: Clock.wallSeconds())
        let restarter = plan.restartCommand.map {
            ServerRestarter(command: $0, target: plan.target, headers: plan.headers, logPath: restartLogPath, tls: plan.tls)
        }
        defer { restarter?.stop() }
        let metrics = plan.serverMetrics.map { ServerMetricsSession($0, server: plan.target, signals: signals) }
        defer { metrics?.finish() }

        runs: for index in 1...plan.runs {
            if index > 1, plan.cooldownSeconds > 0 {
                let end = Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: plan.cooldownSeconds)
                let start = Clock.monotonicNanoseconds()
                while Clock.monotonicNanoseconds() < end {
                    onProgress(Progress(run: index, runs: plan.runs, stage: .coolingDown, completed: 0, failed: 0, total: nil,
                                        elapsedSeconds: Double(Clock.monotonicNanoseconds() - start) / 1e9))
                    let left = Int32(min(Double(end - Clock.monotonicNanoseconds()) / 1e6, 250).rounded(.up))
                    if let signals, let signal = signals.wait(milliseconds: max(left, 1)) {
                        sweep.interruptedBySignal = signal
                        break runs
                    } else if signals == nil {
                        _ = ProcessResources.sleep(milliseconds: Int(max(left, 1)))
                    }
                }
            }
            var run = SweepResult.Run(index: index, startedAtWallSeconds: Clock.wallSeconds())
            if let restarter {
                do {
                    run.restartSeconds = try restarter.restart(readyTimeoutSeconds: plan.readyTimeoutSeconds, signals: signals) { waited, last in
                        onProgress(Progress(run: index, runs: plan.runs, stage: .restarting(lastAnswer: last), completed: 0, failed: 0,
                                            total: nil, elapsedSeconds: waited))
                    }
                } catch {
                    if case .interrupted(let signal) = error {
                        sweep.interruptedBySignal = signal
                    } else {
                        sweep.abortReason = "run \(index): \(error)"
                    }
                    break runs
                }
            }
            if plan.warmupRequests > 0 || (plan.warmupSeconds ?? 0) > 0 {
                var warmup = levelPlan(plan, concurrency: min(plan.warmupSeconds == nil ? plan.warmupRequests : .max, plan.levels.first ?? 1),
                                       salt: index * 1000)
                warmup.stop = plan.warmupSeconds.map { .duration(seconds: $0) } ?? .requests(plan.warmupRequests)
                warmup.keepsLatencySamples = false
                let (result, signal) = try LoadRun.run(warmup, signals: signals) { now, elapsed in
                    onProgress(Progress(run: index, runs: plan.runs, stage: .warmup, completed: now.completed, failed: now.failed,
                                        total: plan.warmupSeconds == nil ? plan.warmupRequests : nil, elapsedSeconds: elapsed))
                }
                if let signal {
                    sweep.interruptedBySignal = signal
                    break runs
                }
                if let reason = result.connectionSetupFailure {
                    sweep.abortReason = "run \(index): cannot connect to \(plan.target.hostHeader): \(reason)"
                    break runs
                }
            }
            sweep.runs.append(run)
            for (level, concurrency) in plan.levels.enumerated() {
                // The run's first level follows its warmup: let the server book it first.
                let opening = metrics?.openWindow(settleFirst: level == 0)
                let load = levelPlan(plan, concurrency: concurrency, salt: index * 1000 + level + 1)
                let (result, signal) = try LoadRun.run(load, signals: signals) { now, elapsed in
                    onProgress(Progress(run: index, runs: plan.runs, stage: .level(concurrency: concurrency), completed: now.completed,
                                        failed: now.failed, total: plan.requestsPerLevel, elapsedSeconds: elapsed))
                }
                var level = SweepResult.LevelRun(concurrency: concurrency, result: result)
                level.serverMetrics = metrics?.closeWindow(opening, label: SweepResult.metricsLabel(run: index, concurrency: concurrency),
                                                           result: result)
                sweep.runs[sweep.runs.count - 1].levels.append(level)
                sweep.serverMetrics = metrics?.snapshot()
                try onUpdate(sweep)
                if let signal {
                    sweep.interruptedBySignal = signal
                    break runs
                }
            }
        }
        sweep.complete = sweep.interruptedBySignal == nil && sweep.abortReason == nil
        if let metrics { sweep.serverMetrics = metrics.finish() }
        try onUpdate(sweep)
        return sweep
    }

    /// One level's plan. With a fixed nonce (`--seed`), each run and level gets its own (`salt`),
    /// so no level is served from the prefix cache an earlier one filled.
    static func levelPlan(_ plan: SweepPlan, concurrency: Int, salt: Int = 0) -> LoadPlan {
        var load = LoadPlan(target: plan.target)
        load.workload = plan.workload.derivingNonce(salt)
        load.headers = plan.headers
        load.tls = plan.tls
        load.concurrency = concurrency
        if let requests = plan.requestsPerLevel {
            load.stop = .requests(requests)
        } else {
            load.stop = .duration(seconds: plan.durationPerLevel ?? 1)
        }
        load.threads = max(1, min(plan.threads, concurrency))
        load.requestTimeoutSeconds = plan.requestTimeoutSeconds
        load.keepsLatencySamples = true
        load.timestamps = plan.timestamps
        load.clientLimits = plan.clientLimits
        return load
    }
}
