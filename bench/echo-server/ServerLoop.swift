import CEpoll
import Glibc
import Loadgen
import Synchronization

/// One echo-server thread: an epoll instance watching the shared listener and its own connections.
///
/// Per request: one read, a parse, one write. Requests that arrive pipelined in one read are
/// answered in order with one write.
struct ServerLoop: ~Copyable {
    private let epoll: Epoll
    private let listener: FileDescriptor
    private let options: ServerOptions
    private let stop: StopFlag
    private var connections: [ServerConnection?] = []
    private var responder: OpenAIResponder
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// epoll data value that marks the listener.
    private static let listenerToken = UInt64.max

    init(listener: FileDescriptor, options: ServerOptions, stop: StopFlag) throws(SystemError) {
        let epoll = try Epoll(capacity: 1024)
        // EPOLLEXCLUSIVE would avoid waking every thread per connection; level-triggered accept
        // races are harmless (the losers get EAGAIN) and connections are long-lived.
        try epoll.add(listener.rawValue, events: Epoll.readable, data: Self.listenerToken)
        self.epoll = epoll
        self.listener = listener
        self.options = options
        self.stop = stop
        responder = OpenAIResponder(modelName: options.modelName)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    }

    deinit {
        for connection in connections {
            if let connection { connection.fd.close() }
        }
        readBuffer.deallocate()
    }

    mutating func run() {
        while !stop.isSet {
            let ready: Int
            do { ready = try epoll.wait(timeoutMilliseconds: 100) } catch { return }
            for event in 0..<ready {
                let token = epoll.data(at: event)
                if token == Self.listenerToken {
                    acceptAll()
                } else {
                    handle(fd: Int(token), flags: epoll.flags(at: event))
                }
            }
        }
    }

    private mutating func acceptAll() {
        while true {
            let accepted: FileDescriptor?
            do { accepted = try Socket.accept(listener) } catch {
                // EMFILE and friends: the pending connection stays queued; try again next wakeup.
                return
            }
            guard let fd = accepted else { return }
            _ = CEpoll_set_nodelay(fd.rawValue)
            let slot = Int(fd.rawValue)
            if slot >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: slot - connections.count + 1024))
            }
            connections[slot] = ServerConnection(fd: fd)
            do {
                try epoll.add(fd.rawValue, events: Epoll.readable, data: UInt64(slot))
            } catch {
                close(slot)
            }
        }
    }

    private mutating func handle(fd slot: Int, flags: UInt32) {
        guard slot < connections.count, let connection = connections[slot] else { return }
        if flags & Epoll.writable != 0 {
            flush(connection, slot: slot)
            if connections[slot] == nil { return }
        }
        if flags & (Epoll.readable | Epoll.hangup | Epoll.error) != 0 {
            readRequests(connection, slot: slot)
        }
    }

    private mutating func readRequests(_ connection: ServerConnection, slot: Int) {
        switch connection.fd.read(into: readBuffer) {
        case .transferred(let count):
            if connection.input.count == connection.inputStart {
                // Fast path: nothing buffered, parse straight from the read buffer.
                let consumed = answer(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]), connection)
                if consumed < count, !connection.closeAfterWrite {
                    connection.input.removeAll(keepingCapacity: true)
                    connection.inputStart = 0
                    connection.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[consumed..<count]))
                }
            } else {
                connection.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                let consumed = connection.input.withUnsafeBytes { bytes in
                    answer(UnsafeRawBufferPointer(rebasing: bytes[connection.inputStart...]), connection)
                }
                connection.inputStart += consumed
                if connection.inputStart == connection.input.count {
                    connection.input.removeAll(keepingCapacity: connection.input.capacity <= 65_536)
                    connection.inputStart = 0
                }
            }
            flush(connection, slot: slot)
        case .wouldBlock:
            return
        case .endOfFile, .failed:
            close(slot)
        }
    }

    /// Answers every complete request at the start of `bytes`; returns the bytes consumed.
    private mutating func answer(_ bytes: UnsafeRawBufferPointer, _ connection: ServerConnection) -> Int {
        var consumed = 0
        while consumed < bytes.count, !connection.closeAfterWrite {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            let head: RequestHead?
            do {
                head = try parseRequestHead(rest, maxHeaderBytes: options.maxHeaderBytes,
                                            maxHeaderCount: options.maxHeaderCount, maxBodyBytes: options.maxBodyBytes)
            } catch {
                OpenAIResponder.appendError(error, into: &connection.output)
                connection.closeAfterWrite = true
                return bytes.count
            }
            guard let head, rest.count >= head.headerBytes + head.contentLength else { break }
            let body = UnsafeRawBufferPointer(rebasing: rest[head.headerBytes..<(head.headerBytes + head.contentLength)])
            responder.respond(to: head, body: body, into: &connection.output)
            if !head.keepAlive { connection.closeAfterWrite = true }
            consumed += head.headerBytes + head.contentLength
        }
        return consumed
    }

    private mutating func flush(_ connection: ServerConnection, slot: Int) {
        while connection.outputSent < connection.output.count {
            let outcome = connection.output.withUnsafeBytes { bytes in
                connection.fd.send(UnsafeRawBufferPointer(rebasing: bytes[connection.outputSent...]))
            }
            switch outcome {
            case .transferred(let count):
                connection.outputSent += count
            case .wouldBlock:
                if !connection.watchingWritable {
                    connection.watchingWritable = true
                    try? epoll.modify(connection.fd.rawValue, events: Epoll.readable | Epoll.writable, data: UInt64(slot))
                }
                return
            case .endOfFile, .failed:
                close(slot)
                return
            }
        }
        connection.output.removeAll(keepingCapacity: connection.output.capacity <= 65_536)
        connection.outputSent = 0
        if connection.watchingWritable {
            connection.watchingWritable = false
            try? epoll.modify(connection.fd.rawValue, events: Epoll.readable, data: UInt64(slot))
        }
        if connection.closeAfterWrite { close(slot) }
    }

    private mutating func close(_ slot: Int) {
        guard let connection = connections[slot] else { return }
        connection.fd.close()
        connections[slot] = nil
    }
}

/// Set once by the main thread on SIGINT/SIGTERM; every loop checks it at least every 100 ms.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
