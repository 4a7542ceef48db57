import CEpoll
import Glibc
import HTTPWire

/// One blocking HTTP/1.1 request with a deadline, for the few requests made outside a load level:
/// asking `/v1/models` for a model name, probing readiness, scraping metrics, `/tokenize` for
/// exact prompts. Never used on the hot path. Over https the same exchange runs through a TLS
/// session (`FetchTransport`), each step polled for the readiness OpenSSL asks for.
package enum HTTPFetch {
    package struct Response: Sendable {
        package var status: Int
        package var body: [UInt8]
    }

    package enum FetchError: Error, Equatable, Sendable, CustomStringConvertible {
        case connect(host: String, errno: Int32)
        /// https: the TLS context could not be set up (OpenSSL missing, a bad --cacert), or the
        /// handshake or a record failed; `reason` is OpenSSL's (or the setup error's) one line.
        case tls(host: String, reason: String)
        case timedOut(url: String)
        case malformed(url: String, WireError)
        case closed(url: String)
        /// `cancelWhenReadable` became readable (the caller is stopping).
        case cancelled(url: String)
        /// The body grew past `maximumBodyBytes`.
        case tooLarge(url: String, limit: Int)
        /// SIGINT or SIGTERM arrived on the watcher while waiting.
        case interrupted(signal: Int32)

        package var description: String {
            switch self {
            case .connect(let host, let errno): "cannot connect to \(host): \(SystemError.message(for: errno))"
            case .tls(let host, let reason): "TLS with \(host) failed: \(reason)"
            case .timedOut(let url): "no complete answer from \(url) in time"
            case .malformed(let url, let error): "malformed answer from \(url): \(error)"
            case .closed(let url): "connection closed by \(url) before the answer completed"
            case .cancelled(let url): "request to \(url) cancelled"
            case .tooLarge(let url, let limit): "answer from \(url) larger than \(limit) bytes"
            case .interrupted(let signal): LoadgenError.interrupted(signal: signal).description
            }
        }
    }

    /// The TLS context for fetches from `target` with `configuration`: nil for http://, so a
    /// plain-HTTP caller never loads OpenSSL. Made once by callers that fetch repeatedly.
    static func tlsContext(for target: HTTPTarget, _ configuration: TLSClientConfiguration) throws(FetchError) -> TLSClientContext? {
        guard target.scheme == .https else { return nil }
        do { return try TLSClientContext(configuration) } catch {
            throw .tls(host: target.hostHeader, reason: error.description)
        }
    }

    /// GETs `path` on `target`'s host, giving up after `timeoutSeconds`, or at once when
    /// `cancelWhenReadable` (an eventfd) becomes readable, or when the body passes `maximumBodyBytes`;
    /// with `signals`, a SIGINT or SIGTERM ends the wait at once (a server that accepts and never
    /// answers would otherwise hold Ctrl-C for the whole timeout). An https target uses `tls`
    /// (nil: a context with the default configuration, the system's CAs, made for this fetch).
    /// `get` for one fetch over https with `configuration` (made into a context for it; nothing
    /// is loaded for http://): the command line's model lookup.
    package static func get(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [],
                            timeoutSeconds: Double = 10, signals: SignalWatcher? = nil,
                            tls configuration: TLSClientConfiguration) throws(FetchError) -> Response {
        try get(target, path: path, headers: headers, timeoutSeconds: timeoutSeconds, signals: signals,
                tls: try tlsContext(for: target, configuration))
    }

    static func get(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [],
                    timeoutSeconds: Double = 10, cancelWhenReadable: FileDescriptor? = nil,
                    signals: SignalWatcher? = nil,
                    maximumBodyBytes: Int = .max, tls: TLSClientContext? = nil) throws(FetchError) -> Response {
        try fetch(target, method: "GET", path: path, headers: headers, body: [], timeoutSeconds: timeoutSeconds,
                  cancelWhenReadable: cancelWhenReadable, signals: signals, maximumBodyBytes: maximumBodyBytes, tls: tls)
    }

    /// POSTs `body` (JSON) to `path`, as `get` does otherwise (the server's `/tokenize`).
    static func post(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [], json body: [UInt8],
                             timeoutSeconds: Double = 30, signals: SignalWatcher? = nil,
                             maximumBodyBytes: Int = 64 << 20, tls: TLSClientContext? = nil) throws(FetchError) -> Response {
        var all = headers
        if !all.contains(where: { $0.name.lowercased() == "content-type" }) { all.append(HTTPHeader("Content-Type", "application/json")) }
        return try fetch(target, method: "POST", path: path, headers: all, body: body, timeoutSeconds: timeoutSeconds,
                         cancelWhenReadable: nil, signals: signals, maximumBodyBytes: maximumBodyBytes, tls: tls)
    }

    private static func fetch(_ target: HTTPTarget, method: String, path: String, headers: [HTTPHeader], body requestBody: [UInt8],
                              timeoutSeconds: Double, cancelWhenReadable: FileDescriptor?, signals: SignalWatcher?,
                              maximumBodyBytes: Int, tls: TLSClientContext?) throws(FetchError) -> Response {
        let url = target.url(path: path)
        let waiter = FetchWaiter(deadline: Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: timeoutSeconds),
                                 cancel: cancelWhenReadable, signals: signals, url: url)
        let address: SocketAddress
        do { address = try SocketAddress(host: target.host, port: target.port) } catch {
            throw .connect(host: target.hostHeader, errno: EADDRNOTAVAIL)
        }
        var context = tls
        if context == nil { context = try tlsContext(for: target, TLSClientConfiguration()) }
        let fd: FileDescriptor
        do { fd = try Socket.makeTCP(family: address.family) } catch { throw .connect(host: target.hostHeader, errno: error.errno) }
        defer { fd.close() }
        switch Socket.startConnect(fd, to: address) {
        case .connected: break
        case .failed(let errno): throw .connect(host: target.hostHeader, errno: errno)
        case .inProgress:
            try waiter.wait(fd, for: Int16(POLLOUT))
            let error = Socket.pendingError(fd)
            guard error == 0 else { throw .connect(host: target.hostHeader, errno: error) }
        }
        var transport = FetchTransport(fd: fd)
        defer { transport.close() }
        if let context {
            try transport.startTLS(context, serverName: TLSServerName(host: target.host), host: target.hostHeader, waiter: waiter)
        }
        let request: [UInt8]
        do {
            request = try HTTPRequest(method: method, target: path, host: target.hostHeader, headers: headers,
                                      body: requestBody, keepAlive: false).serialized()
        } catch { throw .malformed(url: url, error) }
        var sent = 0
        while sent < request.count {
            let step = request.withUnsafeBytes { transport.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch step {
            case .transferred(let count): sent += count
            case .wait(let events): try waiter.wait(fd, for: events)
            case .closed: throw .closed(url: url)
            case .failed(let reason): throw .tls(host: target.hostHeader, reason: reason)
            }
        }
        var parser = ResponseParser()
        var body: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var waitFor = Int16(POLLIN)
        while true {
            // Bytes OpenSSL already holds never make the socket readable again: read them first.
            if !transport.hasBufferedInput { try waiter.wait(fd, for: waitFor) }
            let step = buffer.withUnsafeMutableBytes { transport.read(into: $0) }
            switch step {
            case .transferred(let count):
                waitFor = Int16(POLLIN)
                var complete = false
                var failure: WireError?
                buffer.withUnsafeBytes { raw in
                    let input = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    var offset = 0
                    parsing: while true {
                        do {
                            switch try parser.parse(input, offset: &offset) {
                            case .needMoreInput: break parsing
                            case .headComplete: continue
                            case .body(let range): body.append(contentsOf: input[range])
                            case .messageComplete:
                                complete = true
                                break parsing
                            }
                        } catch {
                            failure = error as? WireError ?? .invalidStatusLine
                            break parsing
                        }
                    }
                }
                if let failure { throw .malformed(url: url, failure) }
                if body.count > maximumBodyBytes { throw .tooLarge(url: url, limit: maximumBodyBytes) }
                if complete { return Response(status: parser.statusCode, body: body) }
            case .wait(let events):
                waitFor = events
            case .closed:
                do {
                    if try parser.inputEnded() { return Response(status: parser.statusCode, body: body) }
                } catch {}
                throw .closed(url: url)
            case .failed(let reason):
                throw .tls(host: target.hostHeader, reason: reason)
            }
        }
    }
}

/// The deadline and stop sources of one fetch, and the poll that honours them.
private struct FetchWaiter {
    let deadline: UInt64
    let cancel: FileDescriptor?
    let signals: SignalWatcher?
    let url: String

    /// Waits until `fd` is ready for `events`; throws when the deadline passes, `cancel` is
    /// readable or a signal arrives on `signals`.
    func wait(_ fd: FileDescriptor, for events: Int16) throws(HTTPFetch.FetchError) {
        while true {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { throw .timedOut(url: url) }
            var entries = [pollfd(fd: fd.rawValue, events: events, revents: 0),
                           pollfd(fd: cancel?.rawValue ?? -1, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: signals?.descriptor.rawValue ?? -1, events: Int16(POLLIN), revents: 0)]
            let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, 1000))
            // A negative descriptor is ignored by poll(2), so absent stop sources cost nothing.
            guard poll(&entries, 3, milliseconds) > 0 else { continue }
            if entries[1].revents != 0 { throw .cancelled(url: url) }
            if let signals, entries[2].revents != 0, let signal = signals.wait(milliseconds: 0) {
                throw .interrupted(signal: signal)
            }
            if entries[0].revents != 0 { return }
        }
    }
}

/// One fetch's byte stream: the socket itself, or a TLS session over it.
private struct FetchTransport {
    enum Step {
        case transferred(Int)
        /// Poll for these events (POLLIN or POLLOUT), then call again.
        case wait(Int16)
        case closed
        /// A TLS failure, as OpenSSL's reason.
        case failed(String)
    }

    let fd: FileDescriptor
    private var tls: TLSConnection?

    init(fd: FileDescriptor) { self.fd = fd }

    /// Runs the handshake to its end, polling for what it asks.
    mutating func startTLS(_ context: TLSClientContext, serverName: TLSServerName, host: String, waiter: FetchWaiter) throws(HTTPFetch.FetchError) {
        let session: TLSConnection
        do { session = try TLSConnection(client: context, socket: fd, serverName: serverName) } catch {
            throw .tls(host: host, reason: error.description)
        }
        tls = session
        while true {
            switch session.handshake() {
            case .done: return
            case .wantRead: try waiter.wait(fd, for: Int16(POLLIN))
            case .wantWrite: try waiter.wait(fd, for: Int16(POLLOUT))
            case .failed(let failure): throw .tls(host: host, reason: failure.reason)
            }
        }
    }

    var hasBufferedInput: Bool { tls?.hasBufferedInput ?? false }

    func send(_ bytes: UnsafeRawBufferPointer) -> Step {
        if let tls { return Self.step(tls.write(bytes)) }
        switch fd.send(bytes) {
        case .transferred(let count): return .transferred(count)
        case .wouldBlock: return .wait(Int16(POLLOUT))
        case .endOfFile, .failed: return .closed
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Step {
        if let tls { return Self.step(tls.read(into: buffer)) }
        switch fd.read(into: buffer) {
        case .transferred(let count): return .transferred(count)
        case .wouldBlock: return .wait(Int16(POLLIN))
        case .endOfFile, .failed: return .closed
        }
    }

    private static func step(_ result: TLSIOResult) -> Step {
        switch result {
        case .transferred(let count): .transferred(count)
        case .wantRead: .wait(Int16(POLLIN))
        case .wantWrite: .wait(Int16(POLLOUT))
        case .closed: .closed
        case .failed(let failure): .failed(failure.reason)
        }
    }

    /// Ends the TLS session (the caller closes the socket after).
    mutating func close() {
        tls?.close()
        tls = nil
    }
}
