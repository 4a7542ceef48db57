import CEpoll
import Glibc
import HTTPWire

/// One blocking HTTP/1.1 request with a deadline, for the few requests made outside a load level:
/// asking `/v1/models` for a model name, probing readiness, `/tokenize` for exact prompts. Never
/// used on the hot path.
package enum HTTPFetch {
    package struct Response: Sendable {
        package var status: Int
        package var body: [UInt8]
    }

    package enum FetchError: Error, Equatable, Sendable, CustomStringConvertible {
        case connect(host: String, errno: Int32)
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
            case .timedOut(let url): "no complete answer from \(url) in time"
            case .malformed(let url, let error): "malformed answer from \(url): \(error)"
            case .closed(let url): "connection closed by \(url) before the answer completed"
            case .cancelled(let url): "request to \(url) cancelled"
            case .tooLarge(let url, let limit): "answer from \(url) larger than \(limit) bytes"
            case .interrupted(let signal): LoadgenError.interrupted(signal: signal).description
            }
        }
    }

    /// GETs `path` on `target`'s host, giving up after `timeoutSeconds`, or at once when
    /// `cancelWhenReadable` (an eventfd) becomes readable, or when the body passes `maximumBodyBytes`;
    /// with `signals`, a SIGINT or SIGTERM ends the wait at once (a server that accepts and never
    /// answers would otherwise hold Ctrl-C for the whole timeout).
    package static func get(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [],
                           timeoutSeconds: Double = 10, cancelWhenReadable: FileDescriptor? = nil,
                           signals: SignalWatcher? = nil,
                           maximumBodyBytes: Int = .max) throws(FetchError) -> Response {
        try fetch(target, method: "GET", path: path, headers: headers, body: [], timeoutSeconds: timeoutSeconds,
                  cancelWhenReadable: cancelWhenReadable, signals: signals, maximumBodyBytes: maximumBodyBytes)
    }

    /// POSTs `body` (JSON) to `path`, as `get` does otherwise (the server's `/tokenize`).
    package static func post(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [], json body: [UInt8],
                            timeoutSeconds: Double = 30, signals: SignalWatcher? = nil,
                            maximumBodyBytes: Int = 64 << 20) throws(FetchError) -> Response {
        var all = headers
        if !all.contains(where: { $0.name.lowercased() == "content-type" }) { all.append(HTTPHeader("Content-Type", "application/json")) }
        return try fetch(target, method: "POST", path: path, headers: all, body: body, timeoutSeconds: timeoutSeconds,
                         cancelWhenReadable: nil, signals: signals, maximumBodyBytes: maximumBodyBytes)
    }

    private static func fetch(_ target: HTTPTarget, method: String, path: String, headers: [HTTPHeader], body requestBody: [UInt8],
                              timeoutSeconds: Double, cancelWhenReadable: FileDescriptor?, signals: SignalWatcher?,
                              maximumBodyBytes: Int) throws(FetchError) -> Response {
        let url = "http://\(target.hostHeader)\(path)"
        let deadline = Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: timeoutSeconds)
        let address: SocketAddress
        do { address = try SocketAddress(host: target.host, port: target.port) } catch {
            throw .connect(host: target.hostHeader, errno: EADDRNOTAVAIL)
        }
        let fd: FileDescriptor
        do { fd = try Socket.makeTCP(family: address.family) } catch { throw .connect(host: target.hostHeader, errno: error.errno) }
        defer { fd.close() }
        switch Socket.startConnect(fd, to: address) {
        case .connected: break
        case .failed(let errno): throw .connect(host: target.hostHeader, errno: errno)
        case .inProgress:
            try wait(fd, for: Int16(POLLOUT), until: deadline, cancel: cancelWhenReadable, signals: signals, url: url)
            let error = Socket.pendingError(fd)
            guard error == 0 else { throw .connect(host: target.hostHeader, errno: error) }
        }
        let request: [UInt8]
        do {
            request = try HTTPRequest(method: method, target: path, host: target.hostHeader, headers: headers,
                                      body: requestBody, keepAlive: false).serialized()
        } catch { throw .malformed(url: url, error) }
        var sent = 0
        while sent < request.count {
            let outcome = request.withUnsafeBytes { fd.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch outcome {
            case .transferred(let count): sent += count
            case .wouldBlock:
                try wait(fd, for: Int16(POLLOUT), until: deadline, cancel: cancelWhenReadable, signals: signals, url: url)
            case .endOfFile, .failed: throw .closed(url: url)
            }
        }
        var parser = ResponseParser()
        var body: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline, cancel: cancelWhenReadable, signals: signals, url: url)
            let outcome = buffer.withUnsafeMutableBytes { fd.read(into: $0) }
            switch outcome {
            case .transferred(let count):
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
            case .wouldBlock:
                continue
            case .endOfFile, .failed:
                do {
                    if try parser.inputEnded() { return Response(status: parser.statusCode, body: body) }
                } catch {}
                throw .closed(url: url)
            }
        }
    }

    /// Waits until `fd` is ready for `events`; throws when the deadline passes, `cancel` is
    /// readable or a signal arrives on `signals`.
    private static func wait(_ fd: FileDescriptor, for events: Int16, until deadline: UInt64,
                             cancel: FileDescriptor?, signals: SignalWatcher?, url: String) throws(FetchError) {
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
