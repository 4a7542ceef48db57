import Glibc
import Loadgen

/// `loadgen bench`: the unified progressive benchmark of seed 001 and the paper (sections 5.1, 5.3).
enum BenchCommand {
    static let usage = """
    usage: loadgen bench [--model NAME] [--base-url URL] [options]

    The progressive benchmark WARMUP -> BASELINE -> SCALING -> STRESS -> SATURATION, with the seed
    script's tests, request counts, token lengths and the paper's status rules (OK, DEGRADED,
    SATURATED, FAILING), run on loadgen's engine. Writes results/unified_YYYYMMDD_HHMMSS.json and
    .md with two SVG charts beside them, after every test (Ctrl-C keeps what was measured).

    Mode:
          --quick                 \(HelpDefaults.factor(SeedProtocol.Bench.quickMultiplier)) requests (fast validation)
          --thorough              \(HelpDefaults.factor(SeedProtocol.Bench.thoroughMultiplier)) requests (capacity planning); default \(HelpDefaults.factor(SeedProtocol.Bench.defaultMultiplier))
          --vision                add the vision stress tests (multi_image, vision_high_concurrency,
                                  vision_sustained); chat only
          --skip-saturation       skip the SATURATION phase
          --scaling-levels A,B    SCALING concurrency levels (default \(HelpDefaults.list(SeedProtocol.Bench.scalingLevels)))
          --saturation-levels A,B SATURATION levels (default \(HelpDefaults.list(SeedProtocol.Bench.saturationLevels)))
          --cooldown TIME         pause between phases (default \(HelpDefaults.seconds(SeedProtocol.Bench.cooldownSeconds)))
    Server and requests:
    \(OpenAIOptions.help)
    \(TLSOptions.help)
          --timeout TIME          per-request timeout (default \(HelpDefaults.seconds(SeedProtocol.requestTimeoutSeconds)))
      -t, --threads N             client event-loop threads (default: online CPUs)
    Server metrics:
    \(MetricsOptions.help)
    Output:
          --output-dir DIR        where result files go (default results; checked before the
                                  first request, and a failed write stops the benchmark)
          --json                  print the result JSON instead of the tables
          --quiet                 no progress lines
          --max-error-rate R      exit 3 when more than R (0.05 or 5%) of all requests failed
    \(ClientCheckOptions.help)
      -h, --help

    Exit codes: 0 complete, 1 the server could not be reached or a file not written, 2 bad
    arguments, 3 no request succeeded (or more failed than --max-error-rate, or with --strict
    the client fell behind in a test), 130/143
    interrupted (results so far are written with "complete": false, the cut-short test
    INTERRUPTED).
    """

    struct Options {
        var config: BenchConfig
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
        var multiplier = SeedProtocol.Bench.defaultMultiplier
        var modeGiven: String?
        var vision = false
        var skipSaturation = false
        var scalingLevels: [Int]?
        var saturationLevels: [Int]?
        var cooldown = SeedProtocol.Bench.cooldownSeconds
        var timeout = SeedProtocol.requestTimeoutSeconds
        var threads: Int?
        var output = "results"
        var quiet = false
        var json = false
        var maxErrorRate: Double?
        var clientCheck = ClientCheckOptions()
        var metrics = MetricsOptions()
        while let argument = cursor.next() {
            if try metrics.consume(argument, &cursor) { continue }
            if ["--input-tokens", "--max-tokens", "--output-tokens", "--images", "--random-input-len", "--random-output-len",
                "--input-len", "--output-len", "--random-range-ratio"].contains(argument) {
                throw UsageError("\(argument) is set per test by the benchmark's phases; use loadgen run for one level of your own")
            }
            if try openAI.consume(argument, &cursor) { continue }
            if try clientCheck.consume(argument, &cursor) { continue }
            if try tls.consume(argument, &cursor) { continue }
            switch argument {
            case "-h", "--help": return nil
            case "--quick", "--thorough":
                if let modeGiven, modeGiven != argument { throw UsageError("give --quick or --thorough, not both") }
                modeGiven = argument
                multiplier = argument == "--quick" ? SeedProtocol.Bench.quickMultiplier : SeedProtocol.Bench.thoroughMultiplier
            case "--vision": vision = true
            case "--skip-saturation": skipSaturation = true
            case "--scaling-levels": scalingLevels = try LevelList.parse(try cursor.value(for: argument), flag: argument)
            case "--saturation-levels": saturationLevels = try LevelList.parse(try cursor.value(for: argument), flag: argument)
            case "--cooldown": cooldown = try cursor.seconds(for: argument, allowingZero: true, atMost: 86_400)
            case "--timeout": timeout = try cursor.seconds(for: argument)
            case "-t", "--threads": threads = try cursor.int(for: argument, in: 1...1024)
            case "--output-dir": output = try cursor.value(for: argument)
            case "--quiet", "-q": quiet = true
            case "--json": json = true
            case "--max-error-rate": maxErrorRate = try cursor.errorRate(for: argument)
            default:
                throw UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)' for bench" : "bench takes no URL: give --base-url, got '\(argument)'")
            }
        }
        if vision, openAI.endpoint == .completions {
            throw UsageError("--vision needs chat requests: it cannot be used with --completions")
        }
        var config = BenchConfig(target: try openAI.target(), workload: try openAI.workload())
        config.headers = openAI.requestHeaders
        config.tls = try tls.configuration(for: config.target)
        config.multiplier = multiplier
        config.vision = vision
        config.skipSaturation = skipSaturation
        if let scalingLevels { config.scalingLevels = scalingLevels }
        if let saturationLevels { config.saturationLevels = saturationLevels }
        config.cooldownSeconds = cooldown
        config.requestTimeoutSeconds = timeout
        if let threads { config.threads = threads }
        config.timestamps = clientCheck.timestamps
        config.clientLimits = clientCheck.limits
        config.serverMetrics = try metrics.plan()
        do { try config.validate() } catch { throw UsageError(error.description) }
        return Options(config: config, server: openAI.serverLookup, outputDirectory: output, quiet: quiet, json: json, maxErrorRate: maxErrorRate,
                       clientCheck: clientCheck)
    }

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        let options: Options
        switch ParsedCommand.parse("bench", usage: usage, arguments, parse) {
        case .run(let parsed): options = parsed
        case .exit(let code): return code
        }
        var config = options.config
        do { try ResultFiles.checkWritable(options.outputDirectory) } catch {
            Terminal.error("loadgen bench: cannot write results to \(options.outputDirectory): \(error)")
            return 1
        }
        if let error = OpenAIOptions.prepare(&config.workload, options.server, target: config.target, headers: config.headers,
                                             tls: config.tls, signals: signals) {
            if let signal = error.signal { return 128 + signal }
            Terminal.error("loadgen bench: \(error.message)")
            return 1
        }
        let interactive = !options.quiet && Terminal.stderrIsTerminal
        var files: (json: String, markdown: String)?
        var stem: String?
        if !options.quiet {
            Terminal.error("loadgen bench: \(config.workload.model) at \(config.target.url), \(config.modeName)")
        }
        let bench: BenchResult
        do {
            bench = try BenchRunner.run(config, signals: signals, onProgress: { progress in
                guard interactive else { return }
                if progress.coolingDownSeconds > 0 {
                    Terminal.progress("  cooldown before \(progress.phase.rawValue): \(Format.fixed(progress.coolingDownSeconds, decimals: 1)) s")
                    return
                }
                let rate = progress.elapsedSeconds > 0 ? Double(progress.completed) / progress.elapsedSeconds : 0
                Terminal.progress("  \(progress.phase.rawValue) \(progress.test)  \(progress.completed + progress.failed)/\(progress.total)  "
                    + "\(Format.rate(rate)) req/s  \(progress.failed) errors  elapsed \(Format.fixed(progress.benchElapsedSeconds, decimals: 0)) s")
            }, onTest: { (partial: BenchResult) throws(LoadgenError) in
                guard let latest = partial.results.last else { return }
                if interactive { Terminal.clearProgress() }
                if !options.quiet {
                    Terminal.error("  \(latest.test.phase.rawValue) \(latest.test.name): \(latest.status.rawValue), "
                        + "\(Format.rate(latest.throughputTotal)) tok/s, p99 \(Format.milliseconds(latest.latencyP99 * 1000)) ms, "
                        + "success \(Format.percent(latest.successRate))")
                }
                // Saved after every test, atomically, so a crash or Ctrl-C never loses a finished
                // test; a write that fails stops the benchmark (measuring on, unsaved, helps no one).
                let name = stem ?? ResultFiles.freshStem("unified", wallSeconds: partial.startedAtWallSeconds, directory: options.outputDirectory)
                stem = name
                do throws(SystemError) { files = try ResultFiles.writeBench(partial, directory: options.outputDirectory, stem: name) } catch {
                    throw .resultsNotWritten(directory: options.outputDirectory, error)
                }
            })
        } catch {
            if interactive { Terminal.clearProgress() }
            Terminal.error("loadgen bench: \(error)")
            return 1
        }
        if interactive { Terminal.clearProgress() }
        let name = stem ?? ResultFiles.freshStem("unified", wallSeconds: bench.startedAtWallSeconds, directory: options.outputDirectory)
        do { files = try ResultFiles.writeBench(bench, directory: options.outputDirectory, stem: name) } catch {
            Terminal.error("loadgen bench: \(LoadgenError.resultsNotWritten(directory: options.outputDirectory, error))")
            return 1
        }
        if options.json {
            Terminal.out(BenchReport.json(bench).serialized())
        } else {
            Terminal.out(BenchReport.table(bench.results))
            if let streaming = BenchReport.streamingTable(bench.results) {
                Terminal.out("")
                Terminal.out(streaming)
            }
            Terminal.out("")
            if let server = ServerMetricsReport.table(bench.serverMetricsWindows, firstColumn: "Test") {
                Terminal.out("Server metrics:")
                Terminal.out(server)
                Terminal.out("")
            }
            for line in BenchReport.summaryLines(bench) { Terminal.out(line) }
            if let files { Terminal.out("Results: \(files.json)\n         \(files.markdown)") }
        }
        if let signal = bench.interruptedBySignal { return 128 + signal }
        if let reason = bench.abortReason {
            Terminal.error("loadgen bench: \(reason)")
            return 1
        }
        let requests = bench.results.reduce(UInt64(0)) { $0 + $1.run.requests }
        let succeeded = bench.results.reduce(UInt64(0)) { $0 + $1.run.succeeded }
        if let (code, reason) = ErrorRateGate.check(requests: requests, succeeded: succeeded, maximum: options.maxErrorRate) {
            Terminal.error("loadgen bench: \(reason)")
            return code
        }
        if let (code, reason) = options.clientCheck.gate(bench.results.filter { !$0.interrupted }.map { ($0.test.name, $0.run) }) {
            Terminal.error("loadgen bench: \(reason)")
            return code
        }
        return 0
    }
}
