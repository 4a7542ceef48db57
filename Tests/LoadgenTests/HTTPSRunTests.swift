import Foundation
import Testing
@testable import Loadgen

/// loadgen over https end to end: the real binaries, echo-server with `--tls-cert`, and
/// certificates made with the `openssl` command for each test (`TestCertificates`, never
/// committed). Every outcome is checked by its counts, its class and its one-line reason.
@Suite("loadgen over https", .serialized)
struct HTTPSRunTests {
    /// Certificates, and an echo-server serving `server.pem` (or the wrong-host certificate).
    private func withServer(wrongHost: Bool = false, extra: (TestCertificates) -> [String] = { _ in [] },
                            _ body: (TestCertificates, EchoServerProcess) throws -> Void) throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let certificate = wrongHost ? certificates.wrongHostCertificate : certificates.serverCertificate
        let key = wrongHost ? certificates.wrongHostKey : certificates.serverKey
        let server = try EchoServerProcess(arguments: ["--tls-cert", certificate, "--tls-key", key] + extra(certificates))
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        try body(certificates, server)
    }

    private func loadgen(_ arguments: [String], timeoutSeconds: Double = 60) throws -> CommandRun {
        try CommandRunner.run(BuiltProducts.loadgen, arguments, timeoutSeconds: timeoutSeconds)
    }

    private func errors(_ json: [String: Any]) -> [String: Int] {
        (json["errors"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// A failed run's stderr is one line, ending in `text`'s reason.
    private func expectOneLine(_ run: CommandRun, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(text), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    }

    @Test("a run verified with --cacert succeeds with exact counts, handshakes reported apart from TCP connects")
    func verifiedRun() throws {
        try withServer { certificates, server in
            // By name: SNI and the certificate's DNS name are checked.
            let url = "https://localhost:\(server.port)/v1/completions"
            let run = try loadgen(["run", url, "-n", "300", "-c", "4", "-t", "1", "--cacert", certificates.caCertificate, "--json",
                                   "--body", #"{"model":"m","prompt":"abcdabcd","max_tokens":2}"#])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let json = try run.json()
            #expect(json["requests"] as? Int == 300)
            #expect(json["succeeded"] as? Int == 300)
            #expect(errors(json).isEmpty)
            #expect(json["completion_tokens"] as? Int == 600)
            #expect(json["connections_opened"] as? Int == 4)
            let full = json["tls_handshakes_full"] as? Int ?? -1
            let resumed = json["tls_handshakes_resumed"] as? Int ?? -1
            #expect(full + resumed == 4)
            #expect(full >= 1, "the first connection has no session to resume")
            #expect((json["tls_handshake_ms"] as? [String: Any])?["count"] as? Int == 4)
            #expect((json["connect_ms"] as? [String: Any])?["count"] as? Int == 4)
            #expect(((json["tls_handshake_ms"] as? [String: Any])?["p50"] as? Double ?? 0) > 0)
            // Reads through OpenSSL keep the kernel's receive stamps (the BIO reads with recvmsg).
            #expect(json["timestamps"] as? String == "kernel")
            #expect(json["reads_without_kernel_stamp"] as? Int == 0)
            #expect((json["client_lag_ms"] as? [String: Any])?["count"] as? Int ?? 0 >= 300)
        }
    }

    @Test("an untrusted CA ends the run with exit 1, one line with OpenSSL's reason, and one tls failure per connection")
    func verificationFailure() throws {
        try withServer { _, server in
            let run = try loadgen(["run", server.url + "/health", "-n", "5000", "-c", "3", "-t", "1", "--json"])
            #expect(run.status == 1)
            expectOneLine(run, contains: "TLS handshake failed: error:0A000086:SSL routines::certificate verify failed")
            let json = try run.json()
            // No storm: every connection failed once, the run stopped instead of retrying.
            #expect(json["requests"] as? Int == 3)
            #expect(errors(json) == ["tls": 3])
            let example = (json["error_examples"] as? [String: Any])?["tls"] as? String ?? ""
            #expect(example.contains("certificate verify failed"), "\(example)")
            #expect(json["connections_opened"] as? Int == 0)
        }
    }

    @Test("a certificate for another host fails as a name mismatch", arguments: [
        ("localhost", "hostname mismatch"),
        ("127.0.0.1", "IP address mismatch"),
    ])
    func hostMismatch(host: String, reason: String) throws {
        try withServer(wrongHost: true) { certificates, server in
            let run = try loadgen(["run", "https://\(host):\(server.port)/health", "-n", "10", "-c", "2", "--cacert", certificates.caCertificate])
            #expect(run.status == 1)
            expectOneLine(run, contains: "certificate verify failed: \(reason)")
        }
    }

    @Test("--insecure accepts an unknown CA and another host's certificate")
    func insecure() throws {
        try withServer(wrongHost: true) { _, server in
            let run = try loadgen(["run", "https://localhost:\(server.port)/health", "-n", "100", "-c", "2", "--insecure", "--json"])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try run.json()["succeeded"] as? Int == 100)
        }
    }

    @Test("mTLS: --cert/--key are accepted by a server that requires a client certificate; without them the run fails as tls")
    func mutualTLS() throws {
        try withServer(extra: { ["--tls-client-ca", $0.caCertificate] }) { certificates, server in
            let url = server.url + "/health"
            let good = try loadgen(["run", url, "-n", "100", "-c", "2", "--cacert", certificates.caCertificate,
                                    "--cert", certificates.clientCertificate, "--key", certificates.clientKey, "--json"])
            #expect(good.status == 0, "stderr: \(good.stderr)")
            #expect(try good.json()["succeeded"] as? Int == 100)
            // TLS 1.3: the client's handshake completes; the refusal comes as an alert on the
            // first read, and still stops the run as a connection that never worked.
            let refused = try loadgen(["run", url, "-n", "1000", "-c", "2", "--cacert", certificates.caCertificate, "--json"])
            #expect(refused.status == 1)
            expectOneLine(refused, contains: "certificate required")
            let json = try refused.json()
            #expect(errors(json) == ["tls": 2])
        }
    }

    @Test("a server that closes mid-handshake is a tls failure with the reason, not a hang")
    func closedMidHandshake() throws {
        let server = try ScriptedServer(.reply("", close: true))
        defer { server.stop() }
        let run = try loadgen(["run", "https://127.0.0.1:\(server.port)/", "-n", "50", "-c", "2", "--insecure", "--json"], timeoutSeconds: 30)
        #expect(run.status == 1)
        expectOneLine(run, contains: "TLS handshake failed")
        #expect(errors(try run.json()) == ["tls": 2])
    }

    @Test("a plain-HTTP server on an https URL is a tls failure naming the wrong protocol")
    func plainHTTPServer() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let run = try loadgen(["run", "https://127.0.0.1:\(server.port)/health", "-n", "50", "-c", "2", "--insecure", "--json"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("wrong version number") || run.stderr.contains("packet length too long"), "\(run.stderr)")
        #expect(errors(try run.json()) == ["tls": 2])
    }

    @Test("a peer that never answers the ClientHello fails as tls at the connect timeout")
    func silentPeer() throws {
        let server = try ScriptedServer(.silent)
        defer { server.stop() }
        let run = try loadgen(["run", "https://127.0.0.1:\(server.port)/", "-n", "5", "-c", "1", "--insecure",
                               "--connect-timeout", "300ms", "--json"], timeoutSeconds: 30)
        #expect(run.status == 1)
        expectOneLine(run, contains: "the TLS handshake did not complete within the connect timeout (0.3 s)")
        #expect(errors(try run.json()) == ["tls": 1])
    }

    @Test("one connection per request (--no-keepalive, or a Connection: close header as wrk's): reconnects resume the session",
          arguments: [["--no-keepalive"], ["-H", "Connection: close"]])
    func reconnectsResume(flags: [String]) throws {
        try withServer { certificates, server in
            let run = try loadgen(["run", server.url + "/health", "-n", "300", "-c", "2", "-t", "1",
                                   "--cacert", certificates.caCertificate, "--json"] + flags)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let json = try run.json()
            #expect(json["succeeded"] as? Int == 300)
            #expect(json["connections_opened"] as? Int == 300)
            let full = json["tls_handshakes_full"] as? Int ?? -1
            let resumed = json["tls_handshakes_resumed"] as? Int ?? -1
            #expect(full + resumed == 300)
            // The two first connections start before any ticket has arrived; after that every
            // connection resumes with a ticket of its own (a ticket resumed once is spent, so a
            // cache of one session made every connection that overlapped another a full one).
            #expect(full >= 2 && full <= 4, "full \(full), resumed \(resumed)")
        }
    }

    @Test("thousands of reconnects leave loadgen with the descriptors it started with and flat memory")
    func reconnectsDoNotGrow() throws {
        try withServer { certificates, server in
            let run = try loadgen(["run", server.url + "/health", "--no-keepalive", "-n", "2000", "-c", "4", "-t", "1",
                                   "--cacert", certificates.caCertificate, "--progress-every", "200ms", "--quiet", "--json"], timeoutSeconds: 120)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(try run.json()["connections_opened"] as? Int == 2000)
            // progress t=0.0 ... rss_kib=N fds=N, one line per 200 ms, then "final" after the run.
            let samples = run.stderr.split(separator: "\n").compactMap { line -> (final: Bool, seconds: Double, rss: Int, fds: Int)? in
                let fields = Dictionary(line.split(separator: " ").dropFirst().compactMap { field -> (String, String)? in
                    let pair = field.split(separator: "=", maxSplits: 1)
                    return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
                }, uniquingKeysWith: { first, _ in first })
                guard let seconds = fields["t"].flatMap(Double.init), let rss = fields["rss_kib"].flatMap(Int.init),
                      let fds = fields["fds"].flatMap(Int.init) else { return nil }
                return (line.hasPrefix("final"), seconds, rss, fds)
            }
            let start = try #require(samples.first)
            let end = try #require(samples.last)
            #expect(end.final)
            #expect(end.fds == start.fds, "descriptors \(start.fds) before the run, \(end.fds) after")
            // Memory from the first sample with OpenSSL loaded and the connections warm to the end:
            // one leaked SSL per connection would be tens of MiB, a leaked session 2 MiB.
            if let warm = samples.first(where: { !$0.final && $0.seconds >= 0.4 }) {
                #expect(end.rss - warm.rss < 4096, "RSS \(warm.rss) KiB at \(warm.seconds) s, \(end.rss) KiB at the end")
            }
        }
    }

    @Test("the model lookup (GET /v1/models) and validate --url work over https")
    func otherCommands() throws {
        try withServer { certificates, server in
            let output = NSTemporaryDirectory() + "loadgen-https-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: output) }
            let base = "https://localhost:\(server.port)"
            let latency = try loadgen(["latency", "--base-url", base, "-n", "3", "--cacert", certificates.caCertificate,
                                       "--output-dir", output, "--json", "--max-tokens", "4"])
            #expect(latency.status == 0, "stderr: \(latency.stderr)")
            #expect(latency.stdout.contains("echo-model"), "the model came from /v1/models")
            let validate = try loadgen(["validate", "--url", base, "--cacert", certificates.caCertificate, "--levels", "2",
                                        "-n", "50", "--no-pin", "--output-dir", output, "--quiet"])
            #expect(validate.status == 0, "stderr: \(validate.stderr)")
            #expect(validate.stdout.contains("100.0%"))
        }
    }

    @Test("HTTPS flags are refused for an http:// server, and a CA file that is not there is named", arguments: [
        (["run", "http://127.0.0.1:1/", "--insecure"], "--insecure applies to https:// URLs"),
        (["run", "https://127.0.0.1:1/", "--cacert", "/nonexistent/ca.pem"], "--cacert '/nonexistent/ca.pem'"),
        (["run", "https://127.0.0.1:1/", "--key", "/dev/null"], "--key needs --cert"),
        (["validate", "--cacert", "/dev/null"], "the bundled echo-server speaks http"),
    ])
    func flagErrors(arguments: [String], message: String) throws {
        let run = try loadgen(arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
    }
}

/// The blocking fetches (model lookup, readiness probes, metrics scrapes) over https.
@Suite("HTTPS fetches", .serialized)
struct HTTPSFetchTests {
    @Test("a fetch verifies the server and returns the answer; an untrusted one fails with OpenSSL's reason")
    func fetch() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try EchoServerProcess(arguments: ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey])
        defer { server.stop() }
        let target = try HTTPTarget(url: "https://localhost:\(server.port)/")
        let trusting = try HTTPFetch.tlsContext(for: target, TLSClientConfiguration(verification: .certificateAuthorities(file: certificates.caCertificate)))
        let answer = try HTTPFetch.get(target, path: "/v1/models", timeoutSeconds: 10, tls: trusting)
        #expect(answer.status == 200)
        #expect(ModelList.firstID(in: answer.body) == "echo-model")
        #expect {
            try HTTPFetch.get(target, path: "/v1/models", timeoutSeconds: 10)
        } throws: { error in
            "\(error)".contains("certificate verify failed")
        }
        // The readiness probe of sweep --restart-cmd, and the metrics probe (echo-server has no
        // /metrics: a 404 over a verified session).
        let probe = try ServerRestarter.probe(target, headers: [], tls: trusting)
        #expect(probe.ready, "\(probe.description)")
        let metrics = try HTTPTarget(url: "https://localhost:\(server.port)/metrics")
        #expect(MetricsScraper.probe(metrics, tls: TLSClientConfiguration(verification: .certificateAuthorities(file: certificates.caCertificate))) == .status(404))
        let untrusted = MetricsScraper.probe(metrics)
        guard case .tls(let reason)? = untrusted else {
            Issue.record("expected a tls failure, got \(String(describing: untrusted))")
            return
        }
        #expect(reason.contains("certificate verify failed"))
    }

    @Test("https setup errors are one line naming the library or the file")
    func setupErrors() throws {
        let missing = LoadgenError.tls(.libraryUnavailable(library: "libssl.so.3", reason: "libssl.so.3: cannot open shared object file"))
        #expect(missing.description.contains("libssl.so.3"))
        #expect(!missing.description.contains("\n"))
        #expect(throws: HTTPFetch.FetchError.self) {
            try HTTPFetch.tlsContext(for: try HTTPTarget(url: "https://h/"), TLSClientConfiguration(verification: .certificateAuthorities(file: "/nonexistent.pem")))
        }
        // Plain HTTP never loads OpenSSL.
        #expect(throws: Never.self) {
            let plain = try HTTPFetch.tlsContext(for: try HTTPTarget(url: "http://h/"), TLSClientConfiguration())
            #expect(plain == nil)
        }
    }
}

/// The https figures of a result: kept in JSON, read back, merged, and carried to every level.
@Suite("HTTPS results")
struct HTTPSResultTests {
    private func httpsResult(seed: UInt64) -> RunResult {
        var result = RunResult()
        result.requests = 5
        result.succeeded = 4
        result.failures.add(.tls)
        for index in 0..<UInt64(4) { result.latency.record(nanoseconds: 1_000_000 * seed + index * 1000) }
        for index in 0..<UInt64(3) {
            result.tcpConnectTime.record(nanoseconds: 40_000 * seed + index)
            result.tlsHandshakeTime.record(nanoseconds: 900_000 * seed + index)
        }
        result.tlsFullHandshakes = 1
        result.tlsResumedHandshakes = 2
        result.tlsFailureExample = "error:0A000086:SSL routines::certificate verify failed: seed \(seed)"
        result.startedAtWallSeconds = 1_700_000_000 + Double(seed)
        result.endedAtWallSeconds = 1_700_000_001 + Double(seed)
        result.durationSeconds = 1
        return result
    }

    @Test("handshake counts and times, TCP connect times and the tls example go through JSON and back, and merge")
    func roundTripAndMerge() throws {
        let original = httpsResult(seed: 1)
        let json = RunReport.json(original)
        let decoded = try RunReportDecoder.result(from: JSONParser.parse(json.serialized()))
        #expect(RunReport.json(decoded).serialized() == json.serialized())
        #expect(decoded.tcpConnectTime == original.tcpConnectTime)
        #expect(decoded.tlsHandshakeTime == original.tlsHandshakeTime)
        #expect(decoded.tlsFullHandshakes == 1 && decoded.tlsResumedHandshakes == 2)
        #expect(decoded.tlsFailureExample == original.tlsFailureExample)
        #expect(decoded.failures[.tls] == 1)
        #expect(json.serialized().contains(#""errors":{"tls":1}"#))

        let merged = try RunMerge([original, httpsResult(seed: 2)]).result
        #expect(merged.failures[.tls] == 2)
        #expect(merged.tlsHandshakeTime.count == 6 && merged.tcpConnectTime.count == 6)
        #expect(merged.tlsFullHandshakes == 2 && merged.tlsResumedHandshakes == 4)
        #expect(merged.tlsFailureExample?.hasSuffix("seed 1") == true)

        let text = RunReport.text(original, url: "https://h/")
        #expect(text.contains("tls          3 handshakes (1 full, 2 resumed)"))
        #expect(text.contains("first tls failure: error:0A000086"))
    }

    @Test("a result whose handshake counts disagree with its histogram is refused")
    func inconsistentCounts() throws {
        let text = RunReport.json(httpsResult(seed: 1)).serialized().replacingOccurrences(of: #""tls_handshakes_full":1"#, with: #""tls_handshakes_full":5"#)
        #expect(throws: RunReportDecodingError.self) { try RunReportDecoder.result(from: JSONParser.parse(text)) }
    }

    @Test("every command's levels carry the TLS configuration")
    func plansCarryTLS() throws {
        let tls = TLSClientConfiguration(verification: .certificateAuthorities(file: "/ca.pem"), certificateFile: "/c.pem", privateKeyFile: "/k.pem")
        var sweep = SweepPlan(target: try HTTPTarget(url: "https://h/"), workload: OpenAIWorkload(model: "m"))
        sweep.tls = tls
        #expect(SweepRunner.levelPlan(sweep, concurrency: 3).tls == tls)
    }

    @Test("every connection-setup failure gives the run one reason: TLS's over the connect errno")
    func setupFailureReason() {
        var result = RunResult()
        result.requests = 3
        result.failures.add(.connect)
        result.failures.add(.tls)
        result.failures.add(.tls)
        result.firstConnectErrno = ECONNREFUSED
        result.tlsFailureExample = "error:0A00010B:SSL routines::wrong version number"
        #expect(result.connectionSetupFailure == "TLS handshake failed: error:0A00010B:SSL routines::wrong version number")
        #expect(result.responses == 0)
        result.failures = FailureCounts()
        result.failures.add(.connect, count: 3)
        #expect(result.connectionSetupFailure == "Connection refused")
        result.failures.add(.timeout)
        result.requests = 4
        #expect(result.connectionSetupFailure == nil)
    }
}
