import Foundation
import Glibc

/// A loopback server that answers every request with fixed bytes (or nothing), to drive the
/// client into each failure class, or with what a handler makes of each request. Runs on its own
/// thread until stopped.
final class ScriptedServer: @unchecked Sendable {
    enum Behaviour {
        /// Send these bytes after reading a request, then close if `close`.
        case reply(String, close: Bool)
        /// Accept and read, never answer.
        case silent
        /// Never accept: connections wait in the backlog.
        case neverAccept
        /// Answer each complete request (head and Content-Length body) with what `handler` returns
        /// for its text, keeping the connection open.
        case respond(@Sendable (String) -> String)
    }

    let port: UInt16
    private let listener: Int32
    private let behaviour: Behaviour
    private let stopFlag = NSLock()
    private var stopped = false
    private var requests: [String] = []

    /// Every chunk of bytes read from clients so far (one request each for small requests).
    var received: [String] {
        stopFlag.lock()
        defer { stopFlag.unlock() }
        return requests
    }
    private var thread: Foundation.Thread?

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        if case .neverAccept = behaviour { return }
        let thread = Foundation.Thread { [self] in serve() }
        self.thread = thread
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    private var isStopped: Bool {
        stopFlag.lock()
        defer { stopFlag.unlock() }
        return stopped
    }

    /// The length of the first complete request in `text` (head plus Content-Length body), or nil.
    static func completeRequestLength(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
        var length = 0
        if let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return bytes.count >= end + 4 + length ? end + 4 + length : nil
    }

    private func serve() {
        var clients: [Int32] = []
        var pending: [Int32: [UInt8]] = [:]
        while !isStopped {
            var poller = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for client in clients { poller.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0)) }
            guard poll(&poller, nfds_t(poller.count), 50) > 0 else { continue }
            if poller[0].revents != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 { clients.append(client) }
            }
            for entry in poller.dropFirst() where entry.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let n = read(entry.fd, &buffer, buffer.count)
                if n <= 0 {
                    close(entry.fd)
                    clients.removeAll { $0 == entry.fd }
                    pending[entry.fd] = nil
                    continue
                }
                if case .respond(let handler) = behaviour {
                    pending[entry.fd, default: []] += buffer[0..<n]
                    while let length = Self.completeRequestLength(pending[entry.fd]!) {
                        let request = String(decoding: pending[entry.fd]![0..<length], as: UTF8.self)
                        pending[entry.fd]!.removeFirst(length)
                        stopFlag.lock()
                        requests.append(request)
                        stopFlag.unlock()
                        let bytes = Array(handler(request).utf8)
                        var sent = 0
                        while sent < bytes.count {
                            let written = bytes[sent...].withUnsafeBytes { send(entry.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                            if written <= 0 { break }
                            sent += written
                        }
                    }
                    continue
                }
                stopFlag.lock()
                requests.append(String(decoding: buffer[0..<n], as: UTF8.self))
                stopFlag.unlock()
                if case .reply(let text, let shouldClose) = behaviour {
                    let bytes = Array(text.utf8)
                    _ = bytes.withUnsafeBytes { send(entry.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if shouldClose {
                        close(entry.fd)
                        clients.removeAll { $0 == entry.fd }
                    }
                }
            }
        }
        for client in clients { close(client) }
    }

    func stop() {
        stopFlag.lock()
        stopped = true
        stopFlag.unlock()
        if let thread {
            while !thread.isFinished { usleep(1000) }
        }
        close(listener)
    }

    /// A port nothing listens on: bound, then closed.
    static func closedPort() -> UInt16 {
        let server = try! ScriptedServer(.neverAccept)
        let port = server.port
        server.stop()
        return port
    }
}
