import Glibc
import HTTPWire
import Loadgen

/// `loadgen run URL`: one load level against any HTTP/1.1 server.
enum RunCommand {
    static let usage = """
    usage: loadgen run URL [options]            any HTTP/1.1 endpoint, one request repeated
           loadgen run [--base-url URL] [OpenAI options] [options]

    Drives the server with a closed loop of keep-alive connections (each sends its next request as
    soon as its response completes), or with --rate an open loop (requests sent on a fixed schedule
    whatever the server does), and reports throughput, latency percentiles and errors by class.
    Without a URL it runs an OpenAI workload: chat (or completion) requests of the given lengths,
    each with a distinct prompt, checked as OpenAI answers; with --stream it also reports TTFT,
    TPOT and ITL as vllm bench serve defines them.

    OpenAI workload (no URL):
          --input-tokens N|A:B    prompt length, fixed or uniform in [A, B] (default \(SeedProtocol.defaultInputTokens))
          --max-tokens N|A:B      output length (alias --output-tokens; default \(SeedProtocol.defaultOutputTokens))
          --images N              N image_url parts per chat request (vision)
    \(OpenAIOptions.help)
    \(WorkloadOptions.help)
    \(SessionOptions.help)

    Load:
      -c, --concurrency N     connections, one request in flight each (default 10)
      -n, --requests N        start exactly N requests, then stop (vLLM: --num-prompts)
      -d, --duration TIME     start requests for TIME (30, 30s, 500ms, 2m; default 10s)
          --warmup N|TIME     discard N requests, or this long (5s, 500ms), first (default 0;
                              vLLM: --num-warmups N)
      -t, --threads N         event-loop threads (default: online CPUs, at most N connections)
          --rate R            open loop: R requests/s on a schedule fixed in advance; latency
                              counts from each request's scheduled time (coordinated omission
                              corrected) and the client's own send lag is reported apart
          --arrival KIND      constant, poisson (default) or gamma gaps between requests
          --burstiness K      gamma shape (implies --arrival gamma): < 1 bursty, 1 = Poisson
          --max-concurrency N open loop: cap on requests in flight (default 1000); closed loop:
                              the same as -c (give one of them)
          --request-rate R|inf  vllm bench serve's name: R is --rate R; inf sends all at once,
                              bounded by --max-concurrency (a closed loop of that many; without
                              it, -n connections)
    Request (URL runs):
      -m, --method METHOD     default GET, or POST when --body is given
      -H, --header 'K: V'     extra header, repeatable
          --body TEXT|@FILE   request body, inline or read from FILE
    Connections:
          --no-keepalive      one connection per request (Connection: close): every request
                              pays a TCP connect and, over https, a TLS handshake (resumed when
                              the server allows); measures connection setup (wrk: -H 'Connection: close')
    \(TLSOptions.help)
    Limits:
          --timeout TIME      per-request timeout (default \(HelpDefaults.seconds(SeedProtocol.requestTimeoutSeconds)), as in the seeds)
          --connect-timeout TIME  (default 10s)
          --drain TIME        after --duration, how long in-flight requests may finish (default 10s)
          --max-response-bytes N  a bigger response fails as too_large (default 64M; K, M, G suffixes)
    Several machines:
          --start-at EPOCH    wait until this Unix time (seconds) before starting, so processes on
                              several machines start together; then `loadgen merge` their --json
    Server metrics (with --save-result, the timeline SVG is saved beside the result file):
    \(MetricsOptions.help)
    Output:
          --slo ttft=MS,tpot=MS,e2e=MS  goodput: requests/s meeting every objective given
                              (vLLM: --goodput ttft:MS tpot:MS e2el:MS)
          --json              one JSON object on stdout instead of the summary
          --quiet             no progress line (vLLM: --disable-tqdm)
          --max-error-rate R  exit 3 when more than R (0.05 or 5%) of the requests failed
    \(ClientCheckOptions.help)
          --save-result       also write the result under vLLM's field names, to
                              --result-dir DIR (default .) / --result-filename NAME (default
                              vLLM's {backend}-{rate}qps-concurrency{N}-{model}-{date}.json)
          --label NAME        the file name's prefix instead of the backend (as vLLM's)
          --requests-out FILE every measured request as one JSON line (send time on
                              CLOCK_MONOTONIC, outcome, TTFT, last token, E2E, tokens), after the
                              run (vLLM: --save-detailed)
          --percentile-metrics ttft,tpot,itl,e2el  streaming rows shown and saved (default all)
          --metric-percentiles 50,90,99  percentiles shown (default 50,90,95,99) and saved
                              (default 99, as vLLM's)
          --progress-every S  also print a plain progress line to stderr every S seconds (for logs
                              and soak tests: elapsed, ok, failed, req/s, RSS, open descriptors)
      -h, --help

    Exit codes: 0 run completed, 1 the run could not start (e.g. every connect refused) or the
    result not saved, 2 bad arguments, 3 completed but no request succeeded (or more failed than
    --max-error-rate, or with --strict the client fell behind), 130/143 interrupted by SIGINT/SIGTERM (results so far are still printed).
    """

    struct Options {
        var plan: LoadPlan
        var json = false
        var quiet = false
        var startAt: Double?
        var progressEvery: Double?
        var maxErrorRate: Double?
        var streaming = RunReport.StreamingColumns()
        var clientCheck = ClientCheckOptions()
        /// `--save-result`: the vLLM-named result file to write, and what to write in it.
        var saved: SavedResult?
        /// What to ask the server before an OpenAI run.
        var server = OpenAIOptions.ServerLookup()
        /// The server's metrics to scrape around the run (nil: `--no-metrics`), and the server's
        /// base their automatic endpoint is under.
        var metrics: ServerMetricsPlan?
        var metricsBase: HTTPTarget?
        /// Prompts from a dataset, a trace or shared prefixes, prepared before the run.
        var promptSource: PromptSource?
        /// How many prompts to sample (-n), and a --max-tokens that overrides the file's lengths.
        var promptSamples: Int?
        var outputTokensOverride: TokenCount?
        /// `--requests-out`: where the per-request lines go (`RequestRecordLines`).
        var requestsOut: String?
    }

    struct SavedResult {
        var directory: String
        var fileName: String?
        var settings: VLLMResult.Settings
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var url: String?
        var concurrency: (value: Int, flag: String)?
        var maxConcurrency: Int?
        var requests: Int?
        var duration: Double?
        var warmup = WarmupSpec.requests(0)
        var threads: Int?
        var method: String?
        var body: [UInt8]?
        var timeout = SeedProtocol.requestTimeoutSeconds
        var connectTimeout = 10.0
        var drain = 10.0
        var json = false
        var quiet = false
        var openAI = OpenAIOptions()
        var tls = TLSOptions()
        var keepAlive = true
        var rate: (value: Double?, flag: String)?
        var arrival: String?
        var burstiness: Double?
        var maxResponseBytes = 64 << 20
        var objectives: ServiceLevelObjectives?
        var startAt: Double?
        var progressEvery: Double?
        var maxErrorRate: Double?
        var percentileMetrics: [String]?
        var percentiles: [Double]?
        var saveResult = false
        var resultDirectory: String?
        var requestsOut: String?
        var resultFileName: String?
        var label: String?
        var clientCheck = ClientCheckOptions()
        var metrics = MetricsOptions()
        var workloadOptions = WorkloadOptions()
        var drainGiven = false
        var sessions = SessionOptions()
        func once<T>(_ slot: T?, _ flag: String) throws(UsageError) {
            if slot != nil { throw UsageError("\(flag) is given twice, or with a flag that means the same") }
        }
        while let argument = cursor.next() {
            if try openAI.consume(argument, &cursor) { continue }
            if try clientCheck.consume(argument, &cursor) { continue }
            if try tls.consume(argument, &cursor) { continue }
            if try metrics.consume(argument, &cursor) { continue }
            if try workloadOptions.consume(argument, &cursor) { continue }
            if try sessions.consume(argument, &cursor) { continue }
            switch argument {
            case "-h", "--help": return nil
            case "--no-keepalive": keepAlive = false
            case "-c", "--concurrency":
                let value = try cursor.int(for: argument, in: 1...1_000_000)
                concurrency = (value, argument)
            case "--max-concurrency": maxConcurrency = try cursor.int(for: argument, in: 1...1_000_000)
            case "-n", "--requests", "--num-prompts":
                try once(requests, argument)
                requests = try cursor.int(for: argument, in: 1...Int(Int32.max))
            case "-d", "--duration": duration = try cursor.seconds(for: argument)
            case "--warmup": warmup = try cursor.warmup(for: argument)
            case "--num-warmups": warmup = .requests(try cursor.int(for: argument, in: 0...100_000_000))
            case "-t", "--threads": threads = try cursor.int(for: argument, in: 1...1024)
            case "-m", "--method":
                let value = try cursor.value(for: argument)
                guard !value.isEmpty, value.allSatisfy({ $0.isLetter && $0.isUppercase }) else {
                    throw UsageError("--method must be an upper-case HTTP method like GET or POST, got '\(value)'")
                }
                method = value
            case "--body":
                let value = try cursor.value(for: argument)
                body = value.hasPrefix("@") ? try FileInput.read(String(value.dropFirst())) : Array(value.utf8)
            case "--timeout": timeout = try cursor.seconds(for: argument)
            case "--connect-timeout": connectTimeout = try cursor.seconds(for: argument)
            case "--drain":
                drain = try cursor.seconds(for: argument, allowingZero: true)
                drainGiven = true
            case "--rate":
                try once(rate?.flag, argument)
                rate = (try cursor.positiveDouble(for: argument), argument)
            case "--request-rate":
                try once(rate?.flag, argument)
                let text = try cursor.value(for: argument)
                if text.lowercased() == "inf" {
                    rate = (nil, argument)
                } else {
                    guard let value = Double(text), value.isFinite, value > 0 else {
                        throw UsageError("--request-rate must be a number > 0 or inf, got '\(text)'")
                    }
                    rate = (value, argument)
                }
            case "--arrival":
                let text = try cursor.value(for: argument)
                guard ["constant", "poisson", "gamma"].contains(text) else {
                    throw UsageError("--arrival must be constant, poisson or gamma, got '\(text)'")
                }
                arrival = text
            case "--burstiness": burstiness = try cursor.positiveDouble(for: argument)
            case "--max-response-bytes": maxResponseBytes = try parseByteCount(try cursor.value(for: argument), flag: argument)
            case "--slo":
                try once(objectives, argument)
                objectives = try parseObjectives(try cursor.value(for: argument))
            case "--goodput":
                try once(objectives, argument)
                var pairs = [try cursor.value(for: argument)]
                // vLLM takes the pairs as separate words: --goodput ttft:500 tpot:50.
                while let next = cursor.peek(), next.contains(":"), !next.hasPrefix("-"), !next.lowercased().hasPrefix("http") {
                    pairs.append(next)
                    _ = cursor.next()
                }
                objectives = try parseGoodput(pairs)
            case "--start-at":
                let text = try cursor.value(for: argument)
                guard let epoch = Double(text), epoch.isFinite, epoch > 1_000_000_000 else {
                    throw UsageError("--start-at must be a Unix time in seconds like 1764000000, got '\(text)'")
                }
                startAt = epoch
            case "--progress-every": progressEvery = try cursor.seconds(for: argument)
            case "--json": json = true
            case "--quiet", "-q", "--disable-tqdm": quiet = true
            case "--max-error-rate": maxErrorRate = try cursor.errorRate(for: argument)
            case "--percentile-metrics":
                let text = try cursor.value(for: argument)
                let names = text.split(separator: ",").map { String($0).trimmingSpaces() }
                guard !names.isEmpty else { throw UsageError("--percentile-metrics needs names like ttft,tpot,itl, got '\(text)'") }
                if let unknown = names.first(where: { !VLLMResult.Settings.knownMetrics.contains($0) }) {
                    throw UsageError("--percentile-metrics knows ttft, tpot, itl and e2el, got '\(unknown)'")
                }
                percentileMetrics = names
            case "--metric-percentiles":
                let text = try cursor.value(for: argument)
                let values = text.split(separator: ",").map { Double(String($0).trimmingSpaces()) }
                guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 100 }) else {
                    throw UsageError("--metric-percentiles must be numbers in (0, 100] like 50,90,99, got '\(text)'")
                }
                percentiles = values.map { $0! }
            case "--save-result": saveResult = true
            case "--requests-out":
                let path = try cursor.value(for: argument)
                guard !path.isEmpty, !path.hasSuffix("/") else { throw UsageError("--requests-out needs a file name, got '\(path)'") }
                requestsOut = path
            case "--result-dir": resultDirectory = try cursor.value(for: argument)
            case "--result-filename":
                let name = try cursor.value(for: argument)
                guard !name.isEmpty else { throw UsageError("--result-filename is empty") }
                resultFileName = name
            case "--label":
                let name = try cursor.value(for: argument)
                guard !name.isEmpty, !name.contains("/") else { throw UsageError("--label must be a name without '/', got '\(name)'") }
                label = name
            default:
                if argument.hasPrefix("-") { throw UsageError("unknown option '\(argument)' for run") }
                guard url == nil else { throw UsageError("run takes one URL, got '\(url!)' and '\(argument)'") }
                url = argument
            }
        }
        if requests != nil, duration != nil { throw UsageError("give --requests or --duration, not both") }
        if url != nil, let first = openAI.given.first {
            throw UsageError("\(first) is an OpenAI workload option: give --base-url instead of a URL")
        }
        if let concurrency, let maxConcurrency, concurrency.value != maxConcurrency {
            throw UsageError("\(concurrency.flag) \(concurrency.value) and --max-concurrency \(maxConcurrency) disagree: they set the same limit, give one")
        }
        let promptSource = try workloadOptions.checkedSource()
        if url != nil, promptSource != nil { throw UsageError("--dataset, --trace and --shared-prefix-tokens are for OpenAI workloads: give --base-url instead of a URL") }
        if workloadOptions.isTrace {
            if rate != nil { throw UsageError("--trace replays the trace's own timestamps: it takes no --rate (scale time with --trace-speed)") }
            if requests != nil || duration != nil { throw UsageError("--trace sends every request of the trace once: it takes no --requests or --duration") }
            if warmup != .requests(0) { throw UsageError("--trace takes no --warmup: every request of the trace is measured") }
            if workloadOptions.asksForMovingRate {
                throw UsageError("--trace replays the trace's timestamps: it takes no --ramp-up or --stages")
            }
        }
        let profile = try workloadOptions.rateProfile(seconds: duration, requests: requests)
        if profile != nil, rate != nil { throw UsageError("--ramp-up and --stages set the rate: give no --rate or --request-rate with them") }
        var openLoopRate = rate?.value
        if let profile { openLoopRate = OpenLoopArrivals.meanRate(of: profile) }
        if rate != nil, openLoopRate == nil, arrival != nil || burstiness != nil {
            throw UsageError("--arrival and --burstiness shape an open loop: --request-rate inf sends everything at once")
        }
        if openLoopRate == nil, rate == nil, arrival != nil || burstiness != nil {
            throw UsageError("--arrival and --burstiness shape an open loop: give --rate (or --request-rate) too")
        }
        if arrival == "constant" || arrival == "poisson", let burstiness, burstiness != 1 {
            throw UsageError("--burstiness applies to --arrival gamma (poisson is burstiness 1)")
        }
        if objectives?.tpotMilliseconds != nil, url != nil || !openAI.stream {
            throw UsageError("a TPOT objective needs an OpenAI workload with --stream: TPOT is measured on streamed responses")
        }
        if openAI.images == 0, !openAI.imageURLs.isEmpty { throw UsageError("--image-url and --image-file need --images N") }
        if !saveResult, resultDirectory != nil || resultFileName != nil || label != nil {
            throw UsageError("--result-dir, --result-filename and --label name the --save-result file: give --save-result too")
        }
        var plan: LoadPlan
        if let url {
            do { plan = try LoadPlan(url: url) } catch { throw UsageError(error.description) }
        } else {
            plan = LoadPlan(target: try openAI.target())
        }
        var headers = openAI.headers
        if url == nil {
            if body != nil { throw UsageError("--body is for a URL run; an OpenAI workload builds its own bodies") }
            plan.workload = try openAI.workload()
            headers = openAI.requestHeaders
        }
        if let sessions = try sessions.sessions(openAI: url == nil, rate: openLoopRate != nil) { plan.workload?.sessions = sessions }
        if plan.workload?.sessions != nil, let promptSource {
            switch promptSource {
            case .shareGPT, .jsonl: break
            case .trace:
                throw UsageError("--turns replays conversations (synthetic, or --dataset sharegpt:PATH / jsonl:PATH): a --trace has no turns")
            case .sharedPrefix:
                throw UsageError("--turns sessions share their own history as the prefix: they do not take --shared-prefix-tokens")
            }
        }
        plan.concurrency = concurrency?.value ?? maxConcurrency ?? 10
        if rate != nil, openLoopRate == nil {
            // vLLM's inf: every request at once, at most --max-concurrency in flight: a closed loop.
            guard concurrency != nil || maxConcurrency != nil || requests != nil else {
                throw UsageError("--request-rate inf sends every request at once: give -n N (or --max-concurrency N with --duration)")
            }
            plan.concurrency = concurrency?.value ?? maxConcurrency ?? min(requests!, 1_000_000)
        }
        if let openLoopRate {
            let process: OpenLoopArrivals.Process
            switch arrival {
            case "constant": process = .constant
            case "gamma": process = .gamma(shape: burstiness ?? 1)
            case nil where burstiness != nil: process = .gamma(shape: burstiness!)
            default: process = .poisson
            }
            plan.arrivals = OpenLoopArrivals(rate: openLoopRate, process: process, seed: openAI.seed)
            if let profile { plan.arrivals?.profile = profile }
            // Connections open only as the schedule needs them, so a high cap costs nothing idle.
            if concurrency == nil, maxConcurrency == nil { plan.concurrency = 1000 }
        }
        plan.objectives = objectives
        plan.maxResponseBytes = maxResponseBytes
        plan.stop = requests.map { .requests($0) } ?? .duration(seconds: duration ?? 10)
        if case .stages? = profile, requests == nil, duration == nil { plan.stop = .duration(seconds: profile!.seconds) }
        if workloadOptions.isTrace {
            // The real schedule comes from the file (`prepareWorkload`); a placeholder until then.
            plan.arrivals = OpenLoopArrivals(timetable: [0])
            if concurrency == nil, maxConcurrency == nil { plan.concurrency = 1000 }
            // The last requests of a trace are as much the replay as the first: let them finish.
            if !drainGiven { drain = max(drain, timeout) }
        }
        switch warmup {
        case .seconds(let seconds): plan.warmupSeconds = seconds
        case .requests(let count): plan.warmupRequests = count
        }
        if let threads { plan.threads = threads }
        plan.method = method ?? (body == nil ? "GET" : "POST")
        plan.headers = headers
        plan.body = body ?? []
        if body != nil, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            plan.headers.append(HTTPHeader("Content-Type", "application/json"))
        }
        plan.requestTimeoutSeconds = timeout
        plan.connectTimeoutSeconds = connectTimeout
        plan.drainSeconds = drain
        clientCheck.apply(to: &plan)
        plan.keepAlive = keepAlive
        plan.recordsRequests = requestsOut != nil
        plan.tls = try tls.configuration(for: plan.target)
        do { try plan.validate() } catch { throw UsageError(error.description) }
        var options = Options(plan: plan, json: json, quiet: quiet, startAt: startAt, progressEvery: progressEvery, maxErrorRate: maxErrorRate)
        options.clientCheck = clientCheck
        options.server = openAI.serverLookup
        options.promptSource = promptSource
        options.promptSamples = requests
        options.requestsOut = requestsOut
        options.outputTokensOverride = openAI.outputTokensGiven ? plan.workload?.outputTokens : nil
        options.metrics = try metrics.plan()
        // An OpenAI base URL is the server's base; a URL run's URL is an endpoint: its server's root.
        var metricsBase = plan.target
        if url != nil { metricsBase.path = "/" }
        options.metricsBase = metricsBase
        if let percentiles { options.streaming.percentiles = percentiles }
        if let percentileMetrics { options.streaming.metrics = percentileMetrics }
        if saveResult {
            let backend = plan.workload.map { $0.endpoint == .chat ? "openai-chat" : "openai" } ?? "http"
            var burstinessValue: Double? = 1
            if case .gamma(let shape)? = plan.arrivals?.process { burstinessValue = shape }
            if case .constant? = plan.arrivals?.process { burstinessValue = nil }
            var settings = VLLMResult.Settings(backend: backend, modelID: plan.workload?.model, numPrompts: requests ?? 0,
                                               requestRate: openLoopRate, burstiness: burstinessValue,
                                               maxConcurrency: plan.concurrency, date: "")
            settings.label = label
            if let percentiles { settings.percentiles = percentiles }
            if let percentileMetrics { settings.percentileMetrics = percentileMetrics }
            options.saved = SavedResult(directory: resultDirectory ?? ".", fileName: resultFileName, settings: settings)
        }
        return options
    }

    /// Loads, tokenizes and samples the prompts of `source` into the plan's workload before the
    /// run (a trace also sets the replay's schedule). Returns the exit code when it cannot: 2 for
    /// a malformed or empty file (bad input, as a bad flag), 1 otherwise.
    static func prepareWorkload(_ source: PromptSource, _ options: Options, _ plan: inout LoadPlan) -> Int32? {
        guard var workload = plan.workload else { return nil }
        let prepared: PreparedPrompts
        do {
            if let sessions = workload.sessions {
                // Sessions replay the conversations; -n counts their turns, as for synthetic ones.
                let replay = try DatasetSessions.prepare(source, for: workload, turns: sessions.turns, requests: options.promptSamples,
                                                         outputTokens: options.outputTokensOverride)
                workload.sessions?.scripted = replay.conversations
                prepared = replay.prompts
            } else {
                prepared = try PreparedPrompts.prepare(source, for: workload, samples: options.promptSamples,
                                                       outputTokens: options.outputTokensOverride)
            }
        } catch {
            if case .interrupted(let signal) = error { return 128 + signal }
            Terminal.error("loadgen run: \(error)")
            if case .dataset = error { return 2 }
            return 1
        }
        workload.prepared = prepared
        plan.workload = workload
        if let times = prepared.sendTimes {
            plan.arrivals = OpenLoopArrivals(timetable: times)
            // Every send time falls inside the window; the loops stop when their share is sent.
            plan.stop = .duration(seconds: (times.last ?? 0) + 0.001)
        }
        if !options.quiet {
            let what = prepared.record.sampledTurns.map { "conversations (\(Format.grouped(UInt64($0))) turns)" } ?? "prompts"
            Terminal.error("loadgen run: \(Format.grouped(UInt64(prepared.record.samples))) \(what) from \(prepared.record.path ?? source.name) "
                + "ready in \(Format.fixed(prepared.record.preparationSeconds, decimals: 2)) s "
                + "(\(Format.fixed(prepared.record.preparationCPUSeconds, decimals: 2)) s CPU), RSS \((ProcessResources.currentRSSKiB ?? 0) / 1024) MiB")
        }
        return nil
    }

    /// `document` (a result object) with the run's server figures after its members:
    /// `server_metrics` (the window's, null when nothing was scraped) and `server_metrics_run`
    /// (the scraping and its timeline); unchanged when metrics were off.
    static func addingServerMetrics(_ document: JSONValue, window: WindowServerMetrics?, run: ServerMetricsRun?) -> JSONValue {
        guard let run, case .object(var members) = document else { return document }
        members.append(("server_metrics", window?.json ?? .null))
        members.append(("server_metrics_run", run.json))
        return .object(members)
    }

    /// vLLM's `--goodput ttft:500 tpot:50 e2el:10000` (milliseconds), as loadgen's objectives.
    static func parseGoodput(_ pairs: [String]) throws(UsageError) -> ServiceLevelObjectives {
        var objectives = ServiceLevelObjectives()
        for pair in pairs {
            let parts = pair.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]), value > 0, value.isFinite else {
                throw UsageError("--goodput takes KEY:MS pairs like ttft:500 tpot:50 e2el:10000, got '\(pair)'")
            }
            switch parts[0] {
            case "ttft": objectives.ttftMilliseconds = value
            case "tpot": objectives.tpotMilliseconds = value
            case "e2el": objectives.e2eMilliseconds = value
            default: throw UsageError("--goodput knows ttft, tpot and e2el, got '\(parts[0])'")
            }
        }
        return objectives
    }

    /// One plain progress line: `progress t=60.0 ok=... failed=... rps=... rss_kib=... fds=...`
    /// (`final` after the run, when the connections are closed again).
    static func progressLine(elapsed: Double, completed: Int, failed: Int, rate: Double, final: Bool = false) -> String {
        "\(final ? "final" : "progress") t=\(Format.fixed(elapsed, decimals: 1)) ok=\(completed) failed=\(failed) "
            + "rps=\(Format.fixed(rate, decimals: 1)) rss_kib=\(ProcessResources.currentRSSKiB ?? -1) fds=\(ProcessResources.openDescriptors ?? -1)"
    }

    /// "65536", "64K", "64M", "1G" (binary multiples).
    static func parseByteCount(_ text: String, flag: String) throws(UsageError) -> Int {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last, let shift = ["K": 10, "k": 10, "M": 20, "m": 20, "G": 30, "g": 30][last] {
            scale = 1 << shift
            digits = digits.dropLast()
        }
        guard let number = Int(digits), number >= 1, number <= (1 << 40) / scale else {
            throw UsageError("\(flag) must be a byte count like 65536, 512K, 64M or 1G, got '\(text)'")
        }
        return number * scale
    }

    /// "ttft=500,tpot=50,e2e=10000" in milliseconds (an "ms" suffix is allowed).
    static func parseObjectives(_ text: String) throws(UsageError) -> ServiceLevelObjectives {
        var objectives = ServiceLevelObjectives()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            let valueText = pair.count == 2 ? (pair[1].hasSuffix("ms") ? pair[1].dropLast(2) : pair[1]) : ""
            guard pair.count == 2, let value = Double(valueText), value > 0, value.isFinite else {
                throw UsageError("--slo must look like ttft=500,tpot=50,e2e=10000 (milliseconds), got '\(text)'")
            }
            switch pair[0] {
            case "ttft": objectives.ttftMilliseconds = value
            case "tpot": objectives.tpotMilliseconds = value
            case "e2e": objectives.e2eMilliseconds = value
            default: throw UsageError("--slo knows ttft, tpot and e2e, got '\(pair[0])'")
            }
        }
        guard !objectives.isEmpty else { throw UsageError("--slo needs at least one of ttft=, tpot=, e2e=") }
        return objectives
    }

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        let options: Options
        switch ParsedCommand.parse("run", usage: usage, arguments, parse) {
        case .run(let parsed): options = parsed
        case .exit(let code): return code
        }
        var plan = options.plan
        // The result file must be writable before anything is measured.
        if let saved = options.saved {
            do { try ResultFiles.checkWritable(saved.directory) } catch {
                Terminal.error("loadgen run: cannot write results to \(saved.directory): \(error)")
                return 1
            }
        }
        if let path = options.requestsOut {
            let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            do { try ResultFiles.checkWritable(directory.isEmpty ? "/" : directory) } catch {
                Terminal.error("loadgen run: cannot write \(path): \(error)")
                return 1
            }
        }
        if var workload = plan.workload {
            // The model (without --model, as OpenAI clients do), vLLM or not, its tokenizer.
            if let error = OpenAIOptions.prepare(&workload, options.server, target: plan.target, headers: plan.headers,
                                                 tls: plan.tls, signals: signals) {
                if let signal = error.signal { return 128 + signal }
                Terminal.error("loadgen run: \(error.message)")
                return 1
            }
            plan.workload = workload
        }
        if let source = options.promptSource {
            if let code = prepareWorkload(source, options, &plan) { return code }
        }
        let showProgress = !options.quiet && Terminal.stderrIsTerminal
        if let startAt = options.startAt {
            let late = Clock.wallSeconds() - startAt
            if late > 1 {
                Terminal.error("loadgen run: --start-at was \(Format.fixed(late, decimals: 1)) s ago; starting now")
            }
            while Clock.wallSeconds() < startAt {
                let left = startAt - Clock.wallSeconds()
                if showProgress { Terminal.progress("  starting in \(Format.fixed(left, decimals: 1)) s") }
                if let signal = signals.wait(milliseconds: Int32(min(left * 1000, 250).rounded(.up))) {
                    if showProgress { Terminal.clearProgress() }
                    return 128 + signal
                }
            }
        }
        // Made after the signal watcher (main.swift) and just before the load: the opening scrape
        // is answered before the first request.
        let metrics = options.metrics.map { ServerMetricsSession($0, server: options.metricsBase ?? plan.target, signals: signals) }
        let opening = metrics?.openWindow()
        let startedWall = Clock.wallSeconds()
        let result: RunResult
        let interruptedBy: Int32?
        var nextReport = options.progressEvery ?? .infinity
        var lastReport = (elapsed: 0.0, completed: 0)
        if options.progressEvery != nil { Terminal.error(Self.progressLine(elapsed: 0, completed: 0, failed: 0, rate: 0)) }
        do {
            (result, interruptedBy) = try LoadRun.run(plan, signals: signals) { progress, elapsed in
                if let every = options.progressEvery, elapsed >= nextReport {
                    let rate = Double(progress.completed - lastReport.completed) / max(elapsed - lastReport.elapsed, 1e-9)
                    if showProgress { Terminal.clearProgress() }
                    Terminal.error(Self.progressLine(elapsed: elapsed, completed: progress.completed, failed: progress.failed, rate: rate))
                    lastReport = (elapsed, progress.completed)
                    nextReport += every
                }
                guard showProgress else { return }
                Terminal.progress("  \(progress.measuring ? "running" : "warmup ") \(Format.fixed(elapsed, decimals: 1)) s  "
                    + "\(Format.grouped(UInt64(progress.completed))) ok  \(Format.grouped(UInt64(progress.failed))) failed")
            }
        } catch {
            Terminal.error("loadgen run: \(error)")
            return 1
        }
        if showProgress { Terminal.clearProgress() }
        if options.progressEvery != nil {
            Terminal.error(Self.progressLine(elapsed: result.durationSeconds, completed: Int(result.succeeded), failed: Int(result.failed),
                                             rate: result.requestsPerSecond, final: true))
        }
        let serverWindow = metrics?.closeWindow(opening, label: "run", result: result)
        let serverRun = metrics?.finish()
        if options.json {
            let document = SessionReport.addingPrefixCacheHitShare(RunReport.json(result), serverWindow?.prefixCacheHitShare)
            Terminal.out(Self.addingServerMetrics(document, window: serverWindow, run: serverRun).serialized())
        } else {
            Terminal.out(RunReport.text(result, url: plan.target.url, streaming: options.streaming,
                                        prefixCacheHitShare: result.sessions == nil ? nil : serverWindow?.prefixCacheHitShare))
            if let server = ServerMetricsReport.table([("run", serverWindow)], firstColumn: "Window") {
                Terminal.out("")
                Terminal.out("Server metrics: " + ServerMetricsReport.scrapingLine(serverRun!))
                Terminal.out(server)
            }
        }
        if let path = options.requestsOut {
            do {
                try TextFile.writeAtomically(RequestRecordLines.text(result.requestRecords, firstSendNanoseconds: result.firstSendNanoseconds), to: path)
            } catch {
                Terminal.error("loadgen run: cannot write \(path): \(error)")
                return 1
            }
        }
        if var saved = options.saved {
            saved.settings.date = String(ResultFiles.timestamp(startedWall).map { $0 == "_" ? "-" : $0 })
            if saved.settings.numPrompts == 0 { saved.settings.numPrompts = Int(clamping: result.requests) }
            saved.settings.modelID = plan.workload?.model
            let directory = saved.directory.hasSuffix("/") ? saved.directory : saved.directory + "/"
            let path = directory + (saved.fileName ?? VLLMResult.fileName(saved.settings))
            let document = Self.addingServerMetrics(VLLMResult.json(result, settings: saved.settings), window: serverWindow, run: serverRun)
            do {
                if let svg = serverRun?.timelineSVG() {
                    try TextFile.writeAtomically(svg, to: (path.hasSuffix(".json") ? String(path.dropLast(5)) : path) + "_server.svg")
                }
                try TextFile.writeAtomically(document.serialized(pretty: true) + "\n", to: path)
            } catch {
                Terminal.error("loadgen run: cannot write \(path): \(error)")
                return 1
            }
            if !options.quiet { Terminal.error("loadgen run: saved \(path)") }
        }
        if let interruptedBy { return 128 + interruptedBy }
        if let reason = result.connectionSetupFailure {
            Terminal.error("loadgen run: could not connect to \(plan.target.hostHeader): \(reason)")
            return 1
        }
        if let (code, reason) = ErrorRateGate.check(requests: result.requests, succeeded: result.succeeded, maximum: options.maxErrorRate) {
            Terminal.error("loadgen run: \(reason)")
            return code
        }
        if let (code, reason) = options.clientCheck.gate([(nil, result)]) {
            Terminal.error("loadgen run: \(reason)")
            return code
        }
        return 0
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
