import Foundation
import Testing
@testable import Loadgen

/// The TLS layer against its own server-side sessions (TLSTestServer), misbehaving plain-TCP
/// servers, and `openssl s_server`, all on loopback with certificates made for each test.
@Suite("TLS connections", .serialized)
struct TLSConnectionTests {
    /// Certificates and a server using `server.pem` (or what `configure` sets), for one test.
    private func withServer(_ configure: (TestCertificates, inout TLSTestServer.Options) -> Void = { _, _ in },
                            _ body: (TestCertificates, TLSTestServer) throws -> Void) throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        var options = TLSTestServer.Options(certificate: certificates.serverCertificate, key: certificates.serverKey)
        configure(certificates, &options)
        let server = try TLSTestServer(options)
        defer { server.stop() }
        try body(certificates, server)
    }

    private func trusting(_ certificates: TestCertificates) throws -> TLSClientContext {
        try TLSClientContext(TLSClientConfiguration(verification: .certificateAuthorities(file: certificates.caCertificate)))
    }

    private func reason<T>(_ result: Result<T, TLSTestFailure>) -> String? {
        if case .failure(let failure) = result, !failure.timedOut { return failure.reason }
        return nil
    }

    @Test("a verified handshake carries an HTTP request and its response, with ALPN http/1.1 and SNI")
    func handshakeAndRequest() throws {
        try withServer({ _, options in options.responseBodyBytes = 5 }) { certificates, server in
            let client = try TLSTestClient.connect(port: server.port, context: trusting(certificates), serverName: "localhost").get()
            #expect(client.tls.negotiatedProtocol == "http/1.1")
            #expect(client.tls.protocolVersion == "TLSv1.3")
            #expect(!client.tls.isResumed)
            let response = try client.get().get()
            #expect(response.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.body == Array("abcde".utf8))
            client.close()
            let session = try #require(server.waitForSessions(1).first)
            #expect(session.handshakeFailure == nil)
            #expect(session.requestedServerName == "localhost")
            #expect(session.negotiatedProtocol == "http/1.1")
            #expect(session.requests == 1)
        }
    }

    @Test("an IP literal is checked against the certificate's IP address and is not sent as SNI")
    func ipLiteral() throws {
        try withServer { certificates, server in
            let client = try TLSTestClient.connect(port: server.port, context: trusting(certificates), serverName: "127.0.0.1").get()
            _ = try client.get().get()
            client.close()
            let session = try #require(server.waitForSessions(1).first)
            #expect(session.handshakeFailure == nil)
            #expect(session.requestedServerName == nil)
        }
    }

    @Test("a server whose CA is not in the system's store fails verification with OpenSSL's reason")
    func unknownCertificateAuthority() throws {
        try withServer { _, server in
            let context = try TLSClientContext(TLSClientConfiguration(verification: .systemTrustStore))
            let result = TLSTestClient.connect(port: server.port, context: context, serverName: "localhost")
            let text = try #require(reason(result))
            #expect(text.contains("certificate verify failed"), "\(text)")
            #expect(text.contains("unable to get local issuer certificate") || text.contains("self-signed"), "\(text)")
        }
    }

    @Test("a certificate for another host fails with a name mismatch", arguments: [
        ("localhost", "hostname mismatch"),
        ("127.0.0.1", "IP address mismatch"),
    ])
    func hostMismatch(host: String, expected: String) throws {
        try withServer({ certificates, options in
            options.certificate = certificates.wrongHostCertificate
            options.key = certificates.wrongHostKey
        }) { certificates, server in
            let result = TLSTestClient.connect(port: server.port, context: try trusting(certificates), serverName: host)
            let text = try #require(reason(result))
            #expect(text.contains("certificate verify failed: \(expected)"), "\(text)")
        }
    }

    @Test("insecure mode accepts an unknown CA and a certificate for another host")
    func insecureAcceptsAnything() throws {
        try withServer({ certificates, options in
            options.certificate = certificates.wrongHostCertificate
            options.key = certificates.wrongHostKey
        }) { _, server in
            let context = try TLSClientContext(TLSClientConfiguration(verification: .none))
            for host in ["localhost", "127.0.0.1"] {
                let client = try TLSTestClient.connect(port: server.port, context: context, serverName: host).get()
                #expect(try client.get().get().head.hasPrefix("HTTP/1.1 200"))
                client.close()
            }
            #expect(server.waitForSessions(2).count == 2)
        }
    }

    @Test("a server that requires a client certificate refuses a client without one and accepts one with it")
    func mutualTLS() throws {
        try withServer({ certificates, options in
            options.clientCertificateAuthorities = certificates.caCertificate
        }) { certificates, server in
            // TLS 1.3 clients finish their side of the handshake before the server checks the
            // certificate, so the refusal may arrive as an alert on the first read.
            let anonymous = TLSTestClient.connect(port: server.port, context: try trusting(certificates), serverName: "localhost")
            let refusal: String?
            switch anonymous {
            case .success(let client):
                refusal = reason(client.get())
                client.close()
            case .failure(let failure):
                refusal = failure.timedOut ? nil : failure.reason
            }
            let text = try #require(refusal)
            #expect(text.contains("certificate required"), "\(text)")

            let context = try TLSClientContext(TLSClientConfiguration(
                verification: .certificateAuthorities(file: certificates.caCertificate),
                certificateFile: certificates.clientCertificate, privateKeyFile: certificates.clientKey))
            let client = try TLSTestClient.connect(port: server.port, context: context, serverName: "localhost").get()
            #expect(try client.get().get().head.hasPrefix("HTTP/1.1 200"))
            client.close()
            let sessions = server.waitForSessions(2)
            try #require(sessions.count == 2)
            #expect(sessions[0].handshakeFailure != nil)
            #expect(sessions[1].handshakeFailure == nil)
            #expect(sessions[1].clientPresentedCertificate)
        }
    }

    @Test("a server that closes mid-handshake fails the handshake with OpenSSL's reason, not a hang")
    func closedMidHandshake() throws {
        let server = try ScriptedServer(.reply("", close: true))
        defer { server.stop() }
        let context = try TLSClientContext(TLSClientConfiguration(verification: .none))
        let result = TLSTestClient.connect(port: server.port, context: context, serverName: "localhost", timeoutSeconds: 10)
        let text = try #require(reason(result))
        #expect(text.contains("closed the connection during the TLS handshake") || text.contains("unexpected eof"), "\(text)")
    }

    @Test("a plain-HTTP server on a TLS connection fails the handshake with OpenSSL's reason, not a hang")
    func plainHTTPServer() throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", close: false))
        defer { server.stop() }
        let context = try TLSClientContext(TLSClientConfiguration(verification: .none))
        let result = TLSTestClient.connect(port: server.port, context: context, serverName: "localhost", timeoutSeconds: 10)
        let text = try #require(reason(result))
        #expect(text.contains("wrong version number") || text.contains("packet length too long"), "\(text)")
    }

    @Test("a second connection resumes the session the first one was given", arguments: [TLSProtocolVersion.tls13, .tls12])
    func resumption(version: TLSProtocolVersion) throws {
        try withServer({ _, options in options.maximumVersion = version }) { certificates, server in
            let context = try trusting(certificates)
            let sessions = TLSSessionCache(openSSL: context.openSSL)
            var resumed: [Bool] = []
            for _ in 0..<3 {
                let client = try TLSTestClient.connect(port: server.port, context: context, serverName: "localhost", sessions: sessions).get()
                resumed.append(client.tls.isResumed)
                _ = try client.get().get()
                client.close()
            }
            #expect(resumed == [false, true, true])
            let holdsSession = sessions.holdsSession
            #expect(holdsSession)
            #expect(server.waitForSessions(3).map(\.resumed) == [false, true, true])
            #expect(server.sessions.first?.protocolVersion == (version == .tls13 ? "TLSv1.3" : "TLSv1.2"))

            // Without a cache nothing is offered, so nothing resumes.
            let fresh = try TLSTestClient.connect(port: server.port, context: context, serverName: "localhost").get()
            #expect(!fresh.tls.isResumed)
            fresh.close()
        }
    }

    @Test("a response much larger than the read buffer arrives whole though the client polls only when OpenSSL holds nothing")
    func largeResponse() throws {
        try withServer({ _, options in options.responseBodyBytes = 300_000 }) { certificates, server in
            var client = try TLSTestClient.connect(port: server.port, context: trusting(certificates), serverName: "localhost").get()
            client.readBufferBytes = 1000
            defer { client.close() }
            for _ in 0..<2 {
                let response = try client.get().get()
                #expect(response.body.count == 300_000)
                #expect(response.body.last == UInt8(ascii: "a") + UInt8(299_999 % 26))
            }
        }
    }

    @Test("a gathered write sends three pieces as one request, resuming partial writes through small scratch space")
    func gatheredWrite() throws {
        try withServer { certificates, server in
            let client = try TLSTestClient.connect(port: server.port, context: trusting(certificates), serverName: "localhost").get()
            let body = Array(#"{"n":0000000042,"pad":"xyz"}"#.utf8)
            let request = Array("POST /v1/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            // The engine's split: the template up to a patched number, the number, the rest.
            let numberStart = request.count - body.count + 5
            let numberEnd = numberStart + 10
            let number = Array(request[numberStart..<numberEnd])
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 7, alignment: 1)
            defer { scratch.deallocate() }
            var offset = 0
            var writes = 0
            let deadline = Clock.monotonicNanoseconds() + 10_000_000_000
            while offset < request.count {
                let result = request.withUnsafeBytes { template in
                    number.withUnsafeBytes { digits in
                        let head = UnsafeRawBufferPointer(rebasing: template[min(offset, numberStart)..<numberStart])
                        let middle = UnsafeRawBufferPointer(rebasing: digits[min(max(offset - numberStart, 0), digits.count)...])
                        let tail = UnsafeRawBufferPointer(rebasing: template[max(offset, numberEnd)...])
                        return client.tls.write(head, middle, tail, through: scratch)
                    }
                }
                switch result {
                case .transferred(let count):
                    #expect(count <= scratch.count)
                    offset += count
                    writes += 1
                case .wantWrite:
                    #expect(waitUntilReady(client.fd.rawValue, POLLOUT, deadline: deadline))
                default:
                    Issue.record("gathered write: \(result)")
                    return
                }
            }
            #expect(writes == (request.count + 6) / 7)
            let response = try client.readResponse(deadline: deadline).get()
            #expect(response.head.hasPrefix("HTTP/1.1 200"))
            client.close()
            let session = try #require(server.waitForSessions(1).first)
            #expect(session.requests == 1)
            #expect(session.requestBytes == request.count)
        }
    }

    @Test("a write the socket cannot take reports wantWrite and completes once the peer reads")
    func blockedWrite() throws {
        try withServer({ _, options in options.readDelayMilliseconds = 300 }) { certificates, server in
            let client = try TLSTestClient.connect(port: server.port, context: trusting(certificates), serverName: "localhost",
                                                   sendBufferBytes: 16_384).get()
            let body = [UInt8](repeating: UInt8(ascii: "z"), count: 2_000_000)
            let request = Array("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            let deadline = Clock.monotonicNanoseconds() + 20_000_000_000
            let sawWantWrite = try client.writeAll(request, deadline: deadline).get()
            #expect(sawWantWrite)
            #expect(try client.readResponse(deadline: deadline).get().head.hasPrefix("HTTP/1.1 200"))
            client.close()
            #expect(server.waitForSessions(1).first?.requestBytes == request.count)
        }
    }

    @Test("an openssl s_server peer completes the handshake and answers a request")
    func opensslServer() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try ChildProcess(path: "/usr/bin/openssl", arguments: [
            "s_server", "-accept", "127.0.0.1:0", "-cert", certificates.serverCertificate, "-key", certificates.serverKey,
            "-www", "-naccept", "1", "-alpn", "http/1.1",
        ])
        defer { server.stop() }
        // s_server prints "ACCEPT 127.0.0.1:PORT" once it listens.
        var port: UInt16?
        while port == nil, let line = server.readLine(timeoutMilliseconds: 10_000) {
            if line.hasPrefix("ACCEPT"), let text = line.split(separator: ":").last { port = UInt16(text) }
        }
        let client = try TLSTestClient.connect(port: try #require(port), context: trusting(certificates), serverName: "localhost").get()
        defer { client.close() }
        #expect(client.tls.negotiatedProtocol == "http/1.1")
        // -www answers "GET /" with a status page and closes; read until the close.
        let deadline = Clock.monotonicNanoseconds() + 10_000_000_000
        _ = try client.writeAll(Array("GET / HTTP/1.0\r\n\r\n".utf8), deadline: deadline).get()
        var page: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        reading: while true {
            switch buffer.withUnsafeMutableBytes({ client.tls.read(into: $0) }) {
            case .transferred(let count): page += buffer[0..<count]
            case .wantRead: guard waitUntilReady(client.fd.rawValue, POLLIN, deadline: deadline) else { break reading }
            case .wantWrite: guard waitUntilReady(client.fd.rawValue, POLLOUT, deadline: deadline) else { break reading }
            case .closed: break reading
            case .failed(let failure): Issue.record("read: \(failure.reason)"); break reading
            }
        }
        let text = String(decoding: page, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.0 200 ok"), "\(text.prefix(200))")
        #expect(text.contains("TLSv1.3"))
    }
}
