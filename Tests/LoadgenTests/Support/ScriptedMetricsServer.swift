import Foundation
import Glibc

/// A loopback metrics endpoint whose every answer is scripted by request number: Prometheus
/// text, an error status, garbage, a close, a stall (read the request, never answer), a stall
/// halfway through the body. For proving the scraper goes on and records what was missing.
final class ScriptedMetricsServer: @unchecked Sendable {
    enum Answer: Sendable {
        /// 200 with this text as `text/plain; version=0.0.4`.
        case metrics(String)
        case status(Int)
        /// 200 with a body that is not the exposition format.
        case garbage(String)
        /// Close the connection without a byte.
        case close
        /// Never answer (the connection stays open until the server stops).
        case stall
        /// Send the head and half the body, then nothing.
        case stallMidBody(String)
    }

    let port: UInt16
    private let listener: Int32
    private let script: @Sendable (Int) -> Answer
    private let lock = NSLock()
    private var stopped = false
    private var served = 0
    private var thread: Foundation.Thread?

    /// Requests answered (or stalled on) so far.
    var requestCount: Int { lock.withLock { served } }

    var url: String { "http://127.0.0.1:\(port)/metrics" }

    init(_ script: @escaping @Sendable (Int) -> Answer) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Foundation.Thread { [self] in serve() }
        self.thread = thread
        thread.start()
    }

    /// Answers every request with `answer`.
    convenience init(always answer: Answer) throws { try self.init { _ in answer } }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func serve() {
        var clients: [Int32: [UInt8]] = [:]  // connection -> bytes of the request read so far
        var stalled: [Int32] = []
        while !isStopped {
            var poller = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for client in clients.keys { poller.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0)) }
            guard poll(&poller, nfds_t(poller.count), 10) > 0 else { continue }
            if poller[0].revents != 0 {
                let client = accept(listener, nil, nil)
                if client >= 0 { clients[client] = [] }
            }
            for entry in poller.dropFirst() where entry.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(entry.fd, &buffer, buffer.count)
                if n <= 0 {
                    close(entry.fd)
                    clients[entry.fd] = nil
                    continue
                }
                clients[entry.fd]! += buffer[0..<n]
                guard clients[entry.fd]!.count >= 4, clients[entry.fd]!.suffix(4).elementsEqual([13, 10, 13, 10]) else { continue }
                clients[entry.fd] = nil
                let number = lock.withLock { () -> Int in
                    served += 1
                    return served - 1
                }
                if respond(entry.fd, script(number)) { stalled.append(entry.fd) } else { close(entry.fd) }
            }
        }
        for client in clients.keys { close(client) }
        for client in stalled { close(client) }
    }

    /// Sends the answer; true if the connection is to be left open, stalled.
    private func respond(_ fd: Int32, _ answer: Answer) -> Bool {
        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        func response(_ status: String, _ body: String) -> String {
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        }
        switch answer {
        case .metrics(let text): send(response("200 OK", text))
        case .garbage(let text): send(response("200 OK", text))
        case .status(let code): send(response("\(code) Scripted", "scripted error \(code)\n"))
        case .close: break
        case .stall: return true
        case .stallMidBody(let text):
            let full = response("200 OK", text)
            send(String(full.prefix(full.count - text.count / 2)))
            return true
        }
        return false
    }

    func stop() {
        lock.withLock { stopped = true }
        if let thread { while !thread.isFinished { usleep(1000) } }
        close(listener)
    }
}
