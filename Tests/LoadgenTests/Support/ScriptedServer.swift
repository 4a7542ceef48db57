import Foundation
import Glibc

/// A loopback server that answers every request with fixed bytes (or nothing), to drive the
/// client into each failure class. Runs on its own thread until stopped.
final class ScriptedServer: @unchecked Sendable {
    enum Behaviour {
        /// Send these bytes after reading a request, then close if `close`.
        case reply(String, close: Bool)
        /// Accept and read, never answer.
        case silent
        /// Never accept: connections wait in the backlog.
        case neverAccept
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

    private func serve() {
        var clients: [Int32] = []
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
