import CEpoll
import HTTPWire

/// One thread's event loop: an epoll instance and the connections it owns, driven closed-loop
/// (each connection sends its next request when its response is complete) or open-loop (requests
/// start at the times of an `ArrivalSchedule`, on whichever connection is free).
///
/// The per-request path is: one `send` of the pre-serialized request, usually one `read` of the
/// whole response, one clock read at completion (which is also the next request's start time).
/// Sockets are registered with epoll once, level-triggered for reading; write interest is added
/// only while a write would block, so a steady keep-alive request costs no `epoll_ctl`
/// (wrk spends two per request). Nothing on that path allocates, locks or builds a String.
struct ClientEventLoop: ~Copyable {
    private let epoll: Epoll
    private let slots: UnsafeMutablePointer<ConnectionSlot>
    private let slotCount: Int
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let requests: RequestSet
    /// This loop's number and the number of loops: request numbers are loop + loops * k, unique
    /// across the run without any shared counter.
    private let loopIndex: Int
    private let loopCount: Int
    private var sequence = 0
    private let address: SocketAddress
    private let requestTimeoutNanoseconds: UInt64
    private let connectTimeoutNanoseconds: UInt64
    private let drainNanoseconds: UInt64
    private let warmupNanoseconds: UInt64
    private let durationNanoseconds: UInt64?
    private let control: RunControl
    private let progress: LoopProgress
    private let objectives: ObjectiveLimits
    private let maxResponseBytes: Int
    private let keepsSamples: Bool
    private var samples: [UInt64] = []

    // Open loop only: this loop's share of the schedule, the slots free to take the next arrival
    // (a stack, so a recently used slot with an open connection is reused first), the timer that
    // wakes the loop at the next send time, and whether the schedule has run past its end.
    private let arrivals: OpenLoopArrivals?
    private var schedule: ArrivalSchedule?
    private let freeSlots: UnsafeMutablePointer<Int32>
    /// Closed loop: slots whose response completed in the current batch of events; their next
    /// requests are sent together once the batch is handled (see `run`).
    private let deferredStarts: UnsafeMutablePointer<Int32>
    private var deferredCount = 0
    private var freeCount = 0
    private var timer: DeadlineTimer?
    private var scheduleExhausted = false
    /// The measured window of the schedule starts here; the last measured send was at `lastSend`.
    private var scheduleOriginNanoseconds: UInt64 = 0
    private var lastSendNanoseconds: UInt64 = 0
    /// Connect failures while no connection of this loop has ever worked.
    private var connectFailuresBeforeAnySuccess = 0
    /// One error response body being kept as the example for its status (-1: none).
    private var exampleSlot = -1
    private var exampleBody: [UInt8] = []

    /// Requests this loop may still start (its share of a request count, or unlimited).
    private var quota: Int
    private var inFlight = 0
    private var startNanoseconds: UInt64 = 0
    private var warmupEndNanoseconds: UInt64 = 0
    private var endNanoseconds: UInt64 = .max
    private var stopping = false
    private var firstSendNanoseconds: UInt64 = .max
    private var lastCompletionNanoseconds: UInt64 = 0
    /// When this loop stopped starting requests because the duration ran out (or Ctrl-C): the
    /// measured window lasts at least until then (see `RunResult.WindowEnd`).
    private var sendingEndedNanoseconds: UInt64 = 0
    private var sendingEndedByInterrupt = false
    /// This loop's share of a warmup given as a request count (`LoadPlan.warmupRequests`).
    private var warmupRemaining: Int
    private var nextSweepNanoseconds: UInt64 = 0
    private var completedCount = 0
    private var failedCount = 0
    private var everConnected = false
    /// Slots waiting to retry a connect (kept as a count so the loop condition is O(1)).
    private var backoffCount = 0
    private var result = RunResult()

    /// Backoff after a failed connect: starts small, doubles, capped, so refused or unreachable
    /// servers do not spin the CPU while the run continues.
    private static let firstRetryDelay: UInt64 = 10_000_000
    private static let maxRetryDelay: UInt64 = 1_000_000_000
    /// How often timeouts and backoffs are checked.
    private static let sweepInterval: UInt64 = 20_000_000
    private static let readBufferSize = 64 * 1024
    /// epoll data of the deadline timer (slot indices are small).
    private static let timerToken = UInt64.max
    /// Bytes of an error body kept as the example for its status.
    static let exampleBodyLimit = 200

    /// With a duration: requests still to start before the end may take effect.
    private var minimumRemaining: Int

    init(loop: Int, loops: Int, connections: Int, quota: Int, minimumRequests: Int, warmupRequests: Int = 0,
         plan: borrowing LoadPlanSnapshot, progress: LoopProgress, control: RunControl) throws(SystemError) {
        // Everything that can throw comes first: a noncopyable value cannot be left half-built.
        let poll = try Epoll(capacity: min(max(connections, 16), 4096))
        var deadline: DeadlineTimer?
        if plan.arrivals != nil {
            let made = try DeadlineTimer()
            do {
                try poll.add(made.descriptor.rawValue, events: Epoll.readable, data: Self.timerToken)
            } catch {
                made.close()
                throw error
            }
            deadline = made
        }
        epoll = poll
        slotCount = connections
        slots = UnsafeMutablePointer<ConnectionSlot>.allocate(capacity: connections)
        slots.initialize(repeating: ConnectionSlot(), count: connections)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 64)
        requests = plan.requests
        loopIndex = loop
        loopCount = loops
        address = plan.address
        requestTimeoutNanoseconds = plan.requestTimeoutNanoseconds
        connectTimeoutNanoseconds = plan.connectTimeoutNanoseconds
        drainNanoseconds = plan.drainNanoseconds
        warmupNanoseconds = plan.warmupNanoseconds
        durationNanoseconds = plan.durationNanoseconds
        self.quota = quota
        minimumRemaining = minimumRequests
        warmupRemaining = warmupRequests
        self.progress = progress
        self.control = control
        objectives = plan.objectives
        maxResponseBytes = plan.maxResponseBytes
        keepsSamples = plan.keepsLatencySamples
        if keepsSamples, quota != .max { samples.reserveCapacity(quota) }
        arrivals = plan.arrivals
        freeSlots = UnsafeMutablePointer<Int32>.allocate(capacity: max(connections, 1))
        deferredStarts = UnsafeMutablePointer<Int32>.allocate(capacity: max(connections, 1))
        timer = deadline
    }

    deinit {
        for index in 0..<slotCount where slots[index].fd >= 0 {
            FileDescriptor(rawValue: slots[index].fd).close()
        }
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        freeSlots.deallocate()
        deferredStarts.deallocate()
        readBuffer.deallocate()
        timer?.close()
    }

    /// Runs until every request of the quota (or of the duration) has ended in an outcome.
    mutating func run() -> RunResult {
        let now = Clock.monotonicNanoseconds()
        startNanoseconds = now
        warmupEndNanoseconds = now + warmupNanoseconds
        if let durationNanoseconds { endNanoseconds = warmupEndNanoseconds + durationNanoseconds }
        // A warmup by count: the duration starts at the first measured send (far off until then,
        // yet far from UInt64.max, which the drain arithmetic adds to).
        if warmupRemaining > 0, durationNanoseconds != nil { endNanoseconds = UInt64.max / 2 }
        progress.measuring.store(warmupNanoseconds == 0 && warmupRemaining == 0, ordering: .relaxed)
        nextSweepNanoseconds = now + Self.sweepInterval
        if let arrivals {
            schedule = ArrivalSchedule(arrivals, origin: now, loop: loopIndex, loops: loopCount)
            scheduleOriginNanoseconds = warmupEndNanoseconds
            for index in stride(from: slotCount - 1, through: 0, by: -1) { releaseSlot(index) }
            startDueArrivals(now: now)
        } else {
            for index in 0..<slotCount { startNextRequest(index, now: now) }
        }

        while inFlight > 0 || (schedule == nil && backoffCount > 0 && !stopping && quota > 0)
                || (schedule != nil && !stopping && !scheduleExhausted) {
            let waitMilliseconds = nextWaitMilliseconds()
            let ready: Int
            do {
                ready = try epoll.wait(timeoutMilliseconds: waitMilliseconds)
            } catch {
                // epoll_wait fails only on programming errors (EBADF, EINVAL); end the run honestly.
                cancelAll()
                break
            }
            for event in 0..<ready {
                let data = epoll.data(at: event)
                if data == Self.timerToken {
                    timer?.acknowledge()
                    continue
                }
                handle(slot: Int(truncatingIfNeeded: data), flags: epoll.flags(at: event))
            }
            // The next requests of the connections that completed in this batch go out together,
            // as wrk's do: the server then finds them in one epoll_wait instead of being woken for
            // each, which at thousands of connections costs it microseconds per request.
            if deferredCount > 0 { startDeferred() }
            let now = Clock.monotonicNanoseconds()
            if now >= nextSweepNanoseconds {
                sweep(now: now)
                if deferredCount > 0 { startDeferred() }
            }
            if schedule != nil { startDueArrivals(now: now) }
            if control.cancelled.load(ordering: .relaxed) {
                cancelAll()
                break
            }
        }
        publishProgress()
        // The measured window: first send to the last response, or to the end of sending when
        // that is later (a server silent at the end of a --duration run); timeouts, connect
        // failures and cancellations end requests at times the client chose and stretch nothing.
        var windowEnd = lastCompletionNanoseconds
        result.windowEnd = lastCompletionNanoseconds > 0 ? .lastResponse : .nothingMeasured
        if firstSendNanoseconds != .max, sendingEndedNanoseconds > max(windowEnd, firstSendNanoseconds) {
            windowEnd = sendingEndedNanoseconds
            result.windowEnd = sendingEndedByInterrupt ? .interrupted : .endOfSending
        }
        result.durationSeconds = windowEnd > firstSendNanoseconds && firstSendNanoseconds != .max
            ? Double(windowEnd - firstSendNanoseconds) / 1e9 : 0
        result.firstSendNanoseconds = firstSendNanoseconds
        result.lastCompletionNanoseconds = windowEnd
        result.latencySamples = samples
        if let arrivals {
            result.requestedRate = arrivals.rate
            // The window the schedule was meant to fill: the duration, or up to the last send.
            if let durationNanoseconds {
                result.scheduleWindowNanoseconds = durationNanoseconds
            } else if lastSendNanoseconds > scheduleOriginNanoseconds {
                result.scheduleWindowNanoseconds = lastSendNanoseconds - scheduleOriginNanoseconds
            }
        }
        return result
    }

    private func nextWaitMilliseconds() -> Int32 {
        let now = Clock.monotonicNanoseconds()
        var until = nextSweepNanoseconds
        if schedule == nil, !stopping, minimumRemaining <= 0, endNanoseconds < until { until = endNanoseconds }
        if until <= now { return 0 }
        return Int32(min((until - now + 999_999) / 1_000_000, 1000))
    }

    /// The slot at `index`, for a mutating call or an inout use (`+=`, `&`) of one of its parts.
    /// `slots[index].part.f()` means the same, but Swift 6.3's ThreadSanitizer instrumentation
    /// breaks on that form inside this noncopyable loop (it instruments a loaded copy of the loop
    /// as if it were an address: LLVM "Invalid bitcast"), so bench/sanitize.sh could not build.
    @inline(__always)
    private func slot(_ index: Int) -> UnsafeMutablePointer<ConnectionSlot> { slots + index }

    // MARK: Starting requests

    /// Claims the next request for this slot if any remain, and connects or sends.
    private mutating func startNextRequest(_ index: Int, now: UInt64) {
        guard claimRequest(index, now: now) else {
            closeConnection(index)
            slots[index].phase = .finished
            return
        }
        dispatch(index, now: now)
    }

    /// Sends the claimed request on the slot's connection, or connects first.
    private mutating func dispatch(_ index: Int, now: UInt64) {
        if slots[index].fd >= 0 {
            slots[index].phase = .sending
            slots[index].writeOffset = 0
            slots[index].deadlineNanoseconds = now &+ requestTimeoutNanoseconds
            slot(index).pointee.prepareForResponse()
            sendRequest(index)
        } else {
            connect(index, now: now)
        }
    }

    /// Takes one request from the quota. Stops at the end of the duration, on cancel, or when the
    /// quota is spent.
    private mutating func claimRequest(_ index: Int, now: UInt64) -> Bool {
        if stopping || quota == 0 { return false }
        if now >= endNanoseconds, minimumRemaining <= 0 {
            beginStopping(now: now)
            return false
        }
        beginRequest(index, startedAt: now, now: now)
        return true
    }

    /// Counts a request as started on `index` (in the warmup if it started before the warmup's
    /// end) and numbers it. `startedAt` is when its latency starts: now in closed loop, the
    /// scheduled time in open loop.
    @inline(__always)
    private mutating func beginRequest(_ index: Int, startedAt: UInt64, now: UInt64) {
        var warmup = startedAt < warmupEndNanoseconds
        if warmupRemaining > 0 {
            warmupRemaining -= 1
            warmup = true
        }
        // Warmup requests are extra: a request count applies to the measured window.
        if quota != .max, !warmup { quota -= 1 }
        inFlight += 1
        assignRequest(index)
        slots[index].isWarmup = warmup
        slots[index].requestStartNanoseconds = startedAt
        if warmup {
            result.warmupRequests &+= 1
            return
        }
        result.requests &+= 1
        minimumRemaining -= 1
        if now < firstSendNanoseconds {
            firstSendNanoseconds = now
            progress.measuring.store(true, ordering: .relaxed)
            // A warmup by request count ends here: the duration counts from the first measured send.
            if warmupEndNanoseconds == startNanoseconds, result.warmupRequests > 0, let durationNanoseconds {
                endNanoseconds = now &+ durationNanoseconds
                scheduleOriginNanoseconds = now
            }
        }
    }

    /// Picks the request's template and writes its number as 12 ASCII digits into the slot.
    @inline(__always)
    private mutating func assignRequest(_ index: Int) {
        let number = loopIndex &+ loopCount &* sequence
        sequence &+= 1
        slots[index].template = requests.templates.count == 1 ? 0 : number % requests.templates.count
        guard requests.templates[slots[index].template].counterOffset >= 0 else { return }
        var value = number
        withUnsafeMutableBytes(of: &slot(index).pointee.counterDigits) { digits in
            for position in stride(from: OpenAIWorkload.counterWidth - 1, through: 0, by: -1) {
                digits[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
    }

    // MARK: Open loop

    /// Starts every arrival whose time has come, while a slot is free; then arms the timer for the
    /// next one. Arrivals that find no free slot wait (their latency keeps counting from their
    /// scheduled time) until a request ends and frees one.
    private mutating func startDueArrivals(now: UInt64) {
        guard var schedule else { return }
        defer { self.schedule = schedule }
        while !stopping, !scheduleExhausted {
            let due = schedule.next
            if quota == 0 || (due >= endNanoseconds && minimumRemaining <= 0) {
                if quota != 0, sendingEndedNanoseconds == 0 { sendingEndedNanoseconds = endNanoseconds }
                scheduleExhausted = true
                return
            }
            guard freeCount > 0 else { return }
            if due > now {
                timer?.arm(at: due)
                return
            }
            freeCount -= 1
            let index = Int(freeSlots[freeCount])
            schedule.advance()
            startScheduled(index, scheduledAt: due, now: now)
        }
    }

    /// Claims a scheduled request for a free slot. Its latency (and TTFT) count from `scheduledAt`;
    /// how late it starts is the send lag.
    private mutating func startScheduled(_ index: Int, scheduledAt: UInt64, now: UInt64) {
        beginRequest(index, startedAt: scheduledAt, now: now)
        if !slots[index].isWarmup {
            result.sendLag.record(nanoseconds: now &- scheduledAt)
            lastSendNanoseconds = now
        }
        dispatch(index, now: now)
    }

    /// Puts an open-loop slot back on the free stack.
    private mutating func releaseSlot(_ index: Int) {
        slots[index].phase = .idle
        freeSlots[freeCount] = Int32(truncatingIfNeeded: index)
        freeCount += 1
    }

    /// A request ended on this slot: closed loop starts the next one on it (after the current
    /// batch of events); open loop frees it for the next arrival.
    private mutating func requestEnded(_ index: Int, now: UInt64) {
        if schedule == nil {
            deferredStarts[deferredCount] = Int32(truncatingIfNeeded: index)
            deferredCount += 1
        } else {
            releaseSlot(index)
        }
    }

    private mutating func startDeferred() {
        // A stack: starting a request can end it at once (a failed send), which defers its slot
        // again; a slot is on the stack at most once, so it never holds more than the slots.
        // Each send gets its own clock reading: at 2,000 connections the last of a batch goes out
        // milliseconds after the first, and that wait is the client's, not the server's.
        while deferredCount > 0 {
            deferredCount -= 1
            startNextRequest(Int(deferredStarts[deferredCount]), now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func beginStopping(now: UInt64) {
        guard !stopping else { return }
        stopping = true
        sendingEndedNanoseconds = now
        // In-flight requests get the drain time to finish; the sweep cancels what is left.
        endNanoseconds = now
    }

    private mutating func connect(_ index: Int, now: UInt64) {
        slots[index].deadlineNanoseconds = now &+ min(connectTimeoutNanoseconds, requestTimeoutNanoseconds)
        let fd: FileDescriptor
        do {
            fd = try Socket.makeTCP(family: address.family)
        } catch {
            fail(index, .connect, now: now, errno: error.errno)
            return
        }
        slots[index].fd = fd.rawValue
        do {
            try epoll.add(fd.rawValue, events: Epoll.readable | Epoll.writable, data: UInt64(index))
        } catch {
            fail(index, .connect, now: now, errno: error.errno)
            return
        }
        slots[index].watchingWritable = true
        slot(index).pointee.prepareForResponse()
        slots[index].writeOffset = 0
        switch Socket.startConnect(fd, to: address) {
        case .connected:
            connected(index, now: now)
        case .inProgress:
            slots[index].phase = .connecting
        case .failed(let errno):
            fail(index, .connect, now: now, errno: errno)
        }
    }

    private mutating func connected(_ index: Int, now: UInt64) {
        result.connectionsOpened &+= 1
        everConnected = true
        slots[index].retryDelayNanoseconds = 0
        slots[index].phase = .sending
        // The timeout runs from the claim; latency and TTFT run from the send start (as in
        // `vllm bench serve`'s definitions), so connection setup is not counted as server time.
        slots[index].deadlineNanoseconds = slots[index].requestStartNanoseconds &+ requestTimeoutNanoseconds
        // Open loop keeps the scheduled time: waiting for a connection is time the user waits too.
        if schedule == nil { slots[index].requestStartNanoseconds = now }
        sendRequest(index)
    }

    // MARK: Events

    private mutating func handle(slot index: Int, flags: UInt32) {
        switch slots[index].phase {
        case .connecting:
            let error = Socket.pendingError(FileDescriptor(rawValue: slots[index].fd))
            if error == 0 {
                connected(index, now: Clock.monotonicNanoseconds())
            } else {
                fail(index, .connect, now: Clock.monotonicNanoseconds(), errno: error)
            }
        case .sending:
            if flags & (Epoll.readable | Epoll.error | Epoll.hangup) != 0 {
                // The server answered (or closed) before the request was fully written.
                readResponse(index)
            } else {
                sendRequest(index)
            }
        case .awaitingResponse:
            readResponse(index)
        case .idle, .backoff, .finished:
            // A peer closing an idle keep-alive connection: drop it; the next request reconnects.
            closeConnection(index)
        }
    }

    private mutating func sendRequest(_ index: Int) {
        let offset = slots[index].writeOffset
        let template = requests.templates[slots[index].template]
        let request = template.bytes
        let fd = FileDescriptor(rawValue: slots[index].fd)
        let outcome: IOOutcome
        if template.counterOffset < 0 {
            outcome = fd.send(UnsafeRawBufferPointer(rebasing: request[offset...]))
        } else {
            // Template before the number, the number, the rest: one sendmsg, no copy.
            let start = template.counterOffset
            let end = start + OpenAIWorkload.counterWidth
            outcome = withUnsafeBytes(of: slots[index].counterDigits) { digits in
                let number = UnsafeRawBufferPointer(rebasing: digits[0..<OpenAIWorkload.counterWidth])
                let head = UnsafeRawBufferPointer(rebasing: request[min(offset, start)..<start])
                let middle = UnsafeRawBufferPointer(rebasing: number[min(max(offset - start, 0), number.count)...])
                let tail = UnsafeRawBufferPointer(rebasing: request[max(offset, end)...])
                return fd.send(head, middle, tail)
            }
        }
        switch outcome {
        case .transferred(let count):
            result.bytesSent &+= UInt64(count)
            slots[index].writeOffset = offset + count
            if offset + count == request.count {
                slots[index].phase = .awaitingResponse
                if slots[index].watchingWritable { watchWritable(index, false) }
            } else if !slots[index].watchingWritable {
                watchWritable(index, true)
            }
        case .wouldBlock:
            if !slots[index].watchingWritable { watchWritable(index, true) }
        case .endOfFile, .failed:
            fail(index, .connectionClosed, now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func watchWritable(_ index: Int, _ writable: Bool) {
        let events = writable ? Epoll.readable | Epoll.writable : Epoll.readable
        do {
            try epoll.modify(slots[index].fd, events: events, data: UInt64(index))
            slots[index].watchingWritable = writable
        } catch {
            fail(index, .connectionClosed, now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func readResponse(_ index: Int) {
        let fd = FileDescriptor(rawValue: slots[index].fd)
        switch fd.read(into: readBuffer) {
        case .transferred(let count):
            result.bytesReceived &+= UInt64(count)
            slot(index).pointee.responseBytes &+= count
            if slots[index].responseBytes > maxResponseBytes {
                fail(index, .responseTooLarge, now: Clock.monotonicNanoseconds())
                return
            }
            parse(index, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        case .wouldBlock:
            return
        case .endOfFile:
            peerClosed(index)
        case .failed:
            fail(index, .connectionClosed, now: Clock.monotonicNanoseconds())
        }
    }

    private mutating func parse(_ index: Int, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while true {
            let event: ResponseEvent
            do {
                event = try slot(index).pointee.parser.parse(bytes, offset: &offset)
            } catch {
                if result.firstMalformed == nil { result.firstMalformed = error }
                fail(index, .malformedResponse, now: Clock.monotonicNanoseconds())
                return
            }
            switch event {
            case .needMoreInput:
                return
            case .headComplete:
                if slots[index].parser.statusCode >= 400 { considerExample(index) }
            case .body(let range):
                let piece = UnsafeRawBufferPointer(rebasing: bytes[range])
                if index == exampleSlot { keepExample(piece) }
                slot(index).pointee.usage.scan(piece)
                if slots[index].parser.isEventStream {
                    scanEvents(index, piece)
                } else if requests.validatesOpenAI {
                    slot(index).pointee.json.feed(piece)
                    slot(index).pointee.choices.scan(piece)
                }
            case .messageComplete:
                // Bytes after a complete response were never asked for (we do not pipeline): the
                // connection's framing can no longer be trusted, so it is closed after this one.
                let unsolicited = offset < bytes.count
                complete(index, closeAfter: unsolicited)
                return
            }
        }
    }

    /// Feeds streamed body bytes to the SSE framing; each event that carries text is a token event:
    /// the first sets the TTFT, each later one adds an inter-token gap (as `vllm bench serve` times
    /// chunks: events that arrive in one read share its timestamp).
    private mutating func scanEvents(_ index: Int, _ piece: UnsafeRawBufferPointer) {
        var offset = 0
        while true {
            switch slot(index).pointee.events.parse(piece, offset: &offset) {
            case .needMoreInput:
                return
            case .data(let range):
                slot(index).pointee.delta.scan(UnsafeRawBufferPointer(rebasing: piece[range]))
            case .dataLineBreak:
                continue
            case .eventComplete:
                if slots[index].delta.carriesText {
                    let now = Clock.monotonicNanoseconds()
                    if slots[index].tokenEvents == 0 {
                        slots[index].firstTokenNanoseconds = now
                    } else if !slots[index].isWarmup {
                        result.interTokenLatency.record(nanoseconds: now &- slots[index].lastTokenNanoseconds)
                    }
                    slots[index].lastTokenNanoseconds = now
                    slot(index).pointee.tokenEvents += 1
                }
                slot(index).pointee.delta.reset()
            }
        }
    }

    // MARK: Error examples

    /// Starts keeping this error response's body as the example for its status, if that status has
    /// none yet and no other example is being kept. Error path only: the allocation is once per status.
    private mutating func considerExample(_ index: Int) {
        guard exampleSlot < 0, !slots[index].isWarmup,
              !result.errorExamples.contains(where: { $0.status == slots[index].parser.statusCode }) else { return }
        exampleSlot = index
        exampleBody.removeAll(keepingCapacity: true)
    }

    private mutating func keepExample(_ piece: UnsafeRawBufferPointer) {
        let room = Self.exampleBodyLimit - exampleBody.count
        if room > 0 { exampleBody.append(contentsOf: piece.prefix(room)) }
    }

    /// The response on `index` ended: its example is stored when it completed, dropped otherwise.
    private mutating func finishExample(_ index: Int, completed: Bool) {
        guard index == exampleSlot else { return }
        exampleSlot = -1
        if completed {
            result.errorExamples.append(HTTPErrorExample(status: slots[index].parser.statusCode, body: exampleBody))
        }
    }

    private mutating func peerClosed(_ index: Int) {
        guard slots[index].hasRequestInFlight else {
            closeConnection(index)
            return
        }
        do {
            if try slot(index).pointee.parser.inputEnded() {
                complete(index, closeAfter: true)
            } else {
                fail(index, .connectionClosed, now: Clock.monotonicNanoseconds())
            }
        } catch {
            fail(index, .connectionClosed, now: Clock.monotonicNanoseconds())
        }
    }

    // MARK: Outcomes

    private mutating func complete(_ index: Int, closeAfter: Bool) {
        let now = Clock.monotonicNanoseconds()
        inFlight -= 1
        let status = slots[index].parser.statusCode
        if index == exampleSlot { finishExample(index, completed: true) }
        if !slots[index].isWarmup {
            if status >= 400 {
                result.failures.add(.httpStatus(status))
                failedCount += 1
            } else if requests.validatesOpenAI, let failure = contentFailure(index) {
                result.failures.add(failure)
                failedCount += 1
            } else {
                let template = requests.templates[slots[index].template]
                result.requestedPromptTokens &+= UInt64(template.inputTokens)
                result.requestedOutputTokens &+= UInt64(template.outputTokens)
                result.succeeded &+= 1
                completedCount += 1
                result.latency.record(nanoseconds: now &- slots[index].requestStartNanoseconds)
                if let prompt = slots[index].usage.promptTokens { result.promptTokens &+= UInt64(prompt) }
                let tokenEvents = slots[index].tokenEvents
                if let completion = slots[index].usage.completionTokens {
                    result.completionTokens &+= UInt64(completion)
                } else if tokenEvents > 0 {
                    // No usage chunk: count the events that carried text, one token each.
                    result.completionTokens &+= UInt64(tokenEvents)
                } else if slots[index].usage.promptTokens == nil {
                    result.responsesWithoutUsage &+= 1
                }
                let e2e = now &- slots[index].requestStartNanoseconds
                if keepsSamples { samples.append(e2e) }
                var ttft = e2e
                var tpot: UInt64?
                if tokenEvents > 0 { (ttft, tpot) = recordStreamTimes(index, now: now) }
                if objectives.enabled, objectives.met(ttft: ttft, tpot: tpot, e2e: e2e) { result.goodRequests &+= 1 }
            }
            if now > lastCompletionNanoseconds { lastCompletionNanoseconds = now }
            publishProgress()
        }
        // A response that arrived before the whole request was written leaves the rest of the
        // request unsent; the connection cannot carry another request.
        let requestUnfinished = slots[index].phase == .sending
        if closeAfter || requestUnfinished || !slots[index].parser.keepAlive { closeConnection(index) }
        slots[index].phase = .idle
        requestEnded(index, now: now)
    }

    /// Why a 2xx OpenAI answer is not a success, if it is not: a body that is not JSON, or one with
    /// no choice, no text and no completion tokens.
    private mutating func contentFailure(_ index: Int) -> FailureClass? {
        if slots[index].parser.isEventStream {
            let tokens = slots[index].usage.completionTokens ?? slots[index].tokenEvents
            return tokens > 0 && slots[index].tokenEvents > 0 ? nil : .empty
        }
        guard slot(index).pointee.json.finish() else { return .invalidJSON }
        guard slots[index].choices.hasChoice, (slots[index].usage.completionTokens ?? 1) > 0 else { return .empty }
        return nil
    }

    /// TTFT = first text event - send start; TPOT = (E2E - TTFT) / (output tokens - 1), with the
    /// output tokens from the usage chunk when the server sent one (definitions of vLLM's
    /// benchmark_serving).
    /// Returns the TTFT and TPOT (0 for a single token, which has no gap), for the goodput check.
    private mutating func recordStreamTimes(_ index: Int, now: UInt64) -> (ttft: UInt64, tpot: UInt64) {
        result.streamedResponses &+= 1
        let first = slots[index].firstTokenNanoseconds
        let ttft = first &- slots[index].requestStartNanoseconds
        result.timeToFirstToken.record(nanoseconds: ttft)
        let outputTokens = slots[index].usage.completionTokens ?? slots[index].tokenEvents
        var tpot: UInt64 = 0
        if outputTokens > 1 {
            tpot = (now &- first) / UInt64(outputTokens - 1)
            result.timePerOutputToken.record(nanoseconds: tpot)
        }
        return (ttft, tpot)
    }

    private mutating func fail(_ index: Int, _ failure: FailureClass, now: UInt64, errno: Int32 = 0) {
        inFlight -= 1
        if index == exampleSlot { finishExample(index, completed: false) }
        if !slots[index].isWarmup {
            result.failures.add(failure)
            failedCount += 1
            // A timeout or a failed connect ends when the client's timer says, not the server.
            if failure != .timeout, failure != .connect, now > lastCompletionNanoseconds { lastCompletionNanoseconds = now }
            publishProgress()
        }
        if failure == .connect, result.firstConnectErrno == nil, errno != 0 { result.firstConnectErrno = errno }
        closeConnection(index)
        if failure == .connect {
            // Back off before the next attempt; give up entirely when no connection of this loop
            // has ever worked and every one has failed, so a dead server ends the run promptly.
            let delay = slots[index].retryDelayNanoseconds == 0
                ? Self.firstRetryDelay : min(slots[index].retryDelayNanoseconds * 2, Self.maxRetryDelay)
            slots[index].retryDelayNanoseconds = delay
            slots[index].retryAtNanoseconds = now &+ delay
            slots[index].phase = .backoff
            backoffCount += 1
            if !everConnected {
                connectFailuresBeforeAnySuccess += 1
                // Open loop: idle slots never tried would keep the closed-loop rule from firing, so
                // a server that refused every one of the first attempts ends the run too.
                if allSlotsFailedToConnect || (schedule != nil && connectFailuresBeforeAnySuccess >= min(slotCount, 8)) {
                    stopping = true
                }
            }
            return
        }
        slots[index].phase = .idle
        requestEnded(index, now: now)
    }

    private var allSlotsFailedToConnect: Bool {
        for index in 0..<slotCount where slots[index].phase != .backoff && slots[index].phase != .finished {
            return false
        }
        return true
    }

    private mutating func closeConnection(_ index: Int) {
        guard slots[index].fd >= 0 else { return }
        FileDescriptor(rawValue: slots[index].fd).close()
        slots[index].fd = -1
        slots[index].watchingWritable = false
    }

    private func publishProgress() {
        progress.completed.store(completedCount, ordering: .relaxed)
        progress.failed.store(failedCount, ordering: .relaxed)
    }

    // MARK: Timers

    /// Times out requests and connects, retries backed-off connections, and ends the drain.
    private mutating func sweep(now: UInt64) {
        nextSweepNanoseconds = now + Self.sweepInterval
        let drainOver: Bool
        if schedule == nil {
            if !stopping, now >= endNanoseconds, minimumRemaining <= 0 { beginStopping(now: now) }
            drainOver = stopping && durationNanoseconds != nil && now >= endNanoseconds &+ drainNanoseconds
        } else {
            // Open loop: arrivals scheduled before the end may still be waiting for a free
            // connection; they start until the drain is over, then nothing more does.
            drainOver = durationNanoseconds != nil && now >= endNanoseconds &+ drainNanoseconds
            if drainOver { stopping = true }
        }
        for index in 0..<slotCount {
            switch slots[index].phase {
            case .connecting:
                if now >= slots[index].deadlineNanoseconds {
                    fail(index, .connect, now: now, errno: CEpoll_ETIMEDOUT)
                } else if drainOver {
                    cancel(index)
                }
            case .sending, .awaitingResponse:
                if now >= slots[index].deadlineNanoseconds {
                    fail(index, .timeout, now: now)
                } else if drainOver {
                    cancel(index)
                }
            case .backoff:
                if stopping {
                    slots[index].phase = .finished
                    backoffCount -= 1
                } else if now >= slots[index].retryAtNanoseconds {
                    slots[index].phase = .idle
                    backoffCount -= 1
                    requestEnded(index, now: now)
                }
            case .idle, .finished:
                break
            }
        }
    }

    private mutating func cancel(_ index: Int) {
        inFlight -= 1
        if index == exampleSlot { finishExample(index, completed: false) }
        if !slots[index].isWarmup {
            result.failures.add(.cancelled)
            failedCount += 1
        }
        closeConnection(index)
        slots[index].phase = .finished
    }

    /// Ctrl-C or an internal failure: every request in flight is counted as cancelled.
    private mutating func cancelAll() {
        stopping = true
        if sendingEndedNanoseconds == 0 {
            sendingEndedNanoseconds = Clock.monotonicNanoseconds()
            sendingEndedByInterrupt = true
        }
        for index in 0..<slotCount {
            if slots[index].hasRequestInFlight { cancel(index) }
            closeConnection(index)
            if slots[index].phase == .backoff {
                slots[index].phase = .finished
                backoffCount -= 1
            }
        }
    }
}
