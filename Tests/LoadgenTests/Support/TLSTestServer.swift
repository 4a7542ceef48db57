import Foundation
@testable import Loadgen

/// Lowers the calling thread to nice 19. A long CPU-bound test (thousands of handshakes on two
/// threads) would otherwise take both cores from the suite's timing tests running beside it in
/// this process; at nice 19 it runs in the time they leave. On Linux the nice value of
/// `setpriority(PRIO_PROCESS, 0, ...)` is the calling thread's, not the process's.
func yieldToOtherTests() {
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
}

/// A TLS server on 127.0.0.1 built on the library's own server-side sessions, on one thread,
/// serving one connection at a time: handshake, then HTTP/1.1 requests framed by
/// Content-Length, each answered with 200 and `responseBodyBytes` bytes, until the client
/// closes. Records what each connection negotiated. Stopped (and joined) by `stop()`.
final class TLSTestServer: @unchecked Sendable {
    struct Options {
        var certificate: String
        var key: String
        /// When set, clients must present a certificate signed by this CA (mTLS).
        var clientCertificateAuthorities: String?
        var maximumVersion: TLSProtocolVersion?
        var responseBodyBytes = 2
        /// Waits this long after the handshake before the first read (lets a client's writes block).
        var readDelayMilliseconds = 0
        /// Runs the server thread at the lowest priority (see `yieldToOtherTests`).
        var lowPriority = false
    }

    /// What one connection negotiated and sent.
    struct Session {
        /// Nil when the handshake completed; else OpenSSL's reason.
        var handshakeFailure: String?
        var requestedServerName: String?
        var resumed = false
        var clientPresentedCertificate = false
        var negotiatedProtocol: String?
        var protocolVersion = ""
        /// Plaintext bytes of requests received.
        var requestBytes = 0
        var requests = 0
    }

    let port: UInt16
    private let options: Options
    private let context: TLSServerContext
    private let listener: FileDescriptor
    private let lock = NSLock()
    private var stopped = false
    private var finished: [Session] = []
    private var thread: Loadgen.Thread?

    init(_ options: Options) throws {
        self.options = options
        context = try TLSServerContext(certificateFile: options.certificate, privateKeyFile: options.key,
                                       clientCertificateAuthorities: options.clientCertificateAuthorities,
                                       maximumVersion: options.maximumVersion)
        listener = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 128)
        // "127.0.0.1:PORT"
        port = UInt16(try Socket.localAddress(listener).description.split(separator: ":").last ?? "") ?? 0
        thread = try Loadgen.Thread { [self] in serve() }
    }

    /// Sessions of the connections that have ended, in order.
    var sessions: [Session] {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    /// Waits until `count` connections have ended (the server records a session at the end).
    func waitForSessions(_ count: Int, timeoutSeconds: Double = 10) -> [Session] {
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        while sessions.count < count, Clock.monotonicNanoseconds() < deadline { usleep(1000) }
        return sessions
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        if let thread { Loadgen.Thread.join(thread.handle) }
        thread = nil
        listener.close()
    }

    private func serve() {
        if options.lowPriority { yieldToOtherTests() }
        while !isStopped {
            guard waitUntilReady(listener.rawValue, POLLIN, deadline: Clock.monotonicNanoseconds() + 50_000_000),
                  let client = try? Socket.accept(listener) else { continue }
            let session = handle(client)
            client.close()
            lock.lock()
            finished.append(session)
            lock.unlock()
        }
    }

    private func handle(_ fd: FileDescriptor) -> Session {
        var session = Session()
        let deadline = Clock.monotonicNanoseconds() + 20_000_000_000
        guard let tls = try? TLSConnection(server: context, socket: fd) else {
            session.handshakeFailure = "setup failed"
            return session
        }
        defer { tls.close() }
        handshake: while true {
            switch tls.handshake() {
            case .done: break handshake
            case .wantRead: guard waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) else { session.handshakeFailure = "timeout"; return session }
            case .wantWrite: guard waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline) else { session.handshakeFailure = "timeout"; return session }
            case .failed(let failure):
                session.handshakeFailure = failure.reason
                return session
            }
        }
        session.requestedServerName = tls.requestedServerName
        session.resumed = tls.isResumed
        session.clientPresentedCertificate = tls.peerPresentedCertificate
        session.negotiatedProtocol = tls.negotiatedProtocol
        session.protocolVersion = tls.protocolVersion
        if options.readDelayMilliseconds > 0 { usleep(UInt32(options.readDelayMilliseconds) * 1000) }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let body = (0..<options.responseBodyBytes).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        while !isStopped {
            let result = buffer.withUnsafeMutableBytes { tls.read(into: $0) }
            switch result {
            case .transferred(let count):
                session.requestBytes += count
                received += buffer[0..<count]
                while let headEnd = HTTPTestFraming.headEnd(received) {
                    let length = HTTPTestFraming.contentLength(String(decoding: received[0..<headEnd], as: UTF8.self)) ?? 0
                    guard received.count >= headEnd + 4 + length else { break }
                    received.removeFirst(headEnd + 4 + length)
                    session.requests += 1
                    guard write(response, on: tls, fd, deadline: deadline) else { return session }
                }
                if !tls.hasBufferedInput, !waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) { return session }
            case .wantRead:
                if !waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) { return session }
            case .wantWrite:
                if !waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline) { return session }
            case .closed, .failed:
                return session
            }
        }
        return session
    }

    private func write(_ bytes: [UInt8], on tls: TLSConnection, _ fd: FileDescriptor, deadline: UInt64) -> Bool {
        var offset = 0
        while offset < bytes.count {
            switch bytes.withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count): offset += count
            case .wantWrite: if !waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline) { return false }
            case .wantRead: if !waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) { return false }
            case .closed, .failed: return false
            }
        }
        return true
    }
}
