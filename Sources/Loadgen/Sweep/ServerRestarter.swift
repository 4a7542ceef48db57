import HTTPWire

/// Restarts the server under test with a shell command and waits until it answers ready.
///
/// The command may return at once (`docker restart vllm`, `systemctl restart vllm`) or keep
/// running as the server itself (`vllm serve ...`): loadgen waits for readiness, not for the
/// command to end, keeps a running command as its child, and stops it before the next restart
/// and at the end. A command that exits non-zero before the server is ready is an error.
final class ServerRestarter: @unchecked Sendable {
    let command: String
    let target: HTTPTarget
    let headers: [HTTPHeader]
    /// The command's output goes here (appended), not to the terminal.
    let logPath: String
    /// https: how the probes verify the server (the run's --cacert, --insecure, --cert/--key).
    let tls: TLSClientConfiguration
    private var child: ChildProcess?
    /// The probes' TLS context, made at the first restart (nil for http).
    private var tlsContext: TLSClientContext?

    enum Failure: Error, CustomStringConvertible {
        case cannotStart(String)
        /// https: the probes' TLS context could not be set up (a bad --cacert, no OpenSSL).
        case tlsSetup(String)
        case commandFailed(exitCode: Int32?, log: String)
        case notReady(seconds: Double, last: String)
        case interrupted(Int32)

        var description: String {
            switch self {
            case .cannotStart(let reason): "cannot run the restart command: \(reason)"
            case .tlsSetup(let reason): "cannot probe the server: \(reason)"
            case .commandFailed(let code, let log):
                "the restart command \(code.map { "exited with \($0)" } ?? "was killed by a signal") before the server was ready (output in \(log))"
            case .notReady(let seconds, let last):
                "the server was not ready after \(Format.fixed(seconds, decimals: 0)) s (last answer: \(last))"
            case .interrupted(let signal): "interrupted by signal \(signal)"
            }
        }
    }

    init(command: String, target: HTTPTarget, headers: [HTTPHeader], logPath: String,
         tls: TLSClientConfiguration = TLSClientConfiguration()) {
        self.command = command
        self.target = target
        self.headers = headers
        self.logPath = logPath
        self.tls = tls
    }

    deinit { child?.stop() }

    /// Stops a previous command still running, runs the command, and waits until ready.
    /// `onWait` gets the seconds waited so far and the last probe's answer, about once a second.
    func restart(readyTimeoutSeconds: Double, signals: SignalWatcher?,
                        onWait: (Double, String) -> Void) throws(Failure) -> Double {
        child?.stop()
        child = nil
        if tlsContext == nil {
            do { tlsContext = try HTTPFetch.tlsContext(for: target, tls) } catch { throw .tlsSetup(error.description) }
        }
        let started = Clock.monotonicNanoseconds()
        do {
            child = try ChildProcess(path: "/bin/sh", arguments: ["-c", command], outputFile: logPath)
        } catch {
            throw .cannotStart(SystemError.message(for: error.errno))
        }
        // Give a command that restarts asynchronously a moment, so the old server's last answers
        // are not taken for the new one's readiness.
        var probeAfter = started + 1_000_000_000
        var last = "no answer yet"
        while true {
            let now = Clock.monotonicNanoseconds()
            let waited = Double(now - started) / 1e9
            if let child, !child.isRunning, child.exitCode != 0 {
                throw .commandFailed(exitCode: child.exitCode, log: logPath)
            }
            if now >= probeAfter {
                probeAfter = now + 1_000_000_000
                let answer: (ready: Bool, description: String)
                do { answer = try Self.probe(target, headers: headers, signals: signals, tls: tlsContext) } catch { throw .interrupted(error.signal) }
                if answer.ready, child.map({ $0.isRunning || $0.exitCode == 0 }) ?? true { return waited }
                last = answer.description
            }
            if waited >= readyTimeoutSeconds { throw .notReady(seconds: waited, last: last) }
            onWait(waited, last)
            if let signals {
                if let signal = signals.wait(milliseconds: 250) { throw .interrupted(signal) }
            } else {
                _ = ProcessResources.sleep(milliseconds: 250)
            }
        }
    }

    /// Stops a command still running (the server it started, if it runs in the foreground).
    func stop() {
        child?.stop()
        child = nil
    }

    /// A signal that ended a probe.
    struct ProbeInterrupted: Error { let signal: Int32 }

    /// GET /health, then /v1/models: ready on the first 200. A signal ends it at once.
    static func probe(_ target: HTTPTarget, headers: [HTTPHeader], signals: SignalWatcher? = nil,
                      tls: TLSClientContext? = nil) throws(ProbeInterrupted) -> (ready: Bool, description: String) {
        let base = target.openAIBasePath
        var description = ""
        for path in [base + "/health", base + "/v1/models"] {
            do {
                let answer = try HTTPFetch.get(target, path: path, headers: headers, timeoutSeconds: 5, signals: signals, tls: tls)
                if answer.status == 200 { return (true, "HTTP 200 from \(path)") }
                description = "HTTP \(answer.status) from \(path)"
            } catch {
                if case .interrupted(let signal) = error { throw ProbeInterrupted(signal: signal) }
                description = "\(error)"
            }
        }
        return (false, description)
    }
}
