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
          --base-url URL          server (default http://localhost:8000)
          --model NAME            default: the first id from GET /v1/models
          --completions           /v1/completions with a prompt (default /v1/chat/completions)
          --input-tokens N|A:B    prompt length, fixed or uniform in [A, B] (default 500)
          --max-tokens N|A:B      output length (alias --output-tokens; default 100)
          --prompt unique|fixed   unique (default): a distinct request number leads every prompt,
                                  so a prefix cache cannot serve it; fixed: the seeds' repeated text
          --stream                stream: true, with stream_options.include_usage
          --temperature T, --ignore-eos, --extra-body JSON
          --images N              N image_url parts per chat request (vision)
          --image-url URL         image to send, repeatable (default: the seeds' three URLs)
          --image-file PATH       image file sent as a base64 data: URL, repeatable
          (OPENAI_API_KEY, when set, is sent as Authorization: Bearer unless -H gives one)

    Load:
      -c, --concurrency N     connections, one request in flight each (default 10)
      -n, --requests N        start exactly N requests, then stop
      -d, --duration TIME     start requests for TIME (30, 30s, 500ms, 2m; default 10s)
          --warmup TIME       run this long first and discard it (default 0)
      -t, --threads N         event-loop threads (default: online CPUs, at most N connections)
          --rate R            open loop: R requests/s on a schedule fixed in advance; latency
                              counts from each request's scheduled time (coordinated omission
                              corrected) and the client's own send lag is reported apart
          --arrival KIND      constant, poisson (default) or gamma gaps between requests
          --burstiness K      gamma shape (implies --arrival gamma): < 1 bursty, 1 = Poisson
          --max-concurrency N open loop: cap on requests in flight (default 1000; same as -c)
          --seed N            lengths, images and arrival times are a function of it (default 0)
    Request:
      -m, --method METHOD     default GET, or POST when --body is given
      -H, --header 'K: V'     extra header, repeatable
          --body TEXT|@FILE   request body, inline or read from FILE
    Limits:
          --timeout TIME      per-request timeout (default 300s, as in the seeds)
          --connect-timeout TIME  (default 10s)
          --drain TIME        after --duration, how long in-flight requests may finish (default 10s)
          --max-response-bytes N  a bigger response fails as too_large (default 64M; K, M, G suffixes)
    Output:
          --slo ttft=MS,tpot=MS,e2e=MS  goodput: requests/s meeting every objective given
          --json              one JSON object on stdout instead of the summary
          --quiet             no progress line
      -h, --help

    Exit codes: 0 run completed, 1 the run could not start (e.g. every connect refused),
    2 bad arguments, 130/143 interrupted by SIGINT/SIGTERM (results so far are still printed).
    """

    struct Options {
        var plan: LoadPlan
        var json = false
        var quiet = false
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var url: String?
        var concurrency = 10
        var requests: Int?
        var duration: Double?
        var warmup = 0.0
        var threads: Int?
        var method: String?
        var headers: [HTTPHeader] = []
        var body: [UInt8]?
        var timeout = 300.0
        var connectTimeout = 10.0
        var drain = 10.0
        var json = false
        var quiet = false
        var openAI: [String] = []
        var baseURL = "http://localhost:8000"
        var model: String?
        var endpoint = OpenAIWorkload.Endpoint.chat
        var inputTokens = TokenCount.fixed(500)
        var outputTokens = TokenCount.fixed(100)
        var prompt = OpenAIWorkload.PromptStyle.unique
        var stream = false
        var temperature: Double?
        var ignoreEOS = false
        var extraBody: String?
        var seed: UInt64 = 0
        var concurrencyGiven = false
        var rate: Double?
        var arrival: String?
        var burstiness: Double?
        var maxResponseBytes = 64 << 20
        var objectives: ServiceLevelObjectives?
        var images = 0
        var imageURLs: [String] = []
        while let argument = cursor.next() {
            switch argument {
            case "-h", "--help": return nil
            case "-c", "--concurrency", "--max-concurrency":
                concurrency = try cursor.int(for: argument, in: 1...1_000_000)
                concurrencyGiven = true
            case "--rate": rate = try cursor.double(for: argument, minimum: 0.000_001)
            case "--arrival":
                let text = try cursor.value(for: argument)
                guard ["constant", "poisson", "gamma"].contains(text) else {
                    throw UsageError("--arrival must be constant, poisson or gamma, got '\(text)'")
                }
                arrival = text
            case "--burstiness": burstiness = try cursor.double(for: argument, minimum: 0.000_001)
            case "--max-response-bytes": maxResponseBytes = try parseByteCount(try cursor.value(for: argument), flag: argument)
            case "--slo": objectives = try parseObjectives(try cursor.value(for: argument))
            case "--images":
                images = try cursor.int(for: argument, in: 0...64)
                openAI.append(argument)
            case "--image-url":
                imageURLs.append(try cursor.value(for: argument))
                openAI.append(argument)
            case "--image-file":
                let path = try cursor.value(for: argument)
                do { imageURLs.append(try OpenAIWorkload.dataURL(image: try FileInput.read(path), fileName: path)) } catch let error as UsageError {
                    throw error
                } catch {
                    throw UsageError("\(error)")
                }
                openAI.append(argument)
            case "-n", "--requests": requests = try cursor.int(for: argument, in: 1...Int(Int32.max))
            case "-d", "--duration": duration = try cursor.seconds(for: argument)
            case "--warmup": warmup = try cursor.seconds(for: argument)
            case "-t", "--threads": threads = try cursor.int(for: argument, in: 1...1024)
            case "-m", "--method":
                let value = try cursor.value(for: argument)
                guard !value.isEmpty, value.allSatisfy({ $0.isLetter && $0.isUppercase }) else {
                    throw UsageError("--method must be an upper-case HTTP method like GET or POST, got '\(value)'")
                }
                method = value
            case "-H", "--header":
                headers.append(try parseHeader(try cursor.value(for: argument)))
            case "--body":
                let value = try cursor.value(for: argument)
                body = value.hasPrefix("@") ? try FileInput.read(String(value.dropFirst())) : Array(value.utf8)
            case "--timeout": timeout = try cursor.seconds(for: argument)
            case "--connect-timeout": connectTimeout = try cursor.seconds(for: argument)
            case "--drain": drain = try cursor.double(for: argument)
            case "--base-url":
                baseURL = try cursor.value(for: argument)
                openAI.append(argument)
            case "--model":
                model = try cursor.value(for: argument)
                openAI.append(argument)
            case "--completions":
                endpoint = .completions
                openAI.append(argument)
            case "--input-tokens":
                let text = try cursor.value(for: argument)
                guard let count = TokenCount(text, minimum: 1), count.upperBound <= 1_000_000 else {
                    throw UsageError("--input-tokens must be N or A:B with 1 <= A <= B <= 1000000, got '\(text)'")
                }
                inputTokens = count
                openAI.append(argument)
            case "--max-tokens", "--output-tokens":
                let text = try cursor.value(for: argument)
                guard let count = TokenCount(text, minimum: 1) else {
                    throw UsageError("\(argument) must be N or A:B with 1 <= A <= B, got '\(text)'")
                }
                outputTokens = count
                openAI.append(argument)
            case "--prompt":
                let text = try cursor.value(for: argument)
                switch text {
                case "unique": prompt = .unique
                case "fixed": prompt = .fixed
                default: throw UsageError("--prompt must be unique or fixed, got '\(text)'")
                }
                openAI.append(argument)
            case "--stream":
                stream = true
                openAI.append(argument)
            case "--temperature":
                temperature = try cursor.double(for: argument)
                openAI.append(argument)
            case "--ignore-eos":
                ignoreEOS = true
                openAI.append(argument)
            case "--extra-body":
                extraBody = try cursor.value(for: argument)
                openAI.append(argument)
            case "--seed":
                let text = try cursor.value(for: argument)
                guard let value = UInt64(text) else { throw UsageError("--seed must be a non-negative integer, got '\(text)'") }
                seed = value
            case "--json": json = true
            case "--quiet", "-q": quiet = true
            default:
                if argument.hasPrefix("-") { throw UsageError("unknown option '\(argument)' for run") }
                guard url == nil else { throw UsageError("run takes one URL, got '\(url!)' and '\(argument)'") }
                url = argument
            }
        }
        if requests != nil, duration != nil { throw UsageError("give --requests or --duration, not both") }
        if rate == nil, arrival != nil || burstiness != nil {
            throw UsageError("--arrival and --burstiness shape an open loop: give --rate too")
        }
        if arrival == "constant" || arrival == "poisson", let burstiness, burstiness != 1 {
            throw UsageError("--burstiness applies to --arrival gamma (poisson is burstiness 1)")
        }
        if objectives?.tpotMilliseconds != nil, url != nil || !stream {
            throw UsageError("--slo tpot= needs an OpenAI workload with --stream: TPOT is measured on streamed responses")
        }
        if images == 0, !imageURLs.isEmpty { throw UsageError("--image-url and --image-file need --images N") }
        if url != nil, let first = openAI.first {
            throw UsageError("\(first) is an OpenAI workload option: give --base-url instead of a URL")
        }
        var plan: LoadPlan
        do { plan = try LoadPlan(url: url ?? baseURL) } catch { throw UsageError(error.description) }
        if url == nil {
            if body != nil { throw UsageError("--body is for a URL run; an OpenAI workload builds its own bodies") }
            var workload = OpenAIWorkload(model: model ?? "")
            workload.endpoint = endpoint
            workload.inputTokens = inputTokens
            workload.outputTokens = outputTokens
            workload.prompt = prompt
            workload.stream = stream
            workload.temperature = temperature
            workload.ignoreEOS = ignoreEOS
            workload.extraBody = extraBody
            workload.seed = seed
            workload.imagesPerRequest = images
            if !imageURLs.isEmpty { workload.imageURLs = imageURLs }
            do { try workload.validate() } catch { throw UsageError(error.description) }
            plan.workload = workload
            if !headers.contains(where: { $0.name.lowercased() == "authorization" }),
               let key = getenv("OPENAI_API_KEY").map({ String(cString: $0) }), !key.isEmpty {
                headers.append(HTTPHeader("Authorization", "Bearer \(key)"))
            }
        }
        plan.concurrency = concurrency
        if let rate {
            let process: OpenLoopArrivals.Process
            switch arrival {
            case "constant": process = .constant
            case "gamma": process = .gamma(shape: burstiness ?? 1)
            case nil where burstiness != nil: process = .gamma(shape: burstiness!)
            default: process = .poisson
            }
            plan.arrivals = OpenLoopArrivals(rate: rate, process: process, seed: seed)
            // Connections open only as the schedule needs them, so a high cap costs nothing idle.
            if !concurrencyGiven { plan.concurrency = 1000 }
        }
        plan.objectives = objectives
        plan.maxResponseBytes = maxResponseBytes
        do { try plan.validate() } catch { throw UsageError(error.description) }
        plan.stop = requests.map { .requests($0) } ?? .duration(seconds: duration ?? 10)
        plan.warmupSeconds = warmup
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
        return Options(plan: plan, json: json, quiet: quiet)
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

    /// `/v1/models` under the base URL's path.
    static func modelsPath(_ target: HTTPTarget) -> String {
        (target.path.hasSuffix("/") ? String(target.path.dropLast()) : target.path) + "/v1/models"
    }

    static func parseHeader(_ text: String) throws(UsageError) -> HTTPHeader {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw UsageError("--header must look like 'Name: value', got '\(text)'")
        }
        let name = String(text[..<colon]).trimmingSpaces()
        let value = String(text[text.index(after: colon)...]).trimmingSpaces()
        guard !name.isEmpty, !name.contains(" ") else { throw UsageError("--header name is empty or has spaces in '\(text)'") }
        return HTTPHeader(name, value)
    }

    static func main(_ arguments: [String], signals: SignalWatcher) -> Int32 {
        let options: Options
        do {
            guard let parsed = try parse(arguments) else {
                Terminal.out(usage)
                return 0
            }
            options = parsed
        } catch {
            Terminal.error("loadgen run: \(error.message) (see loadgen run --help)")
            return 2
        }
        var plan = options.plan
        if let workload = plan.workload, workload.model.isEmpty {
            // No --model: ask the server, as OpenAI clients do.
            do {
                let answer = try HTTPFetch.get(plan.target, path: modelsPath(plan.target), headers: plan.headers)
                guard answer.status == 200, let id = HTTPFetch.firstModelID(in: answer.body) else {
                    Terminal.error("loadgen run: \(plan.target.url)v1/models listed no model (HTTP \(answer.status)); give --model")
                    return 1
                }
                plan.workload?.model = id
            } catch {
                Terminal.error("loadgen run: cannot list models: \(error); give --model or check --base-url")
                return 1
            }
        }
        let run: LoadRun
        do { run = try LoadRun.start(plan) } catch {
            Terminal.error("loadgen run: \(error)")
            return 1
        }
        let showProgress = !options.quiet && Terminal.stderrIsTerminal
        var interruptedBy: Int32?
        while !run.isFinished {
            if let signal = run.waitForCompletion(milliseconds: 250, signals: signals), interruptedBy == nil {
                interruptedBy = signal
                run.cancel()
            }
            if showProgress {
                let progress = run.progress
                let elapsed = run.elapsedSeconds
                Terminal.progress("  \(progress.measuring ? "running" : "warmup ") \(Format.fixed(elapsed, decimals: 1)) s  "
                    + "\(Format.grouped(UInt64(progress.completed))) ok  \(Format.grouped(UInt64(progress.failed))) failed")
            }
        }
        if showProgress { Terminal.clearProgress() }
        let result: RunResult
        do { result = try run.wait() } catch {
            Terminal.error("loadgen run: \(error)")
            return 1
        }
        if options.json {
            Terminal.out(RunReport.json(result).serialized())
        } else {
            Terminal.out(RunReport.text(result, url: plan.target.url))
        }
        if let interruptedBy { return 128 + interruptedBy }
        if result.succeeded == 0, result.requests > 0, result.failures.connect == result.failed {
            let reason = result.firstConnectErrno.map { SystemError.message(for: $0) } ?? "connect failed"
            Terminal.error("loadgen run: could not connect to \(plan.target.hostHeader): \(reason)")
            return 1
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
