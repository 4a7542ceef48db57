/// Runs `loadgen validate`: starts (or finds) the echo server, sweeps the levels, stops the server.
public enum ValidationRunner {
    /// Progress while a level runs.
    public struct Progress: Sendable {
        /// The level running (0-based) ...
        public var levelIndex: Int
        /// ... of this many.
        public var levelCount: Int
        /// Its concurrency.
        public var concurrency: Int
        /// Requests completed in the level so far ...
        public var completed: Int
        /// ... of which failed.
        public var failed: Int
        /// The level's request count, if it has one.
        public var target: Int?
        /// False during the warmup.
        public var measuring: Bool
        /// Seconds since the level started.
        public var elapsedSeconds: Double
    }

    /// Runs the sweep. `onProgress` is called about four times a second from this thread; a signal
    /// on `signals` stops the sweep, keeping the levels finished so far (in-flight requests of the
    /// current level are counted as cancelled and it is kept too).
    public static func run(_ plan: ValidationPlan, signals: SignalWatcher?,
                           onProgress: (Progress) -> Void = { _ in },
                           onLevel: (ValidationResult.Level) -> Void = { _ in }) throws(LoadgenError) -> ValidationResult {
        try plan.validate()
        let cpus = ProcessResources.onlineCPUs
        var clientCPUs: CPURange?
        var serverCPUs: CPURange?
        var child: ChildProcess?
        let url: String
        var serverThreads: Int?
        defer { child?.stop() }

        switch plan.server {
        case .running(let running):
            url = running
        case .start(let path, let leadingArguments):
            let share = max(cpus / 2, 1)
            if plan.pinCPUs, cpus >= 2 {
                clientCPUs = CPURange(first: 0, count: share)
                serverCPUs = CPURange(first: share, count: cpus - share)
            }
            serverThreads = serverCPUs?.count ?? share
            let name = leadingArguments.isEmpty ? "echo-server at \(path)" : ([path] + leadingArguments).joined(separator: " ")
            let process: ChildProcess
            do {
                process = try ChildProcess(path: path, arguments: leadingArguments + ["--host", "127.0.0.1", "--port", "0",
                                                                                      "--threads", String(serverThreads!)]
                                               + (plan.serverMetrics == nil ? [] : ["--metrics"]))
            } catch {
                throw .invalidPlan("cannot start \(name): \(SystemError.message(for: error.errno)) (give --echo-server PATH or --url URL)")
            }
            child = process
            if let serverCPUs { _ = process.pin(firstCPU: serverCPUs.first, count: serverCPUs.count) }
            let waitStarted = Clock.monotonicNanoseconds()
            switch process.waitForLine(timeoutMilliseconds: Int(SeedProtocol.Validation.echoServerStartSeconds * 1000), signals: signals) {
            case .line(let line) where line.hasPrefix("http://"):
                url = line
            case .line(let line):
                throw .invalidPlan("\(name) printed '\(line.prefix(80))' instead of its address http://HOST:PORT")
            case .closed:
                let waited = Double(Clock.monotonicNanoseconds() - waitStarted) / 1e9
                let status = process.exitDescription(waitingMilliseconds: 500)
                throw .invalidPlan("\(name) \(status) after \(Format.fixed(waited, decimals: 2)) s without printing its address")
            case .timedOut:
                throw .invalidPlan("\(name) did not print its address within \(Format.fixed(SeedProtocol.Validation.echoServerStartSeconds, decimals: 0)) s")
            case .signal(let signal):
                throw .interrupted(signal: signal)
            }
        }

        var template = try LoadPlan(url: url)
        // The server's base, for its /metrics: the URL when it is a base, else the server's root.
        var serverBase = template.target
        // A base URL (no path, "/" or the OpenAI SDK's "/v1") gets the chat endpoint; a URL with
        // any other path is the endpoint itself.
        if template.target.openAIBasePath.isEmpty || template.target.path.hasSuffix("/v1") || template.target.path.hasSuffix("/v1/") {
            template.target.path = template.target.openAIBasePath + "/v1/chat/completions"
        } else {
            serverBase.path = "/"
        }
        // Made here, after the server is up; it starts scraping at the first level.
        let metrics = plan.serverMetrics.map { ServerMetricsSession($0, server: serverBase, signals: signals) }
        defer { metrics?.finish() }
        let target = template.target.url
        template.method = "POST"
        template.headers = [.init("Content-Type", "application/json")]
        template.body = plan.body
        template.requestTimeoutSeconds = plan.requestTimeoutSeconds
        template.tls = plan.tls
        template.cpuAffinity = clientCPUs
        template.timestamps = plan.timestamps
        template.clientLimits = plan.clientLimits
        let clientThreads = plan.threads ?? clientCPUs?.count ?? cpus
        template.threads = clientThreads

        var result = ValidationResult(plan: plan, url: target, environment: .current(), clientThreads: clientThreads,
                                      clientCPUs: clientCPUs, serverCPUs: serverCPUs, serverThreads: serverThreads,
                                      startedAtWallSeconds: Clock.wallSeconds())
        result.serverPID = child?.pid
        if let clientCPUs { _ = ProcessResources.pinCurrentThread(firstCPU: clientCPUs.first, count: clientCPUs.count) }

        for (index, concurrency) in plan.levels.enumerated() {
            var levelPlan = template
            levelPlan.concurrency = concurrency
            if let requests = plan.requestsPerLevel {
                levelPlan.stop = .requests(requests)
                levelPlan.warmupSeconds = 0
            } else {
                levelPlan.stop = .duration(seconds: plan.durationSeconds)
                if let count = plan.warmupRequests {
                    levelPlan.warmupRequests = count
                } else {
                    levelPlan.warmupSeconds = plan.warmupSeconds
                }
                levelPlan.minimumRequests = plan.minimumRequests
            }
            let opening = metrics?.openWindow()
            let serverCPUBefore = child?.cpuMicroseconds
            let (runResult, signal) = try LoadRun.run(levelPlan, signals: signals) { progress, elapsed in
                onProgress(Progress(levelIndex: index, levelCount: plan.levels.count, concurrency: concurrency,
                                    completed: progress.completed, failed: progress.failed,
                                    target: plan.requestsPerLevel, measuring: progress.measuring,
                                    elapsedSeconds: elapsed))
            }
            if let signal, result.interruptedBySignal == nil { result.interruptedBySignal = signal }
            var serverCost: Double?
            if let before = serverCPUBefore, let after = child?.cpuMicroseconds {
                let served = runResult.requests + runResult.warmupRequests
                if served > 0 { serverCost = Double(after - before) / Double(served) }
            }
            var level = ValidationResult.Level(concurrency: concurrency, result: runResult, serverCPUMicrosecondsPerRequest: serverCost)
            level.serverMetrics = metrics?.closeWindow(opening, label: level.metricsLabel, result: runResult)
            result.levels.append(level)
            result.serverMetrics = metrics?.snapshot()
            onLevel(level)
            if result.interruptedBySignal != nil { break }
            if let child, !child.isRunning {
                throw .invalidPlan("echo-server exited during the level at concurrency \(concurrency)")
            }
        }
        if clientCPUs != nil { _ = ProcessResources.pinCurrentThread(firstCPU: 0, count: cpus) }
        result.serverMetrics = metrics?.finish()
        child?.stop()
        return result
    }
}
