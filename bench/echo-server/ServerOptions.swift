/// echo-server's command line.
struct ServerOptions {
    var host = "127.0.0.1"
    var port: UInt16 = 0
    var threads = 1
    var modelName = "echo-model"
    var maxBodyBytes = 16 * 1024 * 1024
    var maxHeaderBytes = 64 * 1024
    var maxHeaderCount = 100
    /// Streaming (`"stream": true`): delay before the first token, between tokens, and per prompt
    /// token of simulated prefill, so TTFT can grow with the prompt.
    var ttftMilliseconds = 0.0
    var itlMilliseconds = 0.0
    var prefillMicrosecondsPerToken = 0.0
    /// Stream tokens are sent on a grid of this many microseconds (`TokenWakeupGrid`).
    var timerSlackMicroseconds = TokenWakeupGrid.defaultSlackMicroseconds
    /// Misbehaviour on purpose (`--fault`), and the byte interval of `slow-drip`.
    var faults = FaultPlan()
    var dripMilliseconds = 10.0
    /// Connections beyond this are answered 503 and closed; idle ones close after the timeout.
    var maxConnections = 100_000
    var idleTimeoutSeconds = 300.0
    /// Answer GET /stats with the stream token lateness so far.
    var stats = false
    /// A test hook: wait this long before each read of request bytes, as a loop busy answering
    /// a burst of other requests would (the request waits in its socket meanwhile).
    var readDelayMilliseconds = 0.0
    /// HTTPS (`--tls-cert`/`--tls-key`, PEM files): every connection is TLS; with
    /// `--tls-client-ca` clients must present a certificate signed by that CA (mTLS).
    var tlsCertificate: String?
    var tlsKey: String?
    var tlsClientCA: String?
    /// Serve GET /metrics (`EchoMetrics`); without it /metrics is a 404 like any unknown path.
    var servesMetrics = false

    static let usage = """
    usage: echo-server [--host ADDR] [--port N] [--threads N] [--model NAME] [--max-body-bytes N]
                       [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]

    An OpenAI-shaped HTTP/1.1 server that answers in microseconds: the deterministic peer that
    measures loadgen's own ceiling. Its first line on stdout is http://HOST:PORT once it accepts.

      --host ADDR          address to bind (default 127.0.0.1; ::1 for IPv6)
      --port N             port (default 0: a free port, printed on the first line)
      --threads N          event-loop threads (default 1)
      --model NAME         model id listed by GET /v1/models (default echo-model)
      --max-body-bytes N   request bodies above this get 413 (default 16777216)
      --ttft-ms MS         streaming: first token after MS milliseconds (default 0)
      --itl-ms MS          streaming: one token every MS milliseconds after that (default 0)
      --prefill-us-per-token US  streaming: add US microseconds to the TTFT per prompt token
      --timer-slack-us US  streaming: the token timer fires on a grid of US microseconds
                           (default 250; 0: at each due time): one wakeup sends every token
                           due by then, none before its due time, each at most US late
      --fault KIND[:RATE]  misbehave on a fraction RATE (default 1) of requests, repeatable;
                           deterministic: exactly one request in 1/RATE, counted per thread.
                           KIND: close-before-response, close-mid-headers, close-mid-body,
                           reset (RST), garbage-status, bad-chunk, short-body (Content-Length
                           larger than the body, then close), status-500, status-503,
                           status-429 (JSON error body), stall (never answer), slow-drip
                           (one byte per --drip-ms), huge-headers (> 64 KiB), pipelined-extra
      --drip-ms MS         slow-drip interval (default 10)
      --max-connections N  connections beyond N are answered 503 and closed (default 100000)
      --idle-timeout S     close a connection silent for S seconds (default 300; 0 = never)
      --stats              answer GET /stats with how late stream tokens left so far (JSON:
                           sent minus due, p50/p99/max; at most 100 ms old) and how long
                           requests waited in their sockets to be read (read minus the
                           kernel's receive time); the same lines are printed on stderr at
                           exit whenever tokens were timed. A stream's TTFT and ITL run from
                           the kernel's receive time of its request, so that wait is
                           absorbed in the TTFT (plain HTTP with a delay; else from the read)
      --read-delay-ms MS   test hook: wait MS before each read of request bytes, as a loop
                           busy with a burst of other requests would (default 0)
      --tls-cert FILE      serve HTTPS with this PEM certificate (chain); needs --tls-key and
                           the system's OpenSSL 3 (loaded at run time); the first line is then
                           https://HOST:PORT
      --tls-key FILE       the certificate's PEM private key
      --tls-client-ca FILE require client certificates signed by a CA in this PEM file (mTLS)
      --metrics            serve GET /metrics: Prometheus text with vLLM's names for the tokens
                           and requests echo-server answered and the streams it is sending, for
                           testing loadgen's server-metrics cross-check without vLLM

    Routes: POST /v1/chat/completions and /v1/completions (JSON with usage: prompt_tokens =
    body bytes / 4, completion_tokens = max_tokens, default 16), GET /health, GET /v1/models,
    GET /metrics with --metrics.
    With "stream": true the answer is Server-Sent Events in OpenAI's chunk format, one token per
    event (max_tokens events), then a usage event and data: [DONE]; delays run on timers.
    Anything else: 404. Malformed requests: 400, then close. SIGINT/SIGTERM stop it cleanly.
    """

    enum ParseError: Error { case message(String), help }

    static func parse(_ arguments: [String]) throws(ParseError) -> ServerOptions {
        var options = ServerOptions()
        var index = 0
        func value(_ flag: String) throws(ParseError) -> String {
            index += 1
            guard index < arguments.count else { throw .message("\(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--host": options.host = try value(flag)
            case "--port":
                guard let port = UInt16(try value(flag)) else { throw .message("--port must be 0...65535") }
                options.port = port
            case "--threads", "-t":
                guard let threads = Int(try value(flag)), threads >= 1, threads <= 1024 else {
                    throw .message("--threads must be 1...1024")
                }
                options.threads = threads
            case "--model": options.modelName = try value(flag)
            case "--max-body-bytes":
                guard let bytes = Int(try value(flag)), bytes >= 0 else { throw .message("--max-body-bytes must be >= 0") }
                options.maxBodyBytes = bytes
            case "--ttft-ms": options.ttftMilliseconds = try milliseconds(try value(flag), flag)
            case "--itl-ms": options.itlMilliseconds = try milliseconds(try value(flag), flag)
            case "--prefill-us-per-token": options.prefillMicrosecondsPerToken = try milliseconds(try value(flag), flag)
            case "--timer-slack-us": options.timerSlackMicroseconds = try milliseconds(try value(flag), flag)
            case "--fault":
                let text = try value(flag)
                guard options.faults.add(text) else {
                    throw .message("--fault must be KIND or KIND:RATE with RATE in (0, 1], KIND one of \(Fault.allCases.map(\.rawValue).joined(separator: ", ")); got '\(text)'")
                }
            case "--drip-ms": options.dripMilliseconds = try milliseconds(try value(flag), flag)
            case "--max-connections":
                guard let count = Int(try value(flag)), count >= 1 else { throw .message("--max-connections must be >= 1") }
                options.maxConnections = count
            case "--idle-timeout": options.idleTimeoutSeconds = try milliseconds(try value(flag), flag)
            case "--stats": options.stats = true
            case "--read-delay-ms": options.readDelayMilliseconds = try milliseconds(try value(flag), flag)
            case "--tls-cert": options.tlsCertificate = try value(flag)
            case "--tls-key": options.tlsKey = try value(flag)
            case "--tls-client-ca": options.tlsClientCA = try value(flag)
            case "--metrics": options.servesMetrics = true
            case "-h", "--help": throw .help
            default: throw .message("unknown option '\(flag)'")
            }
            index += 1
        }
        if (options.tlsCertificate == nil) != (options.tlsKey == nil) {
            throw .message("--tls-cert and --tls-key go together")
        }
        if options.tlsClientCA != nil, options.tlsCertificate == nil {
            throw .message("--tls-client-ca needs --tls-cert and --tls-key")
        }
        return options
    }

    private static func milliseconds(_ text: String, _ flag: String) throws(ParseError) -> Double {
        guard let value = Double(text), value >= 0, value < 3_600_000 else { throw .message("\(flag) must be a number >= 0") }
        return value
    }
}
