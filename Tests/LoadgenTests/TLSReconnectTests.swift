import Foundation
import Testing
@testable import Loadgen

/// Many TLS connections in a row, client and server in this process: descriptors and memory
/// must come back to where they were. `LOADGEN_TLS_RECONNECTS` sets the count (2,000 by
/// default; bench/tls-reconnects.sh runs 10,000).
///
/// Descriptors and RSS are the process's, and the rest of the suite runs in parallel, opening
/// files and allocating; so in the suite the bounds leave room for that noise (still far below
/// one descriptor or one SSL per connection), and with `LOADGEN_TLS_ALONE=1` (the bench script,
/// which runs this test by itself) they are strict: no descriptor more, RSS within 4 MiB.
@Suite("TLS reconnects", .serialized)
struct TLSReconnectTests {
    static let environment = ProcessInfo.processInfo.environment
    static let reconnects = environment["LOADGEN_TLS_RECONNECTS"].flatMap(Int.init) ?? 2000
    static let alone = environment["LOADGEN_TLS_ALONE"] == "1"
    /// Under bench/sanitize.sh shadow memory moves RSS on its own: only descriptors are checked.
    static let sanitized = environment["LOADGEN_SANITIZER"] != nil

    @Test("reconnecting thousands of times, resumed or not, leaks no descriptor and no memory")
    func noGrowth() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let context = try TLSClientContext(TLSClientConfiguration(verification: .certificateAuthorities(file: certificates.caCertificate)))
        let sessions = SharedSessionCache(TLSSessionCache(openSSL: context.openSSL))

        // Every fourth connection makes a full handshake (no cache); the rest resume. Client and
        // server run at the lowest priority, each on a thread of its own, so that thousands of
        // handshakes do not disturb the timing tests of other suites running at the same time.
        let server = try TLSTestServer(TLSTestServer.Options(certificate: certificates.serverCertificate, key: certificates.serverKey, lowPriority: true))
        defer { server.stop() }
        let run = ReconnectRun()
        let client = try Loadgen.Thread { [server] in
            yieldToOtherTests()
            run.perform(port: server.port, context: context, sessions: sessions, warmup: 200, reconnects: Self.reconnects)
        }
        Loadgen.Thread.join(client.handle)
        let outcome = try run.outcome.get()
        let ended = server.waitForSessions(200 + Self.reconnects, timeoutSeconds: 30)
        #expect(ended.count == 200 + Self.reconnects)
        #expect(ended.allSatisfy { $0.handshakeFailure == nil && $0.requests == 1 })
        #expect(outcome.resumed == Self.reconnects - (Self.reconnects + 3) / 4)
        let descriptorsBefore = outcome.descriptorsBefore
        let rssBefore = outcome.rssBefore

        // In the suite the other tests' files come and go: give them a moment to close theirs
        // (a leak of ours would stay, one descriptor per connection: thousands).
        var descriptorsAfter = try #require(ProcessResources.openDescriptors)
        for _ in 0..<30 where !Self.alone && descriptorsAfter - descriptorsBefore >= 32 {
            _ = ProcessResources.sleep(milliseconds: 100)
            descriptorsAfter = try #require(ProcessResources.openDescriptors)
        }
        let rssAfter = try #require(ProcessResources.currentRSSKiB)
        // A leaked SSL (about 44 KiB with its buffers) per connection would add about 95 MiB over
        // the suite's 2,200 connections; a leaked session (about 1 KiB) 10 MiB over 10,000
        // reconnects, which the strict bound catches. The test server's own record of each
        // connection is about 100 bytes of it. In the suite, the other tests allocate at the same
        // time (25 MiB seen once), so the bound there only tells "no SSL leaked" apart.
        let growthKiB = rssAfter - rssBefore
        if Self.alone {
            #expect(descriptorsAfter == descriptorsBefore)
        } else {
            #expect(descriptorsAfter - descriptorsBefore < 32)
        }
        if !Self.sanitized {
            #expect(growthKiB < (Self.alone ? 4096 : 65_536), "RSS grew \(growthKiB) KiB over \(Self.reconnects) reconnects")
        }
        print("tls reconnects: \(Self.reconnects), resumed \(outcome.resumed), descriptors \(descriptorsBefore) -> \(descriptorsAfter), RSS \(rssBefore) -> \(rssAfter) KiB")
    }
}

/// The cache handed to the client thread (only that thread touches it while it runs).
private final class SharedSessionCache: @unchecked Sendable {
    let cache: TLSSessionCache
    init(_ cache: consuming TLSSessionCache) { self.cache = cache }
}

/// The client side of the reconnect test, run on its own thread; the test reads `outcome` after
/// joining it.
private final class ReconnectRun: @unchecked Sendable {
    struct Outcome {
        var resumed = 0
        var descriptorsBefore = 0
        var rssBefore = 0
    }

    var outcome: Result<Outcome, TLSTestFailure> = .failure(.failed("not run"))

    func perform(port: UInt16, context: TLSClientContext, sessions: SharedSessionCache, warmup: Int, reconnects: Int) {
        outcome = Result { () throws(TLSTestFailure) -> Outcome in
            // Warm up: OpenSSL's lazily built tables, malloc's arenas, the server's first sessions.
            for index in 0..<warmup { _ = try connectAndRequest(index, port: port, context: context, sessions: sessions) }
            usleep(100_000)
            var outcome = Outcome()
            outcome.descriptorsBefore = ProcessResources.openDescriptors ?? -1
            outcome.rssBefore = ProcessResources.currentRSSKiB ?? -1
            for index in 0..<reconnects where try connectAndRequest(index, port: port, context: context, sessions: sessions) {
                outcome.resumed += 1
            }
            return outcome
        }
    }

    /// One connection, one request; whether its handshake resumed.
    private func connectAndRequest(_ index: Int, port: UInt16, context: TLSClientContext, sessions: SharedSessionCache) throws(TLSTestFailure) -> Bool {
        let client = try (index % 4 == 0
            ? TLSTestClient.connect(port: port, context: context, serverName: "localhost")
            : TLSTestClient.connect(port: port, context: context, serverName: "localhost", sessions: sessions.cache)).get()
        defer { client.close() }
        _ = try client.get().get()
        return client.tls.isResumed
    }
}
