import Loadgen

/// `loadgen latency`: seed 004's sequential latency benchmark.
enum LatencyCommand {
    static let usage = """
    usage: loadgen latency [--model NAME] [--base-url URL] [options]

    Sends N requests one after another (concurrency 1) after some discarded warmup requests and
    reports the seed's figures: average, p50, p90, p99, min and max latency in ms (and TTFT/TPOT
    with --stream). Writes results/latency_YYYYMMDD_HHMMSS.json.

      -n, --requests N            measured requests (default \(SeedProtocol.Latency.requests); vLLM: --num-prompts)
          --warmup N|TIME         discarded first: N requests or a duration like 5s (default \(SeedProtocol.Latency.warmupRequests))
          --input-tokens N|A:B    prompt length (default \(SeedProtocol.Latency.inputTokens), as the seed)
          --max-tokens N|A:B      output length (alias --output-tokens; default \(SeedProtocol.Latency.outputTokens))
    \(OpenAIOptions.help)
    \(TLSOptions.help)
          --timeout TIME          per-request timeout (default \(HelpDefaults.seconds(SeedProtocol.requestTimeoutSeconds)))
    \(MetricsOptions.help)
          --output-dir DIR        where the result file goes (default results; checked first;
                                  with server metrics, the timeline SVG goes beside the JSON)
          --json                  print the JSON instead of the table
          --quiet                 nothing on stderr but errors
          --max-error-rate R      exit 3 when more than R (0.05 or 5%) of the requests failed
    \(ClientCheckOptions.help)
      -h, --help

    Exit codes: 0 done, 1 the server could not be reached or the file not written, 2 bad
    arguments, 3 no request succeeded (or more failed than --max-error-rate, or with --strict
    the client fell behind), 130/143
    interrupted (the requests completed so far are still reported, marked INTERRUPTED).
    """

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        var cursor = ArgumentCursor(arguments)
        var openAI = OpenAIOptions()
        var tls = TLSOptions()
        openAI.inputTokens = .fixed(SeedProtocol.Latency.inputTokens)
        openAI.outputTokens = .fixed(SeedProtocol.Latency.outputTokens)
        var requests = SeedProtocol.Latency.requests
        var warmup = WarmupSpec.requests(SeedProtocol.Latency.warmupRequests)
        var timeout = SeedProtocol.requestTimeoutSeconds
        var output = "results"
        var json = false
        var maxErrorRate: Double?
        var clientCheck = ClientCheckOptions()
        var benchmark: LatencyBenchmark
        var metrics = MetricsOptions()
        do throws(UsageError) {
            while let argument = cursor.next() {
                if try openAI.consume(argument, &cursor) { continue }
                if try clientCheck.consume(argument, &cursor) { continue }
                if try tls.consume(argument, &cursor) { continue }
                if try metrics.consume(argument, &cursor) { continue }
                switch argument {
                case "-h", "--help":
                    Terminal.out(usage)
                    return 0
                case "-n", "--requests", "--num-prompts": requests = try cursor.int(for: argument, in: 1...1_000_000)
                case "--warmup": warmup = try cursor.warmup(for: argument)
                case "--num-warmups": warmup = .requests(try cursor.int(for: argument, in: 0...1_000_000))
                case "--timeout": timeout = try cursor.seconds(for: argument)
                case "--output-dir": output = try cursor.value(for: argument)
                case "--json": json = true
                case "--quiet", "-q": break  // latency prints no progress line
                case "--max-error-rate": maxErrorRate = try cursor.errorRate(for: argument)
                default:
                    throw UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)' for latency" : "latency takes no URL: give --base-url, got '\(argument)'")
                }
            }
            benchmark = LatencyBenchmark(target: try openAI.target(), workload: try openAI.workload())
            benchmark.headers = openAI.requestHeaders
            benchmark.tls = try tls.configuration(for: benchmark.target)
            benchmark.requests = requests
            switch warmup {
            case .requests(let count): benchmark.warmupRequests = count
            case .seconds(let seconds): benchmark.warmupSeconds = seconds
            }
            benchmark.requestTimeoutSeconds = timeout
            benchmark.timestamps = clientCheck.timestamps
            benchmark.clientLimits = clientCheck.limits
            benchmark.serverMetrics = try metrics.plan()
        } catch {
            Terminal.error("loadgen latency: \(error.message) (see loadgen latency --help)")
            return 2
        }
        do { try ResultFiles.checkWritable(output) } catch {
            Terminal.error("loadgen latency: cannot write results to \(output): \(error)")
            return 1
        }
        if let error = OpenAIOptions.prepare(&benchmark.workload, openAI.serverLookup, target: benchmark.target,
                                             headers: benchmark.headers, tls: benchmark.tls, signals: signals) {
            if let signal = error.signal { return 128 + signal }
            Terminal.error("loadgen latency: \(error.message)")
            return 1
        }
        let result: LatencyBenchmark.Result
        do { result = try benchmark.run(signals: signals) } catch {
            Terminal.error("loadgen latency: \(error)")
            return 1
        }
        let document = LatencyBenchmark.json(benchmark, result)
        let directory = output.hasSuffix("/") ? output : output + "/"
        let stem = ResultFiles.freshStem("latency", wallSeconds: result.startedAtWallSeconds, directory: output)
        let path = directory + stem + ".json"
        do {
            _ = try ResultFiles.writeServerTimeline(result.serverMetricsRun, directory: directory, stem: stem)
            try TextFile.writeAtomically(document.serialized(pretty: true) + "\n", to: path)
        } catch {
            Terminal.error("loadgen latency: cannot write \(path): \(error)")
            return 1
        }
        if json {
            Terminal.out(document.serialized())
        } else {
            Terminal.out(LatencyBenchmark.table(benchmark, result))
            if let server = ServerMetricsReport.table([("measured", result.serverMetrics)], firstColumn: "Window") {
                Terminal.out("")
                Terminal.out("Server metrics: " + ServerMetricsReport.scrapingLine(result.serverMetricsRun!))
                Terminal.out(server)
            }
            Terminal.out("Results: \(path)")
        }
        if let signal = result.interruptedBySignal { return 128 + signal }
        if let reason = result.run.connectionSetupFailure {
            Terminal.error("loadgen latency: could not connect to \(benchmark.target.hostHeader): \(reason)")
            return 1
        }
        if let (code, reason) = ErrorRateGate.check(requests: result.run.requests, succeeded: result.run.succeeded, maximum: maxErrorRate) {
            Terminal.error("loadgen latency: \(reason)")
            return code
        }
        if let (code, reason) = clientCheck.gate([(nil, result.run)]) {
            Terminal.error("loadgen latency: \(reason)")
            return code
        }
        return 0
    }
}
