import CEpoll
import Glibc
import HTTPWire

/// One blocking HTTP/1.1 request with a deadline, for the few requests made outside a load level:
/// asking `/v1/models` for a model name, probing readiness. Never used on the hot path.
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
        /// SIGINT or SIGTERM arrived on the watcher while waiting.
        case interrupted(signal: Int32)

        package var description: String {
            switch self {
            case .connect(let host, let errno): "cannot connect to \(host): \(SystemError.message(for: errno))"
            case .timedOut(let url): "no complete answer from \(url) in time"
            case .malformed(let url, let error): "malformed answer from \(url): \(error)"
            case .closed(let url): "connection closed by \(url) before the answer completed"
            case .interrupted(let signal): LoadgenError.interrupted(signal: signal).description
            }
        }
    }

    /// GETs `path` on `target`'s host, giving up after `timeoutSeconds`; with `signals`, a
    /// SIGINT or SIGTERM ends the wait at once (a server that accepts and never answers would
    /// otherwise hold Ctrl-C for the whole timeout).
    package static func get(_ target: HTTPTarget, path: String, headers: [HTTPHeader] = [],
                           timeoutSeconds: Double = 10, signals: SignalWatcher? = nil) throws(FetchError) -> Response {
        let url = "http://\(target.hostHeader)\(path)"
        let deadline = Clock.monotonicNanoseconds() + Clock.nanoseconds(seconds: timeoutSeconds)
        let address: SocketAddress
        do { address = try SocketAddress(host: target.host, port: target.port) } catch {
            throw .connect(host: target.hostHeader, errno: CEpoll_EADDRNOTAVAIL)
        }
        let fd: FileDescriptor
        do { fd = try Socket.makeTCP(family: address.family) } catch { throw .connect(host: target.hostHeader, errno: error.errno) }
        defer { fd.close() }
        switch Socket.startConnect(fd, to: address) {
        case .connected: break
        case .failed(let errno): throw .connect(host: target.hostHeader, errno: errno)
        case .inProgress:
            try wait(fd, for: Int16(POLLOUT), until: deadline, signals: signals, url: url)
            let error = Socket.pendingError(fd)
            guard error == 0 else { throw .connect(host: target.hostHeader, errno: error) }
        }
        let request: [UInt8]
        do {
            request = try HTTPRequest(method: "GET", target: path, host: target.hostHeader, headers: headers,
                                      keepAlive: false).serialized()
        } catch { throw .malformed(url: url, error) }
        var sent = 0
        while sent < request.count {
            let outcome = request.withUnsafeBytes { fd.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch outcome {
            case .transferred(let count): sent += count
            case .wouldBlock:
                try wait(fd, for: Int16(POLLOUT), until: deadline, signals: signals, url: url)
            case .endOfFile, .failed: throw .closed(url: url)
            }
        }
        var parser = ResponseParser()
        var body: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            try wait(fd, for: Int16(POLLIN), until: deadline, signals: signals, url: url)
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

    /// Waits until `fd` is ready for `events`; throws at the deadline or on a signal.
    private static func wait(_ fd: FileDescriptor, for events: Int16, until deadline: UInt64,
                             signals: SignalWatcher?, url: String) throws(FetchError) {
        while true {
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { throw .timedOut(url: url) }
            let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, 1000))
            var entries = [pollfd(fd: fd.rawValue, events: events, revents: 0)]
            if let signals { entries.append(pollfd(fd: signals.descriptor.rawValue, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&entries, nfds_t(entries.count), milliseconds)
            guard ready > 0 else { continue }
            if let signals, entries[1].revents != 0, let signal = signals.wait(milliseconds: 0) {
                throw .interrupted(signal: signal)
            }
            if entries[0].revents != 0 { return }
        }
    }

    /// The first model id in an OpenAI `/v1/models` answer (`{"data":[{"id":"..."}]}`), or nil.
    package static func firstModelID(in body: [UInt8]) -> String? {
        guard let data = ByteSearch.firstIndex(of: Array("\"data\"".utf8), in: body),
              let key = ByteSearch.firstIndex(of: Array("\"id\"".utf8), in: body, from: data + 6) else { return nil }
        var index = key + 4
        while index < body.count, body[index] == 0x20 || body[index] == 0x3A || body[index] == 0x09 || body[index] == 0x0A {
            index += 1
        }
        guard index < body.count, body[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")), end > start else { return nil }
        return String(decoding: body[start..<end], as: UTF8.self)
    }
}
