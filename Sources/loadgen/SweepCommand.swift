import Loadgen

/// `loadgen sweep`: multi-run statistics over concurrency levels (the seeds' protocol, paper 6.3-6.4).
enum SweepCommand {
    static let usage = """
    usage: loadgen sweep [--model NAME] [--base-url URL] [options]

    Runs the concurrency levels N times and reports, per level across runs, the mean, sample
    standard deviation, 95% confidence interval (Student's t, df = n - 1), coefficient of variation,
    min and max of total and output tokens/s, req/s and p50/p99 latency (and TTFT/TPOT with
    --stream); across levels the peak, the saturation point and the plateau's relative range.
    Defaults are the seeds' multi-run protocol. Writes results/sweep_YYYYMMDD_HHMMSS.json and .md
    after every level (Ctrl-C keeps what was measured).

    Levels and runs:
          --levels LIST           10,50,100 or start:end:step (default \(HelpDefaults.list(SeedProtocol.Sweep.levels)))
          --runs N                runs (default \(SeedProtocol.Sweep.runs))
      -n, --requests N            requests ("prompts") per level (default \(SeedProtocol.Sweep.requestsPerLevel); vLLM: --num-prompts)
      -d, --duration TIME         per level instead of a request count
          --warmup N|TIME         discarded at the start of each run: N requests or a duration
                                  (default \(SeedProtocol.Sweep.warmupRequests) requests; --warmup-requests N is the same)
          --cooldown TIME         pause between runs (default \(HelpDefaults.seconds(SeedProtocol.Sweep.cooldownSeconds)))
          --preset fine-saturation  the paper's fine sweep: \(HelpDefaults.range(SeedProtocol.Sweep.fineSaturationLevels)), \(SeedProtocol.Sweep.fineSaturationRuns) runs, \(SeedProtocol.Sweep.fineSaturationRequestsPerLevel) prompts, \(SeedProtocol.Sweep.fineSaturationInputTokens)/\(SeedProtocol.Sweep.fineSaturationOutputTokens)
    Server restarts:
          --restart-cmd 'CMD'     run through /bin/sh before every run (output to a .log beside the
                                  results), then wait for GET /health or /v1/models to answer 200
                                  (over https with the flags below);
                                  CMD runs in its own process group, and the whole group is stopped
                                  (TERM, then KILL after 2 s) before the next restart, at the end
                                  and on Ctrl-C, so a server it started never outlives the sweep
          --ready-timeout TIME    how long the server may take to be ready (default 900s)
    Requests:
          --input-tokens N|A:B    prompt length (default \(SeedProtocol.Sweep.inputTokens))
          --max-tokens N|A:B      output length (alias --output-tokens; default \(SeedProtocol.Sweep.outputTokens))
          --images N              N image_url parts per chat request
    \(OpenAIOptions.help)
    \(TLSOptions.help)
          --timeout TIME          per-request timeout (default \(HelpDefaults.seconds(SeedProtocol.requestTimeoutSeconds)))
      -t, --threads N             client event-loop threads (default: online CPUs)
    Server metrics:
    \(MetricsOptions.help)
    Output:
          --output-dir DIR        where result files go (default results; checked before the
                                  first request, and a failed write stops the sweep)
          --json                  print the result JSON instead of the table
          --quiet                 no progress lines
          --max-error-rate R      exit 3 when more than R (0.05 or 5%) of all requests failed
    \(ClientCheckOptions.help)
      -h, --help

    Exit codes: 0 complete, 1 the server could not be reached or made ready, or a file not
    written, 2 bad arguments, 3 no request succeeded (or more failed than --max-error-rate, or
    with --strict the client fell behind at a level), 130/143 interrupted (results so far are written with "complete": false).
    """

    struct Options {
        var plan: SweepPlan
        /// What to ask the server before the runs (`--model` among it).
        var server = OpenAIOptions.ServerLookup()
        var model: String? { server.model }
        var outputDirectory = "results"
        var quiet = false
        var json = false
        var maxErrorRate: Double?
        var clientCheck = ClientCheckOptions()
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var openAI = OpenAIOptions()
        var tls = TLSOptions()
        // The protocol's lengths (2,048 in, 512 out) are this command's defaults.
        openAI.inputTokens = .fixed(SeedProtocol.Sweep.inputTokens)
        openAI.outputTokens = .fixed(SeedProtocol.Sweep.outputTokens)
        var levels: [Int]?
        var runs: Int?
        var requests: Int?
        var duration: Double?
        var warmup: WarmupSpec?
        var cooldown: Double?
        var preset: String?
        var restart: String?
        var readyTimeout: Double?
        var timeout = SeedProtocol.requestTimeoutSeconds
        var threads: Int?
        var output = "results"
        var quiet = false
        var json = false
        var maxErrorRate: Double?
        var lengthsGiven = false
        var clientCheck = ClientCheckOptions()
        var metrics = MetricsOptions()
        while let argument = cursor.next() {
            if try metrics.consume(argument, &cursor) { continue }
            if ["--input-tokens", "--max-tokens", "--output-tokens", "--random-input-len", "--random-output-len", "--input-len",
                "--output-len", "--random-range-ratio"].contains(argument) { lengthsGiven = true }
            if try openAI.consume(argument, &cursor) { continue }
            if try clientCheck.consume(argument, &cursor) { continue }
            if try tls.consume(argument, &cursor) { continue }
            switch argument {
            case "-h", "--help": return nil
            case "--levels": levels = try LevelList.parse(try cursor.value(for: argument), flag: argument)
            case "--runs": runs = try cursor.int(for: argument, in: 1...1000)
            case "-n", "--requests", "--num-prompts": requests = try cursor.int(for: argument, in: 1...Int(Int32.max))
            case "-d", "--duration": duration = try cursor.seconds(for: argument)
            case "--warmup": warmup = try cursor.warmup(for: argument)
            case "--warmup-requests", "--num-warmups": warmup = .requests(try cursor.int(for: argument, in: 0...1_000_000))
            case "--cooldown": cooldown = try cursor.seconds(for: argument, allowingZero: true, atMost: 86_400)
            case "--preset":
                let value = try cursor.value(for: argument)
                guard value == "fine-saturation" else { throw UsageError("--preset knows fine-saturation, got '\(value)'") }
                preset = value
            case "--restart-cmd":
                let value = try cursor.value(for: argument)
                guard !value.isEmpty else { throw UsageError("--restart-cmd is empty") }
                restart = value
            case "--ready-timeout": readyTimeout = try cursor.seconds(for: argument)
            case "--timeout": timeout = try cursor.seconds(for: argument)
            case "-t", "--threads": threads = try cursor.int(for: argument, in: 1...1024)
            case "--output-dir": output = try cursor.value(for: argument)
            case "--quiet", "-q": quiet = true
            case "--json": json = true
            case "--max-error-rate": maxErrorRate = try cursor.errorRate(for: argument)
            default:
                throw UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)' for sweep" : "sweep takes no URL: give --base-url, got '\(argument)'")
            }
        }
        if requests != nil, duration != nil { throw UsageError("give --requests or --duration, not both") }
        let workload = try openAI.workload()
        var plan = SweepPlan(target: try openAI.target(), workload: workload)
        // SweepPlan's init turns run's 500/100 defaults into the protocol's; here the lengths are
        // exactly what was asked (an explicit --input-tokens 500 stays 500).
        plan.workload.inputTokens = workload.inputTokens
        plan.workload.outputTokens = workload.outputTokens
        if preset != nil {
            plan.applyFineSaturationPreset()
            if lengthsGiven {
                plan.workload.inputTokens = workload.inputTokens
                plan.workload.outputTokens = workload.outputTokens
            }
        }
        plan.headers = openAI.requestHeaders
        plan.tls = try tls.configuration(for: plan.target)
        if let levels { plan.levels = levels }
        if let runs { plan.runs = runs }
        if let requests { plan.requestsPerLevel = requests }
        if let duration {
            plan.durationPerLevel = duration
            plan.requestsPerLevel = nil
        }
        switch warmup {
        case .requests(let count)?: plan.warmupRequests = count
        case .seconds(let seconds)?: plan.warmupSeconds = seconds
        case nil: break
        }
        if let cooldown { plan.cooldownSeconds = cooldown }
        plan.restartCommand = restart
        if let readyTimeout { plan.readyTimeoutSeconds = readyTimeout }
        plan.requestTimeoutSeconds = timeout
        if let threads { plan.threads = threads }
        plan.timestamps = clientCheck.timestamps
        plan.clientLimits = clientCheck.limits
        plan.serverMetrics = try metrics.plan()
        do { try plan.validate() } catch { throw UsageError(error.description) }
        return Options(plan: plan, server: openAI.serverLookup, outputDirectory: output, quiet: quiet, json: json, maxErrorRate: maxErrorRate,
                       clientCheck: clientCheck)
    }

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        let options: Options
        switch ParsedCommand.parse("sweep", usage: usage, arguments, parse) {
        case .run(let parsed): options = parsed
        case .exit(let code): return code
        }
        var plan = options.plan
        let stem = ResultFiles.freshStem("sweep", wallSeconds: Clock.wallSeconds(), directory: options.outputDirectory)
        let directory = options.outputDirectory.hasSuffix("/") ? options.outputDirectory : options.outputDirectory + "/"
        do { try ResultFiles.checkWritable(options.outputDirectory) } catch {
            Terminal.error("loadgen sweep: cannot write results to \(options.outputDirectory): \(error)")
            return 1
        }
        // With a restart command the server may not be up yet: the model is asked for after the
        // first restart, by the runner's first level; without one, ask now so errors come early.
        if plan.restartCommand == nil || options.model != nil {
            if let error = OpenAIOptions.prepare(&plan.workload, options.server, target: plan.target, headers: plan.headers,
                                                 tls: plan.tls, signals: signals) {
                if let signal = error.signal { return 128 + signal }
                Terminal.error("loadgen sweep: \(error.message)")
                return 1
            }
        } else {
            Terminal.error("loadgen sweep: --restart-cmd without --model: give --model, the server may not be up to ask")
            return 2
        }
        let interactive = !options.quiet && Terminal.stderrIsTerminal
        var files: (json: String, markdown: String)?
        // Levels already reported: the runner reports again at the end with nothing new.
        var reportedLevels = 0
        let sweep: SweepResult
        do {
            sweep = try SweepRunner.run(plan, signals: signals, restartLogPath: directory + stem + "_restart.log", onProgress: { progress in
                guard interactive else { return }
                var line = "  run \(progress.run)/\(progress.runs)  "
                switch progress.stage {
                case .coolingDown: line += "cooldown \(Format.fixed(progress.elapsedSeconds, decimals: 0)) s"
                case .restarting(let last): line += "waiting for the server \(Format.fixed(progress.elapsedSeconds, decimals: 0)) s (\(last))"
                case .warmup: line += "warmup \(progress.completed + progress.failed)" + (progress.total.map { "/\($0)" } ?? "")
                case .level(let concurrency):
                    line += "concurrency \(concurrency)  \(progress.completed + progress.failed)" + (progress.total.map { "/\($0)" } ?? "")
                        + "  \(progress.failed) errors  \(Format.fixed(progress.elapsedSeconds, decimals: 1)) s"
                }
                Terminal.progress(line)
            }, onUpdate: { (partial: SweepResult) throws(LoadgenError) in
                if interactive { Terminal.clearProgress() }
                let levels = partial.runs.reduce(0) { $0 + $1.levels.count }
                if !options.quiet, levels > reportedLevels, let run = partial.runs.last, let level = run.levels.last {
                    Terminal.error("  run \(run.index) concurrency \(level.concurrency)\(level.result.interruptedBySignal != nil ? " (interrupted)" : ""): "
                        + "\(Format.rate(level.result.throughputTotal)) tok/s, success \(Format.percent(level.result.successRate))")
                }
                reportedLevels = levels
                do throws(SystemError) { files = try ResultFiles.writeSweep(partial, directory: options.outputDirectory, stem: stem) } catch {
                    throw .resultsNotWritten(directory: options.outputDirectory, error)
                }
            })
        } catch {
            if interactive { Terminal.clearProgress() }
            Terminal.error("loadgen sweep: \(error)")
            return 1
        }
        if interactive { Terminal.clearProgress() }
        if options.json {
            Terminal.out(SweepReport.json(sweep).serialized())
        } else {
            Terminal.out(SweepReport.table(sweep))
            Terminal.out("")
            if let server = ServerMetricsReport.table(sweep.serverMetricsWindows) {
                Terminal.out("Server metrics:")
                Terminal.out(server)
                Terminal.out("")
            }
            for line in SweepReport.summaryLines(sweep) { Terminal.out(line) }
            if let files { Terminal.out("Results: \(files.json)\n         \(files.markdown)") }
        }
        if let signal = sweep.interruptedBySignal { return 128 + signal }
        if let reason = sweep.abortReason {
            Terminal.error("loadgen sweep: \(reason)")
            return 1
        }
        let levels = sweep.runs.flatMap(\.levels)
        let requests = levels.reduce(UInt64(0)) { $0 + $1.result.requests }
        let succeeded = levels.reduce(UInt64(0)) { $0 + $1.result.succeeded }
        if let (code, reason) = ErrorRateGate.check(requests: requests, succeeded: succeeded, maximum: options.maxErrorRate) {
            Terminal.error("loadgen sweep: \(reason)")
            return code
        }
        if let (code, reason) = options.clientCheck.gate(levels.map { ("concurrency \($0.concurrency)", $0.result) }) {
            Terminal.error("loadgen sweep: \(reason)")
            return code
        }
        return 0
    }
}
