import Loadgen
import Synchronization

/// One echo-server thread: an epoll instance watching the shared listener and its own connections.
///
/// Per request: one read, a parse, one write. Requests that arrive pipelined in one read are
/// answered in order with one write. With `--tls-cert` each connection is a server-side TLS
/// session: the handshake runs on the connection's events, and the same read and write go
/// through the session (OpenSSL's wants turning write interest on and off).
struct ServerLoop: ~Copyable {
    private let epoll: Epoll
    private let listener: FileDescriptor
    private let options: ServerOptions
    private let stop: StopFlag
    private var connections: [ServerConnection?] = []
    private var responder: OpenAIResponder
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// epoll data values that mark the listener and the stream timer.
    private static let listenerToken = UInt64.max
    private static let timerToken = UInt64.max - 1
    /// Fires when the earliest stream token is due (nanosecond precision, unlike epoll_wait's ms).
    private var timer: DeadlineTimer
    private var timers = TimerQueue()
    /// The timer fires on this grid, so one wakeup sends every token due near it.
    private let wakeupGrid: TokenWakeupGrid
    private let timing: StreamTiming
    /// Requests parsed by this loop, numbering them for `--fault`.
    private var requestNumber = 0
    private var nextIdleSweepNanoseconds: UInt64 = 0
    /// Timer entries with this stream id send the next byte of a slow-drip answer.
    private static let dripID = -1
    /// Timer entries one wakeup handles at most before it reads events again.
    private static let timersPerWakeup = 4096
    /// How late this loop's stream tokens left and how long its requests waited to be read
    /// (`LatenessBoard`), and where it publishes them.
    private var lateness = LatencyHistogram()
    private var readLag = LatencyHistogram()
    private let board: LatenessBoard
    private let index: Int
    private var nextPublishNanoseconds: UInt64 = 0
    /// HTTPS: the context every connection's session is made from (shared by the threads).
    private let tls: TLSServerContext?
    /// Streams are timed (a TTFT, ITL or prefill delay) over plain HTTP: requests are read with
    /// their kernel receive stamps (`RequestArrival`) and streams timed from there. Otherwise
    /// requests are read with a plain `read` and timed from it (nothing waits on a timer, and
    /// echo-server's CPU per request stays that of a plain read for the throughput benchmarks).
    private let stampsArrivals: Bool
    private var arrivals = RequestArrival()

    /// With `--metrics`: this loop's counts, to book stream ends (the responder books the rest).
    private let counts: EchoMetrics.LoopCounts?

    init(listener: FileDescriptor, options: ServerOptions, stop: StopFlag, lateness board: LatenessBoard, index: Int,
         tls: TLSServerContext? = nil, metrics: (all: EchoMetrics, loop: EchoMetrics.LoopCounts)? = nil) throws(SystemError) {
        self.tls = tls
        let epoll = try Epoll(capacity: 1024)
        // EPOLLEXCLUSIVE would avoid waking every thread per connection; level-triggered accept
        // races are harmless (the losers get EAGAIN) and connections are long-lived.
        try epoll.add(listener.rawValue, events: Epoll.readable, data: Self.listenerToken)
        let timer = try DeadlineTimer()
        do {
            try epoll.add(timer.descriptor.rawValue, events: Epoll.readable, data: Self.timerToken)
        } catch {
            timer.close()
            throw error
        }
        self.timer = timer
        wakeupGrid = TokenWakeupGrid(slackMicroseconds: options.timerSlackMicroseconds)
        timing = StreamTiming(arrivalNanoseconds: 0, ttftNanoseconds: UInt64(options.ttftMilliseconds * 1e6),
                              itlNanoseconds: UInt64(options.itlMilliseconds * 1e6),
                              prefillNanosecondsPerToken: options.prefillMicrosecondsPerToken * 1e3)
        self.epoll = epoll
        self.listener = listener
        self.options = options
        self.stop = stop
        self.board = board
        self.index = index
        responder = OpenAIResponder(modelName: options.modelName)
        responder = OpenAIResponder(modelName: options.modelName, metrics: metrics)
        counts = metrics?.loop
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
        stampsArrivals = tls == nil
            && (options.ttftMilliseconds > 0 || options.itlMilliseconds > 0 || options.prefillMicrosecondsPerToken > 0)
    }

    deinit {
        for connection in connections {
            guard let connection else { continue }
            connection.tls?.close()
            connection.fd.close()
        }
        readBuffer.deallocate()
        arrivals.deallocate()
        timer.close()
    }

    mutating func run() {
        defer { board.publish(lateness: lateness, readLag: readLag, loop: index) }
        while !stop.isSet {
            let ready: Int
            do { ready = try epoll.wait(timeoutMilliseconds: 100) } catch { return }
            if stampsArrivals, ready > 0 { arrivals.batchBegins() }
            if options.idleTimeoutSeconds > 0 { closeIdleConnections() }
            if options.stats { publishLateness() }
            for event in 0..<ready {
                let token = epoll.data(at: event)
                if token == Self.listenerToken {
                    acceptAll()
                } else if token == Self.timerToken {
                    // No read of the expiry: sendDueTokens re-arms or disarms the timer, and
                    // timerfd_settime clears it (one syscall less per wakeup).
                    timer.expired()
                    sendDueTokens()
                } else {
                    handle(fd: Int(token), flags: epoll.flags(at: event))
                }
                // Due tokens go before the rest of a long batch of requests: a request's wait is
                // absorbed in its TTFT (its stream is timed from its arrival), a token's is not.
                // (A burst of 1,000 requests takes the loop milliseconds to answer.)
                if event & 31 == 31, let earliest = timers.earliest, earliest.dueNanoseconds <= Clock.monotonicNanoseconds() {
                    sendDueTokens()
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
            if stop.openConnections.add(1, ordering: .relaxed).newValue > options.maxConnections {
                // Over the cap: say so (a client then counts http_503, not a mystery) and close.
                // (Over TLS there is no session yet to say it in: just close.)
                var refusal: [UInt8] = []
                refusal.append(ascii: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 77\r\n\r\n")
                refusal.append(ascii: #"{"error":{"message":"too many connections","type":"server_error","code":503}}"#)
                if tls == nil { _ = refusal.withUnsafeBytes { fd.send($0) } }
                fd.close()
                stop.openConnections.subtract(1, ordering: .relaxed)
                continue
            }
            Socket.setNoDelay(fd)
            if stampsArrivals { Socket.enableReceiveTimestamps(fd) }
            let slot = Int(fd.rawValue)
            if slot >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: slot - connections.count + 1024))
            }
            let connection = ServerConnection(fd: fd)
            connection.lastActivityNanoseconds = Clock.monotonicNanoseconds()
            connections[slot] = connection
            if let tls {
                do throws(TLSError) {
                    connection.tls = try TLSConnection(server: tls, socket: fd)
                    connection.handshaking = true
                } catch {
                    close(slot)
                    continue
                }
            }
            do {
                try epoll.add(fd.rawValue, events: Epoll.readable, data: UInt64(slot))
            } catch {
                close(slot)
            }
        }
    }

    private mutating func handle(fd slot: Int, flags: UInt32) {
        guard slot < connections.count, let connection = connections[slot] else { return }
        if connection.handshaking {
            guard continueHandshake(connection, slot: slot) else { return }
        }
        if flags & Epoll.writable != 0 {
            flush(connection, slot: slot)
            if connections[slot] == nil { return }
        }
        if flags & (Epoll.readable | Epoll.hangup | Epoll.error) != 0 {
            readRequests(connection, slot: slot)
        }
    }

    /// Advances a TLS handshake; true once it is done (the event may carry a request too).
    private mutating func continueHandshake(_ connection: ServerConnection, slot: Int) -> Bool {
        guard let session = connection.tls else { return true }
        switch session.handshake() {
        case .done:
            connection.handshaking = false
            watchWritable(connection, slot: slot, false)
            return true
        case .wantRead:
            watchWritable(connection, slot: slot, false)
        case .wantWrite:
            watchWritable(connection, slot: slot, true)
        case .failed:
            close(slot)
        }
        return false
    }

    private mutating func watchWritable(_ connection: ServerConnection, slot: Int, _ writable: Bool) {
        guard connection.watchingWritable != writable else { return }
        connection.watchingWritable = writable
        try? epoll.modify(connection.fd.rawValue, events: writable ? Epoll.readable | Epoll.writable : Epoll.readable, data: UInt64(slot))
    }

    private mutating func readRequests(_ connection: ServerConnection, slot: Int) {
        if let session = connection.tls {
            // Everything OpenSSL can give now: epoll never fires for bytes it already holds.
            while true {
                switch session.read(into: readBuffer) {
                case .transferred(let count):
                    received(count, connection, slot: slot, arrival: Clock.monotonicNanoseconds())
                    // Answering may have closed the connection (and freed the session).
                    guard connection.tls != nil, session.hasBufferedInput else { return }
                case .wantRead:
                    return
                case .wantWrite:
                    watchWritable(connection, slot: slot, true)
                    return
                case .closed, .failed:
                    close(slot)
                    return
                }
            }
            return
        }
        if options.readDelayMilliseconds > 0 { ProcessResources.sleep(nanoseconds: UInt64(options.readDelayMilliseconds * 1e6)) }
        let outcome: IOOutcome
        var kernelStamp: UInt64 = 0
        if stampsArrivals {
            outcome = connection.fd.receive(into: readBuffer, control: arrivals.control, kernelStamp: &kernelStamp)
        } else {
            outcome = connection.fd.read(into: readBuffer)
        }
        switch outcome {
        case .transferred(let count):
            let now = Clock.monotonicNanoseconds()
            let arrival = stampsArrivals ? arrivals.arrival(kernelStamp: kernelStamp, now: now) : now
            if stampsArrivals { readLag.record(nanoseconds: now - arrival) }
            received(count, connection, slot: slot, arrival: arrival)
        case .wouldBlock:
            return
        case .endOfFile, .failed:
            close(slot)
        }
    }

    /// `count` request bytes are in the read buffer, the last of them arrived at `arrival`
    /// (monotonic): answer what is complete, keep the rest.
    private mutating func received(_ count: Int, _ connection: ServerConnection, slot: Int, arrival: UInt64) {
            if options.idleTimeoutSeconds > 0 { connection.lastActivityNanoseconds = Clock.monotonicNanoseconds() }
            if connection.isBusy {
                // Requests behind a stream wait until it ends (responses stay in order).
                connection.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                return
            }
            if connection.input.count == connection.inputStart {
                // Fast path: nothing buffered, parse straight from the read buffer.
                let consumed = answer(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]), connection, slot: slot, arrival: arrival)
                if consumed < count, !connection.closeAfterWrite {
                    connection.input.removeAll(keepingCapacity: true)
                    connection.inputStart = 0
                    connection.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[consumed..<count]))
                }
            } else {
                connection.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                let consumed = connection.input.withUnsafeBytes { bytes in
                    answer(UnsafeRawBufferPointer(rebasing: bytes[connection.inputStart...]), connection, slot: slot, arrival: arrival)
                }
                connection.inputStart += consumed
                if connection.inputStart == connection.input.count {
                    connection.input.removeAll(keepingCapacity: connection.input.capacity <= 65_536)
                    connection.inputStart = 0
                }
            }
            flush(connection, slot: slot)
    }

    /// Answers the requests buffered behind a stream that just ended (pipelined: their time
    /// starts now, when the answer before them is complete).
    private mutating func answerBuffered(_ connection: ServerConnection, slot: Int) {
        guard connection.inputStart < connection.input.count else { return }
        let now = Clock.monotonicNanoseconds()
        let consumed = connection.input.withUnsafeBytes { bytes in
            answer(UnsafeRawBufferPointer(rebasing: bytes[connection.inputStart...]), connection, slot: slot, arrival: now)
        }
        connection.inputStart += consumed
        if connection.inputStart == connection.input.count {
            connection.input.removeAll(keepingCapacity: connection.input.capacity <= 65_536)
            connection.inputStart = 0
        }
    }

    /// Sends the stream tokens that are due, finishes streams, and re-arms the timer.
    ///
    /// The clock read after each send is the next entry's `now`: tokens that came due while the
    /// ones before them were sent go in this wakeup, not after another round through the timer
    /// (three syscalls). At most `timersPerWakeup` entries, so that a loop that cannot keep up
    /// still reads new requests between them. A stream's state is changed in place: per token,
    /// nothing is copied, retained or allocated (its events were built when it started).
    private mutating func sendDueTokens() {
        var now = Clock.monotonicNanoseconds()
        var handled = 0
        while handled < Self.timersPerWakeup, let entry = timers.earliest, entry.dueNanoseconds <= now {
            handled += 1
            guard entry.slot < connections.count, let connection = connections[entry.slot] else {
                _ = timers.popEarliest()
                continue
            }
            if entry.streamID == Self.dripID {
                _ = timers.popEarliest()
                sendDripByte(connection, slot: entry.slot, now: now)
                continue
            }
            guard connection.stream?.id == entry.streamID else {
                _ = timers.popEarliest()
                continue
            }
            let firstToken = connection.stream.unsafelyUnwrapped.sentTokens
            connection.stream!.appendDue(now: now, into: &connection.output)
            let schedule = connection.stream.unsafelyUnwrapped.schedule
            let sentTokens = connection.stream.unsafelyUnwrapped.sentTokens
            if connection.stream.unsafelyUnwrapped.isFinished {
                _ = timers.popEarliest()
                connection.stream = nil
                counts?.streamEnded(generationTokens: sentTokens, finished: true)
                answerBuffered(connection, slot: entry.slot)
            } else {
                // The stream's next token replaces this entry: one sift instead of a pop and a push.
                timers.replaceEarliest(dueNanoseconds: schedule.dueNanoseconds(ofToken: sentTokens))
            }
            flush(connection, slot: entry.slot)
            // Lateness counts to the send, not to the timer: tokens handled after others of the
            // same wakeup wait for those sends too.
            now = Clock.monotonicNanoseconds()
            recordLateness(schedule, tokens: firstToken..<sentTokens, sent: now)
        }
        armTimer()
    }

    /// Books how late `tokens` of a stream on `schedule` left, handed to the socket at `sent`.
    @inline(__always)
    private mutating func recordLateness(_ schedule: TokenSchedule, tokens: Range<Int>, sent: UInt64) {
        for token in tokens {
            let due = schedule.dueNanoseconds(ofToken: token)
            lateness.record(nanoseconds: sent > due ? sent - due : 0)
        }
    }

    /// With --stats: a copy of this loop's lateness for GET /stats, at most every 100 ms.
    private mutating func publishLateness() {
        let now = Clock.monotonicNanoseconds()
        guard now >= nextPublishNanoseconds else { return }
        nextPublishNanoseconds = now + 100_000_000
        board.publish(lateness: lateness, readLag: readLag, loop: index)
    }

    /// Arms the timer for the earliest entry, on the wakeup grid (one already due fires at
    /// once), or disarms it. Re-arming for the grid point already armed costs no syscall.
    private mutating func armTimer() {
        guard let earliest = timers.earliest else {
            timer.disarm()
            return
        }
        timer.arm(at: wakeupGrid.wakeup(forDue: earliest.dueNanoseconds))
    }

    /// Answers every complete request at the start of `bytes`, which arrived at `arrival`
    /// (monotonic; streams are timed from it); returns the bytes consumed.
    private mutating func answer(_ bytes: UnsafeRawBufferPointer, _ connection: ServerConnection, slot: Int, arrival: UInt64) -> Int {
        var consumed = 0
        while consumed < bytes.count, !connection.closeAfterWrite, !connection.isBusy {
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
            var streamTiming = timing
            streamTiming.arrivalNanoseconds = arrival
            consumed += head.headerBytes + head.contentLength
            if head.route == .stats, options.stats {
                board.publish(lateness: lateness, readLag: readLag, loop: index)
                responder.respond(json: Array(LatenessBoard.json(board.merged).serialized().utf8), to: head, into: &connection.output)
                if !head.keepAlive { connection.closeAfterWrite = true }
                continue
            }
            let number = requestNumber
            requestNumber &+= 1
            if let fault = options.faults.fault(forRequest: number) {
                applyFault(fault, head: head, body: body, connection, slot: slot, timing: streamTiming)
                continue
            }
            if var stream = responder.respond(to: head, body: body, into: &connection.output, timing: streamTiming) {
                if !head.keepAlive { connection.closeAfterWrite = true }
                // Tokens due already (no delay, or a request read later than its TTFT) go with
                // the head; a timed one that is late counts in the lateness.
                let now = Clock.monotonicNanoseconds()
                stream.appendDue(now: now, into: &connection.output)
                if stampsArrivals { recordLateness(stream.schedule, tokens: 0..<stream.sentTokens, sent: now) }
                if !stream.isFinished {
                    connection.stream = stream
                    let wasEarliest = timers.earliest?.dueNanoseconds ?? .max
                    timers.push(.init(dueNanoseconds: stream.nextDueNanoseconds, slot: slot, streamID: stream.id))
                    if stream.nextDueNanoseconds < wasEarliest { armTimer() }
                } else {
                    counts?.streamEnded(generationTokens: stream.sentTokens, finished: true)
                }
                continue
            }
            if !head.keepAlive { connection.closeAfterWrite = true }
        }
        return consumed
    }

    /// Answers one request with `fault` instead of the right answer.
    private mutating func applyFault(_ fault: Fault, head: RequestHead, body: UnsafeRawBufferPointer,
                                     _ connection: ServerConnection, slot: Int, timing: StreamTiming) {
        var normal: [UInt8] = []
        // A streamed request's "normal answer" is only its head here; the faults cut it anyway.
        _ = responder.respond(to: head, body: body, into: &normal, timing: timing, counted: false)
        switch FaultResponder.respond(fault, normal: normal, into: &connection.output) {
        case .keep:
            if !head.keepAlive { connection.closeAfterWrite = true }
        case .close:
            connection.closeAfterWrite = true
        case .reset:
            Socket.resetOnClose(connection.fd)
            connection.closeAfterWrite = true
        case .stall:
            connection.stalled = true
        case .drip:
            connection.drip = normal
            connection.dripOffset = 0
            scheduleDrip(slot: slot, now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func scheduleDrip(slot: Int, now: UInt64) {
        let due = now &+ UInt64(options.dripMilliseconds * 1e6)
        let wasEarliest = timers.earliest?.dueNanoseconds ?? .max
        timers.push(.init(dueNanoseconds: due, slot: slot, streamID: Self.dripID))
        if due < wasEarliest { armTimer() }
    }

    private mutating func sendDripByte(_ connection: ServerConnection, slot: Int, now: UInt64) {
        guard let drip = connection.drip else { return }
        connection.output.append(drip[connection.dripOffset])
        connection.dripOffset += 1
        if connection.dripOffset == drip.count {
            connection.drip = nil
            answerBuffered(connection, slot: slot)
        } else {
            timers.push(.init(dueNanoseconds: now &+ UInt64(options.dripMilliseconds * 1e6), slot: slot, streamID: Self.dripID))
        }
        flush(connection, slot: slot)
    }

    private mutating func flush(_ connection: ServerConnection, slot: Int) {
        if connection.handshaking { return }
        while connection.outputSent < connection.output.count {
            let outcome: IOOutcome
            if let session = connection.tls {
                let result = connection.output.withUnsafeBytes { bytes in
                    session.write(UnsafeRawBufferPointer(rebasing: bytes[connection.outputSent...]))
                }
                switch result {
                case .transferred(let count): outcome = .transferred(count)
                // A write that wants a read (a renegotiation, which loadgen never starts) is
                // retried by the next flush, after the next read.
                case .wantWrite, .wantRead: outcome = .wouldBlock
                case .closed, .failed: outcome = .endOfFile
                }
            } else {
                outcome = connection.output.withUnsafeBytes { bytes in
                    connection.fd.send(UnsafeRawBufferPointer(rebasing: bytes[connection.outputSent...]))
                }
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
        if connection.closeAfterWrite, connection.stream == nil { close(slot) }
    }

    private mutating func close(_ slot: Int) {
        guard let connection = connections[slot] else { return }
        connection.tls?.close()
        connection.tls = nil
        if let stream = connection.stream { counts?.streamEnded(generationTokens: stream.sentTokens, finished: false) }
        connection.fd.close()
        connections[slot] = nil
        stop.openConnections.subtract(1, ordering: .relaxed)
    }

    /// Once a second: closes connections that neither sent a byte nor got one within the timeout.
    /// A stream still sending tokens is not idle.
    private mutating func closeIdleConnections() {
        let now = Clock.monotonicNanoseconds()
        guard now >= nextIdleSweepNanoseconds else { return }
        nextIdleSweepNanoseconds = now + 1_000_000_000
        let limit = Clock.nanoseconds(seconds: options.idleTimeoutSeconds)
        for slot in connections.indices {
            guard let connection = connections[slot] else { continue }
            if connection.stream != nil || connection.drip != nil || connection.outputSent < connection.output.count { continue }
            if now &- connection.lastActivityNanoseconds > limit { close(slot) }
        }
    }
}

/// Set once by the main thread on SIGINT/SIGTERM; every loop checks it at least every 100 ms.
/// Also counts the open connections of all loops, for --max-connections.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    let openConnections = Atomic<Int>(0)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
