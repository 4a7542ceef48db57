import Glibc
import HTTPWire

/// One thread's event loop: an epoll instance and the connections it owns, driven closed-loop or
/// open-loop (`Pacing`). This file is the loop itself: wait, dispatch each event to its
/// connection, sweep timeouts. Starting requests is in `ClientEventLoop+Requests.swift`, reading
/// responses in `+Responses.swift`, the one path by which every request ends in `+Finish.swift`.
///
/// The per-request path is: one `send` of the pre-serialized request, usually one `recvmsg` of
/// the whole response with the kernel's receive timestamp (`ReceiveClock`), one clock read at
/// that read (the client lag is the difference), and one at the next send.
/// Sockets are registered with epoll once, level-triggered for reading; write interest is added
/// only while a write would block, so a steady keep-alive request costs no `epoll_ctl`
/// (wrk spends two per request). Nothing on that path allocates, locks or builds a String.
///
/// Its parts are concrete structs, called directly (no protocol, no existential): the slots
/// (`SlotTable`), the pacing, the counts and measurements (`LoopTally`), the connect backoff,
/// the receive timestamps (`ReceiveClock`) and the loop's own load (`LoopLoadMeter`); per slot
/// the parser, the OpenAI checks (`OpenAIResponseCheck`) and the token timing. An https
/// run adds `LoopTLS` (sessions beside the slots, in `ClientEventLoop+TLS.swift`); each I/O call
/// tests once whether the loop has it, so plain HTTP takes the same path as before.
struct ClientEventLoop: ~Copyable {
    let plan: LoadPlanSnapshot
    let epoll: Epoll
    var slots: SlotTable
    let readBuffer: UnsafeMutableRawBufferPointer
    var pacing: Pacing
    var tally: LoopTally
    var backoff = ConnectBackoff()
    var receiveClock: ReceiveClock
    var loadMeter = LoopLoadMeter()
    var numbering: RequestNumbering
    let control: RunControl
    /// https only: the TLS sessions of the slots, the session cache, the write scratch.
    let tls: LoopTLS?
    /// Multi-turn runs only: each slot's session and request buffer, and the thinking queue.
    let sessions: SessionTable?

    /// Requests this loop may still start (its share of a request count, or unlimited).
    var quota: Int
    /// With a duration: requests still to start before the end may take effect.
    var minimumRemaining: Int
    var warmupEndNanoseconds: UInt64 = 0
    var endNanoseconds: UInt64 = .max
    var stopping = false
    var nextSweepNanoseconds: UInt64 = 0
    /// This loop's share of a warmup given as a request count (`LoadPlan.warmupRequests`).
    var warmupRemaining: Int

    /// How often timeouts and backoffs are checked.
    private static let sweepInterval: UInt64 = 20_000_000
    private static let readBufferSize = 64 * 1024
    /// epoll data of the deadline timer (slot indices are small).
    private static let timerToken = UInt64.max

    init(loop: Int, loops: Int, connections: Int, quota: Int, minimumRequests: Int, warmupRequests: Int = 0,
         plan: LoadPlanSnapshot, progress: LoopProgress, control: RunControl) throws(SystemError) {
        // Everything that can throw comes first: a noncopyable value cannot be left half-built.
        let poll = try Epoll(capacity: min(max(connections, 16), 4096))
        var timer: DeadlineTimer?
        if plan.arrivals != nil {
            let made = try DeadlineTimer()
            do {
                try poll.add(made.descriptor.rawValue, events: Epoll.readable, data: Self.timerToken)
            } catch {
                made.close()
                throw error
            }
            timer = made
        }
        epoll = poll
        self.plan = plan
        pacing = Pacing(plan, timer: timer)
        slots = SlotTable(count: connections)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 64)
        receiveClock = ReceiveClock(source: plan.timestamps)
        numbering = RequestNumbering(loop: loop, loops: loops)
        self.quota = quota
        minimumRemaining = minimumRequests
        warmupRemaining = warmupRequests
        self.control = control
        tally = LoopTally(progress: progress, plan: plan, quota: quota)
        tls = plan.tls.map { LoopTLS(slots: connections, openSSL: $0.context.openSSL) }
        sessions = plan.sessions.map { SessionTable(script: $0, slots: connections, loop: loop, loops: loops) }
    }

    deinit {
        // Sessions first (close_notify on sockets still open); the slots close the sockets after.
        tls?.close()
        readBuffer.deallocate()
        receiveClock.deallocate()
        pacing.close()
        sessions?.deallocate()
    }

    /// Runs until every request of the quota (or of the duration) has ended in an outcome.
    mutating func run() -> RunResult {
        let now = Clock.monotonicNanoseconds()
        warmupEndNanoseconds = now + plan.warmupNanoseconds
        if let durationNanoseconds = plan.durationNanoseconds { endNanoseconds = warmupEndNanoseconds + durationNanoseconds }
        // A warmup by count: the duration starts at the first measured send (far off until then,
        // yet far from UInt64.max, which the drain arithmetic adds to).
        if warmupRemaining > 0, plan.durationNanoseconds != nil { endNanoseconds = UInt64.max / 2 }
        tally.begin(warmup: plan.warmupNanoseconds > 0 || warmupRemaining > 0)
        loadMeter.begin(now: now)
        nextSweepNanoseconds = now + Self.sweepInterval
        startFirstRequests(now: now)

        while tally.inFlight > 0
                || pacing.hasRequestsToStart(stopping: stopping, quota: quota, connectionsBackingOff: backoff.waiting)
                || (sessions?.thinkingCount ?? 0) > 0 {
            let ready: Int
            do {
                ready = try epoll.wait(timeoutMilliseconds: nextWaitMilliseconds())
            } catch {
                // epoll_wait fails only on programming errors (EBADF, EINVAL); end the run honestly.
                cancelAll()
                break
            }
            loadMeter.waited(ready: ready, capacity: epoll.capacity)
            if ready > 0 {
                if plan.injectedBatchDelayNanoseconds > 0 { ProcessResources.sleep(nanoseconds: plan.injectedBatchDelayNanoseconds) }
                receiveClock.batchBegins()
            }
            for event in 0..<ready {
                let data = epoll.data(at: event)
                if data == Self.timerToken {
                    pacing.acknowledgeTimer()
                    continue
                }
                handle(slot: Int(truncatingIfNeeded: data), flags: epoll.flags(at: event))
            }
            // The next requests of the connections that completed in this batch go out together,
            // as wrk's do: the server then finds them in one epoll_wait instead of being woken for
            // each, which at thousands of connections costs it microseconds per request.
            if slots.deferredCount > 0 { startDeferred() }
            let now = Clock.monotonicNanoseconds()
            if let sessions, sessions.nextThinkEndNanoseconds <= now { resumeThinkingSessions(sessions, now: now) }
            if now >= nextSweepNanoseconds {
                sweep(now: now)
                if slots.deferredCount > 0 { startDeferred() }
            }
            startDueArrivals(now: now)
            if control.cancelled.load(ordering: .relaxed) {
                cancelAll()
                break
            }
        }
        tally.publishProgress()
        var result = tally.finished()
        if let sessions {
            result.sessions?.add(sessions.counts)
            sessions.addRequested(to: &result)
        }
        result.loopLoads = [loadMeter.finished()]
        pacing.record(into: &result, durationNanoseconds: plan.durationNanoseconds)
        return result
    }

    @inline(__always)
    private func nextWaitMilliseconds() -> Int32 {
        let now = Clock.monotonicNanoseconds()
        var until = nextSweepNanoseconds
        if pacing.stopsAtEndByClock, !stopping, minimumRemaining <= 0, endNanoseconds < until { until = endNanoseconds }
        if let sessions { until = min(until, sessions.nextThinkEndNanoseconds) }
        if until <= now { return 0 }
        return Int32(min((until - now + 999_999) / 1_000_000, 1000))
    }

    /// An epoll event on a connection.
    private mutating func handle(slot index: Int, flags: UInt32) {
        let slot = slots[index]
        switch slot.pointee.phase {
        case .connecting:
            let error = Socket.pendingError(FileDescriptor(rawValue: slot.pointee.fd))
            if error == 0 {
                tcpConnected(index, now: Clock.monotonicNanoseconds())
            } else {
                finish(index, .failure(.connect, errno: error), now: Clock.monotonicNanoseconds())
            }
        case .handshaking:
            if let tls { continueHandshake(index, tls) }
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
            // (Over TLS the event may be a late session ticket, which keeps the connection.)
            if let tls { idleTLSEvent(index, tls) } else { closeConnection(index) }
        }
    }

    // MARK: Timers

    /// Times out requests and connects, retries backed-off connections, and ends the drain.
    private mutating func sweep(now: UInt64) {
        nextSweepNanoseconds = now + Self.sweepInterval
        if pacing.stopsAtEndByClock, !stopping, now >= endNanoseconds, minimumRemaining <= 0 { beginStopping(now: now) }
        let drainEnded = plan.durationNanoseconds != nil && now >= endNanoseconds &+ plan.drainNanoseconds
        let drainOver: Bool
        if pacing.stopsAtEndByClock {
            drainOver = stopping && drainEnded
        } else {
            // Open loop: arrivals scheduled before the end may still be waiting for a free
            // connection; they start until the drain is over, then nothing more does.
            drainOver = drainEnded
            if drainOver { stopping = true }
        }
        for index in slots.indices {
            let slot = slots[index]
            switch slot.pointee.phase {
            case .connecting:
                if now >= slot.pointee.deadlineNanoseconds {
                    finish(index, .failure(.connect, errno: ETIMEDOUT), now: now)
                } else if drainOver {
                    finish(index, .cancelled, now: now)
                }
            case .handshaking:
                // The connect timeout covers TCP and TLS: a peer that accepts and never answers
                // the ClientHello (a plain-HTTP server waiting for a request) ends here.
                if now >= slot.pointee.deadlineNanoseconds {
                    handshakeTimedOut(index, now: now)
                } else if drainOver {
                    finish(index, .cancelled, now: now)
                }
            case .sending, .awaitingResponse:
                if now >= slot.pointee.deadlineNanoseconds {
                    finish(index, .failure(.timeout, errno: 0), now: now)
                } else if drainOver {
                    finish(index, .cancelled, now: now)
                }
            case .backoff:
                if stopping {
                    backoff.end(slot, to: .finished)
                } else if now >= slot.pointee.retryAtNanoseconds {
                    backoff.end(slot, to: .idle)
                    slot.pointee.availableSinceNanoseconds = now
                    pacing.requestEnded(index, in: &slots)
                }
            case .idle, .finished:
                break
            }
        }
    }

    /// Ctrl-C or an internal failure: every request in flight is counted as cancelled.
    private mutating func cancelAll() {
        stopping = true
        endThinkingSessions()
        let now = Clock.monotonicNanoseconds()
        tally.sendingEnded(at: now, byInterrupt: true)
        for index in slots.indices {
            let slot = slots[index]
            if slot.pointee.hasRequestInFlight { finish(index, .cancelled, now: now) }
            closeConnection(index)
            if slot.pointee.phase == .backoff { backoff.end(slot, to: .finished) }
        }
    }
}
