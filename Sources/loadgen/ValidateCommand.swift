import Glibc
import Loadgen

/// `loadgen validate`: proves the client is not the bottleneck against the bundled echo server.
enum ValidateCommand {
    static let usage = """
    usage: loadgen validate [options]

    Starts the bundled echo server (`loadgen echo-server`) on a free loopback port (CPUs split half and half between it
    and the client), drives it at each concurrency level, and prints the seed's table, the peak
    and a verdict against a target workload. Writes results/validate_YYYYMMDD_HHMMSS.json and .md
    with two SVG charts beside them.

    Server:
          --url URL               validate against a running server instead of starting one
                                  (http:// or https://, with the HTTPS flags below)
          --echo-server PATH      a standalone echo-server binary to start (default: this loadgen,
                                  re-executed as `loadgen echo-server`)
          --no-pin                do not split the CPUs between client and server
    \(TLSOptions.help)
    Server metrics (the started echo-server serves /metrics with --metrics):
    \(MetricsOptions.help)
    Levels:
          --levels A,B,C          concurrency levels (default \(HelpDefaults.list(SeedProtocol.Validation.levels)))
      -n, --requests N            exactly N requests per level, no warmup (\(SeedProtocol.Validation.requestsPerLevel) = the seed's method)
      -d, --duration TIME         per level, after the warmup (default \(HelpDefaults.seconds(SeedProtocol.Validation.durationSeconds)); never fewer than \(Format.grouped(UInt64(SeedProtocol.Validation.minimumRequests))) requests)
          --warmup N|TIME         discarded warmup per level: N requests or a duration (default \(HelpDefaults.seconds(SeedProtocol.Validation.warmupSeconds)))
      -t, --threads N             client threads (default: the client's CPU share)
    Verdict:
          --target-rps R          target workload in requests/s
          --target-tokens-per-sec T  with --tokens-per-request K: target = T / K requests/s
          --tokens-per-request K  (default \(Int(SeedProtocol.Validation.targetTokensPerRequest)); the seed: \(Format.rate(SeedProtocol.Validation.targetTokensPerSecond)) tok/s at ~\(Format.rate(SeedProtocol.Validation.targetTokensPerRequest)) tokens = \(Format.fixed(SeedProtocol.Validation.targetTokensPerSecond / SeedProtocol.Validation.targetTokensPerRequest, decimals: 1)) req/s)
    Output:
          --output-dir DIR        where result files go (default results; checked before the first level)
          --json                  print the JSON result instead of the table
          --quiet                 no progress lines
          --max-error-rate R      exit 3 when more than R (0.05 or 5%) of all requests failed
    \(ClientCheckOptions.help)
      -h, --help

    Exit codes: 0 done, 1 the server could not be started or reached, or the results not
    written, 2 bad arguments, 3 no request succeeded (or more failed than --max-error-rate, or
    with --strict the client fell behind at a level), 130/143 interrupted (the levels measured so far are still written, the cut-short one marked).
    """

    struct Options {
        var plan: ValidationPlan
        var outputDirectory = "results"
        var quiet = false
        var json = false
        var maxErrorRate: Double?
        var clientCheck = ClientCheckOptions()
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var plan = ValidationPlan(server: .bundled)
        var output = "results"
        var quiet = false
        var json = false
        var maxErrorRate: Double?
        var targetRPS: Double?
        var targetTokens: Double?
        var tokensPerRequest: Double?
        var clientCheck = ClientCheckOptions()
        var tls = TLSOptions()
        var metrics = MetricsOptions()
        var urlTarget: HTTPTarget?
        while let argument = cursor.next() {
            if try clientCheck.consume(argument, &cursor) { continue }
            if try tls.consume(argument, &cursor) { continue }
            if try metrics.consume(argument, &cursor) { continue }
            switch argument {
            case "-h", "--help": return nil
            case "--url":
                let url = try cursor.value(for: argument)
                do { urlTarget = try HTTPTarget(url: url) } catch { throw UsageError(error.description) }
                plan.server = .running(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
            case "--echo-server": plan.server = .start(echoServerPath: try cursor.value(for: argument))
            case "--no-pin": plan.pinCPUs = false
            case "--levels": plan.levels = try parseLevels(try cursor.value(for: argument))
            case "-n", "--requests": plan.requestsPerLevel = try cursor.int(for: argument, in: 1...100_000_000)
            case "-d", "--duration": plan.durationSeconds = try cursor.seconds(for: argument)
            case "--warmup":
                switch try cursor.warmup(for: argument) {
                case .seconds(let seconds):
                    plan.warmupSeconds = seconds
                    plan.warmupRequests = nil
                case .requests(let count):
                    plan.warmupRequests = count
                }
            case "-t", "--threads": plan.threads = try cursor.int(for: argument, in: 1...1024)
            case "--target-rps": targetRPS = try cursor.positiveDouble(for: argument)
            case "--target-tokens-per-sec": targetTokens = try cursor.positiveDouble(for: argument)
            case "--tokens-per-request": tokensPerRequest = try cursor.double(for: argument, minimum: 1)
            case "--output-dir": output = try cursor.value(for: argument)
            case "--quiet", "-q": quiet = true
            case "--json": json = true
            case "--max-error-rate": maxErrorRate = try cursor.errorRate(for: argument)
            default: throw UsageError("unknown option '\(argument)' for validate")
            }
        }
        if case .running = plan.server, let urlTarget {
            plan.tls = try tls.configuration(for: urlTarget)
        } else if let first = tls.given.first {
            throw UsageError("\(first) applies to an https:// server given with --url; the bundled echo-server speaks http")
        }
        if let targetRPS {
            guard targetTokens == nil else { throw UsageError("give --target-rps or --target-tokens-per-sec, not both") }
            plan.targetRequestsPerSecond = targetRPS
            plan.targetDescription = "--target-rps \(Format.fixed(targetRPS, decimals: 3, trimZeros: true))"
        } else if let targetTokens {
            let perRequest = tokensPerRequest ?? SeedProtocol.Validation.targetTokensPerRequest
            plan.targetRequestsPerSecond = targetTokens / perRequest
            plan.targetDescription = "\(Format.grouped(targetTokens)) tok/s at \(Format.grouped(perRequest)) tokens/request"
        } else if tokensPerRequest != nil {
            throw UsageError("--tokens-per-request needs --target-tokens-per-sec")
        }
        plan.timestamps = clientCheck.timestamps
        plan.clientLimits = clientCheck.limits
        plan.serverMetrics = try metrics.plan()
        return Options(plan: plan, outputDirectory: output, quiet: quiet, json: json, maxErrorRate: maxErrorRate, clientCheck: clientCheck)
    }

    static func parseLevels(_ text: String) throws(UsageError) -> [Int] {
        try LevelList.parse(text, flag: "--levels")
    }

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        let options: Options
        switch ParsedCommand.parse("validate", usage: usage, arguments, parse) {
        case .run(let parsed): options = parsed
        case .exit(let code): return code
        }
        do { try ResultFiles.checkWritable(options.outputDirectory) } catch {
            Terminal.error("loadgen validate: cannot write results to \(options.outputDirectory): \(error)")
            return 1
        }
        let showProgress = !options.quiet && Terminal.stderrIsTerminal
        let plainProgress = !options.quiet && !Terminal.stderrIsTerminal
        let result: ValidationResult
        do {
            result = try ValidationRunner.run(options.plan, signals: signals, onProgress: { progress in
                guard showProgress else { return }
                let total = progress.target.map { "/\(Format.grouped(UInt64($0)))" } ?? ""
                let rate = progress.elapsedSeconds > 0 ? Double(progress.completed) / progress.elapsedSeconds : 0
                Terminal.progress("  level \(progress.levelIndex + 1)/\(progress.levelCount) concurrency \(progress.concurrency) "
                    + "\(progress.measuring ? "" : "(warmup) ")\(Format.grouped(UInt64(progress.completed)))\(total) done  "
                    + "\(Format.rate(rate)) req/s  \(progress.failed) errors")
            }, onLevel: { level in
                if showProgress { Terminal.clearProgress() }
                if plainProgress || showProgress {
                    let summary = LatencySummary(level.result.latency)
                    Terminal.error("  concurrency \(level.concurrency)\(level.interrupted ? " (interrupted)" : ""): \(Format.rate(level.result.requestsPerSecond)) req/s, "
                        + "p99 \(Format.milliseconds(summary.p99)) ms, \(Format.percent(level.result.successRate)) success, "
                        + "client \(level.result.clientVerdict.brief)")
                }
            })
        } catch {
            if showProgress { Terminal.clearProgress() }
            if case .interrupted(let signal) = error { return 128 + signal }
            Terminal.error("loadgen validate: \(error)")
            return 1
        }
        if let first = result.levels.first, let reason = first.result.connectionSetupFailure, result.interruptedBySignal == nil {
            Terminal.error("loadgen validate: could not connect to \(result.url): \(reason)")
            return 1
        }

        let files: (json: String, markdown: String)
        do { files = try ResultFiles.writeValidation(result, directory: options.outputDirectory) } catch {
            Terminal.error("loadgen validate: cannot write results: \(error)")
            return 1
        }
        if options.json {
            Terminal.out(ValidationReport.json(result).serialized())
        } else {
            Terminal.out("")
            Terminal.out(ValidationReport.table(result))
            Terminal.out("")
            if let server = ServerMetricsReport.table(result.serverMetricsWindows) {
                Terminal.out("Server metrics:")
                Terminal.out(server)
                Terminal.out("")
            }
            Terminal.out(ValidationReport.verdict(result))
            Terminal.out("")
            for line in ValidationReport.setup(result) { Terminal.out(line) }
            Terminal.out("Results: \(files.json), \(files.markdown)")
        }
        if let signal = result.interruptedBySignal { return 128 + signal }
        let requests = result.levels.reduce(UInt64(0)) { $0 + $1.result.requests }
        let succeeded = result.levels.reduce(UInt64(0)) { $0 + $1.result.succeeded }
        if let (code, reason) = ErrorRateGate.check(requests: requests, succeeded: succeeded, maximum: options.maxErrorRate) {
            Terminal.error("loadgen validate: \(reason)")
            return code
        }
        if let (code, reason) = options.clientCheck.gate(result.completedLevels.map { ("concurrency \($0.concurrency)", $0.result) }) {
            Terminal.error("loadgen validate: \(reason)")
            return code
        }
        return 0
    }
}
