import Loadgen

/// `loadgen latency`: seed 004's sequential latency benchmark.
enum LatencyCommand {
    static let usage = """
    usage: loadgen latency [--model NAME] [--base-url URL] [options]

    Sends N requests one after another (concurrency 1) after some discarded warmup requests and
    reports the seed's figures: average, p50, p90, p99, min and max latency in ms (and TTFT/TPOT
    with --stream). Writes results/latency_YYYYMMDD_HHMMSS.json.

      -n, --requests N            measured requests (default 10)
          --warmup N              warmup requests, discarded (default 1)
          --input-tokens N|A:B    prompt length (default 128, as the seed)
          --max-tokens N|A:B      output length (alias --output-tokens; default 128)
    \(OpenAIOptions.help)
          --timeout TIME          per-request timeout (default 300s)
          --output-dir DIR        where the result file goes (default results)
          --json                  print the JSON instead of the table
      -h, --help

    Exit codes: 0 done, 1 the server could not be reached or the file not written, 2 bad
    arguments, 130/143 interrupted (the requests completed so far are still reported).
    """

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        var cursor = ArgumentCursor(arguments)
        var openAI = OpenAIOptions()
        openAI.inputTokens = .fixed(128)
        openAI.outputTokens = .fixed(128)
        var requests = 10
        var warmup = 1
        var timeout = 300.0
        var output = "results"
        var json = false
        var benchmark: LatencyBenchmark
        do throws(UsageError) {
            while let argument = cursor.next() {
                if try openAI.consume(argument, &cursor) { continue }
                switch argument {
                case "-h", "--help":
                    Terminal.out(usage)
                    return 0
                case "-n", "--requests": requests = try cursor.int(for: argument, in: 1...1_000_000)
                case "--warmup": warmup = try cursor.int(for: argument, in: 0...1_000_000)
                case "--timeout": timeout = try cursor.seconds(for: argument)
                case "--output-dir": output = try cursor.value(for: argument)
                case "--json": json = true
                default:
                    throw UsageError(argument.hasPrefix("-") ? "unknown option '\(argument)' for latency" : "latency takes no URL: give --base-url, got '\(argument)'")
                }
            }
            let target: HTTPTarget
            do { target = try HTTPTarget(url: openAI.baseURL) } catch { throw UsageError(error.description) }
            benchmark = LatencyBenchmark(target: target, workload: try openAI.workload())
            benchmark.headers = openAI.requestHeaders
            benchmark.requests = requests
            benchmark.warmupRequests = warmup
            benchmark.requestTimeoutSeconds = timeout
        } catch {
            Terminal.error("loadgen latency: \(error.message) (see loadgen latency --help)")
            return 2
        }
        switch OpenAIOptions.resolveModel(openAI.model, target: benchmark.target, headers: benchmark.headers) {
        case .success(let model): benchmark.workload.model = model
        case .failure(let error):
            Terminal.error("loadgen latency: \(error.message)")
            return 1
        }
        let result: LatencyBenchmark.Result
        do { result = try benchmark.run(signals: signals) } catch {
            Terminal.error("loadgen latency: \(error)")
            return 1
        }
        let document = LatencyBenchmark.json(benchmark, result)
        let path = (output.hasSuffix("/") ? output : output + "/") + ResultFiles.freshStem("latency", wallSeconds: result.startedAtWallSeconds, directory: output) + ".json"
        var saveError: String?
        do {
            try TextFile.makeDirectory(output)
            try TextFile.writeAtomically(document.serialized(pretty: true) + "\n", to: path)
        } catch {
            saveError = "\(error)"
        }
        if json {
            Terminal.out(document.serialized())
        } else {
            Terminal.out(LatencyBenchmark.table(benchmark, result))
            if saveError == nil { Terminal.out("Results: \(path)") }
        }
        if let saveError {
            Terminal.error("loadgen latency: cannot write \(path): \(saveError)")
            return 1
        }
        if let signal = result.interruptedBySignal { return 128 + signal }
        if result.run.succeeded == 0, result.run.requests > 0, result.run.failures.connect == result.run.failed {
            Terminal.error("loadgen latency: could not connect to \(benchmark.target.hostHeader)")
            return 1
        }
        return 0
    }
}
