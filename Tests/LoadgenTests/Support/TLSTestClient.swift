import Foundation
@testable import Loadgen

/// Waits with poll(2) until `fd` is ready for `events` (POLLIN/POLLOUT), or the deadline passes.
func waitUntilReady(_ fd: Int32, _ events: Int32, deadline: UInt64) -> Bool {
    while true {
        let now = Clock.monotonicNanoseconds()
        guard now < deadline else { return false }
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, 1000))
        if poll(&entry, 1, milliseconds) > 0 { return true }
    }
}

/// Why a test client's TLS exchange did not succeed: the layer's reason, or a timeout (a hang).
struct TLSTestFailure: Error, CustomStringConvertible {
    let reason: String
    let timedOut: Bool
    var description: String { timedOut ? "timed out: \(reason)" : reason }

    static func timeout(_ what: String) -> TLSTestFailure { TLSTestFailure(reason: what, timedOut: true) }
    static func failed(_ reason: String) -> TLSTestFailure { TLSTestFailure(reason: reason, timedOut: false) }
}

/// A client that drives the non-blocking TLS layer the way an event loop will: each call once,
/// then poll for the readiness it asked for; after a read it polls only when OpenSSL holds no
/// input (`hasBufferedInput`), so a layer that hid bytes from the poller would hang the test.
struct TLSTestClient {
    let fd: FileDescriptor
    let tls: TLSConnection
    /// Bytes per read: small values make responses span many reads.
    var readBufferBytes = 16_384

    struct Response {
        var head: String
        var body: [UInt8]
    }

    /// Connects to 127.0.0.1:`port` and completes the handshake, without resumption.
    static func connect(port: UInt16, context: TLSClientContext, serverName: String,
                        sendBufferBytes: Int32? = nil, timeoutSeconds: Double = 10) -> Result<TLSTestClient, TLSTestFailure> {
        connect(port: port, sendBufferBytes: sendBufferBytes, timeoutSeconds: timeoutSeconds) { fd throws(TLSError) in
            try TLSConnection(client: context, socket: fd, serverName: TLSServerName(host: serverName))
        }
    }

    /// Connects and completes the handshake, offering and keeping sessions in `sessions`.
    static func connect(port: UInt16, context: TLSClientContext, serverName: String, sessions: borrowing TLSSessionCache,
                        timeoutSeconds: Double = 10) -> Result<TLSTestClient, TLSTestFailure> {
        connect(port: port, sendBufferBytes: nil, timeoutSeconds: timeoutSeconds) { fd throws(TLSError) in
            try TLSConnection(client: context, socket: fd, serverName: TLSServerName(host: serverName), sessions: sessions)
        }
    }

    private static func connect(port: UInt16, sendBufferBytes: Int32?, timeoutSeconds: Double,
                                makeTLS: (FileDescriptor) throws(TLSError) -> TLSConnection) -> Result<TLSTestClient, TLSTestFailure> {
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        let fd: FileDescriptor
        do {
            fd = try Socket.makeTCP(family: AF_INET)
        } catch {
            return .failure(.failed("socket: \(error)"))
        }
        if var size = sendBufferBytes {
            setsockopt(fd.rawValue, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let address = try! SocketAddress(host: "127.0.0.1", port: port)
        if case .failed(let errno) = Socket.startConnect(fd, to: address) {
            fd.close()
            return .failure(.failed("connect: errno \(errno)"))
        }
        guard waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline), Socket.pendingError(fd) == 0 else {
            fd.close()
            return .failure(.failed("TCP connect failed"))
        }
        let tls: TLSConnection
        do {
            tls = try makeTLS(fd)
        } catch {
            fd.close()
            return .failure(.failed(error.description))
        }
        while true {
            let step = tls.handshake()
            let ready: Bool
            switch step {
            case .done:
                return .success(TLSTestClient(fd: fd, tls: tls))
            case .wantRead:
                ready = waitUntilReady(fd.rawValue, POLLIN, deadline: deadline)
            case .wantWrite:
                ready = waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline)
            case .failed(let failure):
                tls.close()
                fd.close()
                return .failure(.failed(failure.reason))
            }
            if !ready {
                tls.close()
                fd.close()
                return .failure(.timeout("handshake"))
            }
        }
    }

    /// Writes all of `bytes`; true if `wantWrite` was seen on the way.
    func writeAll(_ bytes: [UInt8], deadline: UInt64) -> Result<Bool, TLSTestFailure> {
        var offset = 0
        var sawWantWrite = false
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .transferred(let count):
                offset += count
            case .wantWrite:
                sawWantWrite = true
                guard waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline) else { return .failure(.timeout("write")) }
            case .wantRead:
                guard waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) else { return .failure(.timeout("write")) }
            case .closed:
                return .failure(.failed("closed while writing"))
            case .failed(let failure):
                return .failure(.failed(failure.reason))
            }
        }
        return .success(sawWantWrite)
    }

    /// Reads one response framed by Content-Length.
    func readResponse(deadline: UInt64) -> Result<Response, TLSTestFailure> {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: readBufferBytes)
        while true {
            if let response = Self.complete(received) { return .success(response) }
            let result = buffer.withUnsafeMutableBytes { tls.read(into: $0) }
            switch result {
            case .transferred(let count):
                received += buffer[0..<count]
                if Self.complete(received) == nil, !tls.hasBufferedInput {
                    guard waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) else { return .failure(.timeout("read after \(received.count) bytes")) }
                }
            case .wantRead:
                guard waitUntilReady(fd.rawValue, POLLIN, deadline: deadline) else { return .failure(.timeout("read after \(received.count) bytes")) }
            case .wantWrite:
                guard waitUntilReady(fd.rawValue, POLLOUT, deadline: deadline) else { return .failure(.timeout("read")) }
            case .closed:
                return .failure(.failed("closed after \(received.count) bytes"))
            case .failed(let failure):
                return .failure(.failed(failure.reason))
            }
        }
    }

    /// Sends a GET and reads the response.
    func get(_ path: String = "/", timeoutSeconds: Double = 10) -> Result<Response, TLSTestFailure> {
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        if case .failure(let failure) = writeAll(request, deadline: deadline) { return .failure(failure) }
        return readResponse(deadline: deadline)
    }

    func close() {
        tls.close()
        fd.close()
    }

    /// The response in `bytes` once its head and Content-Length body are all there.
    static func complete(_ bytes: [UInt8]) -> Response? {
        guard let headEnd = HTTPTestFraming.headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        let length = HTTPTestFraming.contentLength(head) ?? 0
        guard bytes.count >= headEnd + 4 + length else { return nil }
        return Response(head: head, body: Array(bytes[(headEnd + 4)..<(headEnd + 4 + length)]))
    }
}

/// Just enough HTTP/1.1 framing for the TLS tests' peers.
enum HTTPTestFraming {
    /// The index of the blank line's "\r\n\r\n", if the head is complete.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func contentLength(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
