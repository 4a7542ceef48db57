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
          --levels LIST           10,50,100 or start:end:step (default 10,50,100,200,500,750,1000)
          --runs N                runs (default 5)
      -n, --requests N            requests ("prompts") per level (default 100)
      -d, --duration TIME         per level instead of a request count
          --warmup-requests N     discarded at the start of each run (default 10)
          --cooldown TIME         pause between runs (default 60s)
          --preset fine-saturation  the paper's fine sweep: 500:1000:50, 3 runs, 200 prompts, 2048/100
    Server restarts:
          --restart-cmd 'CMD'     run through /bin/sh before every run (output to a .log beside the
                                  results), then wait for GET /health or /v1/models to answer 200
          --ready-timeout TIME    how long the server may take to be ready (default 900s)
    Requests:
          --input-tokens N|A:B    prompt length (default 2048)
          --max-tokens N|A:B      output length (alias --output-tokens; default 512)
          --images N              N image_url parts per chat request
    \(OpenAIOptions.help)
          --timeout TIME          per-request timeout (default 300s)
      -t, --threads N             client event-loop threads (default: online CPUs)
    Output:
          --output-dir DIR        where result files go (default results)
          --quiet                 no progress line
      -h, --help

    Exit codes: 0 complete, 1 the server could not be reached or made ready, 2 bad arguments,
    130/143 interrupted (results so far are written with "complete": false).
    """

    struct Options {
        var plan: SweepPlan
        var model: String?
        var outputDirectory = "results"
        var quiet = false
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var openAI = OpenAIOptions()
        var levels: [Int]?
        var runs: Int?
        var requests: Int?
        var duration: Double?
        var warmup: Int?
        var cooldown: Double?
        var preset: String?
        var restart: String?
        var readyTimeout: Double?
        var timeout = 300.0
        var threads: Int?
        var output = "results"
        var quiet = false
        var lengthsGiven = false
        while let argument = cursor.next() {
            if ["--input-tokens", "--max-tokens", "--output-tokens"].contains(argument) { lengthsGiven = true }
            if try openAI.consume(argument, &cursor) { continue }
            switch argument {
            case "-h", "--help": return nil
            case "--levels": levels = try LevelList.parse(try cursor.value(for: argument), flag: argument)
            case "--runs": runs = try cursor.int(for: argument, in: 1...1000)
            case "-n", "--requests": requests = try cursor.int(for: argument, in: 1...Int(Int32.max))
            case "-d", "--duration": duration = try cursor.seconds(for: argument)
            case "--warmup-requests": warmup = try cursor.int(for: argument, in: 0...1_000_000)
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
            default:
                throw UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)' for sweep" : "sweep takes no URL: give --base-url, got '\(argument)'")
            }
        }
        if requests != nil, duration != nil { throw UsageError("give --requests or --duration, not both") }
        let target: HTTPTarget
        do { target = try HTTPTarget(url: openAI.baseURL) } catch { throw UsageError(error.description) }
        var plan = SweepPlan(target: target, workload: try openAI.workload())
        if preset != nil {
            plan.applyFineSaturationPreset()
            if lengthsGiven {
                plan.workload.inputTokens = openAI.inputTokens
                plan.workload.outputTokens = openAI.outputTokens
            }
        }
        plan.headers = openAI.requestHeaders
        if let levels { plan.levels = levels }
        if let runs { plan.runs = runs }
        if let requests { plan.requestsPerLevel = requests }
        if let duration {
            plan.durationPerLevel = duration
            plan.requestsPerLevel = nil
        }
        if let warmup { plan.warmupRequests = warmup }
        if let cooldown { plan.cooldownSeconds = cooldown }
        plan.restartCommand = restart
        if let readyTimeout { plan.readyTimeoutSeconds = readyTimeout }
        plan.requestTimeoutSeconds = timeout
        if let threads { plan.threads = threads }
        do { try plan.validate() } catch { throw UsageError(error.description) }
        return Options(plan: plan, model: openAI.model, outputDirectory: output, quiet: quiet)
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
        do { try TextFile.makeDirectory(options.outputDirectory) } catch {
            Terminal.error("loadgen sweep: cannot create \(options.outputDirectory): \(error)")
            return 1
        }
        // With a restart command the server may not be up yet: the model is asked for after the
        // first restart, by the runner's first level; without one, ask now so errors come early.
        if plan.restartCommand == nil || options.model != nil {
            switch OpenAIOptions.resolveModel(options.model, target: plan.target, headers: plan.headers) {
            case .success(let model): plan.workload.model = model
            case .failure(let error):
                Terminal.error("loadgen sweep: \(error.message)")
                return 1
            }
        } else {
            Terminal.error("loadgen sweep: --restart-cmd without --model: give --model, the server may not be up to ask")
            return 2
        }
        let interactive = !options.quiet && Terminal.stderrIsTerminal
        var saveError: String?
        var files: (json: String, markdown: String)?
        let sweep: SweepResult
        do {
            sweep = try SweepRunner.run(plan, signals: signals, restartLogPath: directory + stem + "_restart.log", onProgress: { progress in
                guard interactive else { return }
                var line = "  run \(progress.run)/\(progress.runs)  "
                switch progress.stage {
                case .coolingDown: line += "cooldown \(Format.fixed(progress.elapsedSeconds, decimals: 0)) s"
                case .restarting(let last): line += "waiting for the server \(Format.fixed(progress.elapsedSeconds, decimals: 0)) s (\(last))"
                case .warmup: line += "warmup \(progress.completed + progress.failed)/\(progress.total ?? 0)"
                case .level(let concurrency):
                    line += "concurrency \(concurrency)  \(progress.completed + progress.failed)" + (progress.total.map { "/\($0)" } ?? "")
                        + "  \(progress.failed) errors  \(Format.fixed(progress.elapsedSeconds, decimals: 1)) s"
                }
                Terminal.progress(line)
            }, onUpdate: { partial in
                if interactive { Terminal.clearProgress() }
                if !options.quiet, let run = partial.runs.last, let level = run.levels.last {
                    Terminal.error("  run \(run.index) concurrency \(level.concurrency): \(Format.grouped(level.result.throughputTotal)) tok/s, "
                        + "success \(Format.fixed(level.result.successRate * 100, decimals: 1))%")
                }
                do { files = try ResultFiles.writeSweep(partial, directory: options.outputDirectory, stem: stem) } catch {
                    saveError = "\(error)"
                }
            })
        } catch {
            if interactive { Terminal.clearProgress() }
            Terminal.error("loadgen sweep: \(error)")
            return 1
        }
        if interactive { Terminal.clearProgress() }
        Terminal.out(SweepReport.table(sweep))
        Terminal.out("")
        for line in SweepReport.summaryLines(sweep) { Terminal.out(line) }
        if let files { Terminal.out("Results: \(files.json)\n         \(files.markdown)") }
        if let saveError {
            Terminal.error("loadgen sweep: cannot write results to \(options.outputDirectory): \(saveError)")
            return 1
        }
        if let signal = sweep.interruptedBySignal { return 128 + signal }
        if let reason = sweep.abortReason {
            Terminal.error("loadgen sweep: \(reason)")
            return 1
        }
        return 0
    }
}
