/// Starting requests: claiming one from the quota or the schedule, connecting, sending.
extension ClientEventLoop {
    /// The run starts at `now`: closed loop starts every connection's first request; open loop
    /// frees every slot and starts the arrivals that are due.
    mutating func startFirstRequests(now: UInt64) {
        switch pacing {
        case .closed:
            for index in slots.indices { startNextRequest(index, now: now) }
        case .open(let open):
            open.pointee.start(now: now, measuredFrom: warmupEndNanoseconds, loop: numbering.loop, loops: numbering.loops)
            for index in stride(from: slots.count - 1, through: 0, by: -1) { slots.release(index) }
            startDueArrivals(now: now)
        }
    }

    // MARK: Closed loop

    /// Claims the next request for this slot if any remain, and connects or sends.
    mutating func startNextRequest(_ index: Int, now: UInt64) {
        guard claimRequest(index, now: now) else {
            sessions?.cutShort(index)
            closeConnection(index)
            slots[index].pointee.phase = .finished
            return
        }
        // On a kept connection, the think time since the previous response is the client's.
        let slot = slots[index]
        if slot.pointee.fd >= 0 { tally.clientSendLag(slot, since: slot.pointee.availableSinceNanoseconds, now: now) }
        dispatch(index, now: now)
    }

    /// Takes one request from the quota. Stops at the end of the duration, on cancel, or when the
    /// quota is spent.
    private mutating func claimRequest(_ index: Int, now: UInt64) -> Bool {
        if stopping || quota == 0 && !(sessions?.hasReservedTurn(index) ?? false) { return false }
        if now >= endNanoseconds, minimumRemaining <= 0 {
            beginStopping(now: now)
            return false
        }
        beginRequest(index, startedAt: now, now: now)
        return true
    }

    /// Starts the next requests of the slots whose request ended in the batch just handled.
    mutating func startDeferred() {
        // Each send gets its own clock reading: at 2,000 connections the last of a batch goes out
        // milliseconds after the first, and that wait is the client's, not the server's.
        while slots.deferredCount > 0 {
            startNextRequest(slots.takeDeferred(), now: Clock.monotonicNanoseconds())
        }
    }

    mutating func beginStopping(now: UInt64) {
        guard !stopping else { return }
        stopping = true
        tally.sendingEnded(at: now, byInterrupt: false)
        endThinkingSessions()
        // In-flight requests get the drain time to finish; the sweep cancels what is left.
        endNanoseconds = now
    }

    // MARK: Open loop

    /// Starts every arrival whose time has come, while a slot is free; then arms the timer for the
    /// next one. Arrivals that find no free slot wait (their latency keeps counting from their
    /// scheduled time) until a request ends and frees one. Latency and TTFT count from the
    /// scheduled time; how late the request starts is the send lag.
    mutating func startDueArrivals(now: UInt64) {
        guard case .open(let open) = pacing else { return }
        while !stopping, !open.pointee.exhausted {
            let due = open.pointee.nextArrivalNanoseconds
            if quota == 0 || (due >= endNanoseconds && minimumRemaining <= 0) {
                if quota != 0 { tally.sendingEnded(at: endNanoseconds, byInterrupt: false) }
                open.pointee.exhausted = true
                return
            }
            guard slots.freeCount > 0 else { return }
            if due > now {
                open.pointee.timer.arm(at: due)
                return
            }
            let index = slots.takeFree()
            open.pointee.advance()
            beginRequest(index, startedAt: due, now: now)
            let slot = slots[index]
            if !slot.pointee.isWarmup {
                tally.sendLag(now &- due)
                open.pointee.lastSendNanoseconds = now
            }
            // Waiting for a free connection is the server's doing; only the rest is the client's.
            tally.clientSendLag(slot, since: max(due, slot.pointee.availableSinceNanoseconds), now: now)
            dispatch(index, now: now)
        }
    }

    // MARK: Either

    /// Counts a request as started on `index` (in the warmup if it started before the warmup's
    /// end) and numbers it. `startedAt` is when its latency starts: now in closed loop, the
    /// scheduled time in open loop.
    @inline(__always)
    private mutating func beginRequest(_ index: Int, startedAt: UInt64, now: UInt64) {
        let slot = slots[index]
        var warmup = startedAt < warmupEndNanoseconds
        if warmupRemaining > 0 {
            warmupRemaining -= 1
            warmup = true
        }
        let number = numbering.next()
        // Warmup requests are extra: a request count applies to the measured window.
        if let sessions {
            slot.pointee.turn = sessions.beginTurn(index, number: number)
            if quota != .max, !warmup { quota -= sessions.quotaTaken(index, quota: quota) }
        } else if quota != .max, !warmup {
            quota -= 1
        }
        let templateCount = plan.requests.templates.count
        slot.pointee.template = templateCount == 1 ? 0 : number % templateCount
        if plan.requests.templates[slot.pointee.template].counterOffset >= 0 { slot.pointee.number.set(number) }
        slot.pointee.isWarmup = warmup
        slot.pointee.requestStartNanoseconds = startedAt
        if tally.started(slot, now: now), tally.result.warmupRequests > 0, plan.warmupNanoseconds == 0,
           let durationNanoseconds = plan.durationNanoseconds {
            // A warmup by request count ends here: the duration counts from the first measured send.
            endNanoseconds = now &+ durationNanoseconds
            pacing.measuredWindowStarts(at: now)
        }
        if !warmup { minimumRemaining -= 1 }
    }

    /// Sends the claimed request on the slot's connection, or connects first.
    private mutating func dispatch(_ index: Int, now: UInt64) {
        let slot = slots[index]
        if slot.pointee.fd >= 0 {
            slot.pointee.phase = .sending
            slot.pointee.writeOffset = 0
            slot.pointee.deadlineNanoseconds = now &+ plan.requestTimeoutNanoseconds
            slot.pointee.prepareForResponse()
            sendRequest(index)
        } else {
            connect(index, now: now)
        }
    }

    private mutating func connect(_ index: Int, now: UInt64) {
        let slot = slots[index]
        slot.pointee.deadlineNanoseconds = now &+ min(plan.connectTimeoutNanoseconds, plan.requestTimeoutNanoseconds)
        let fd: FileDescriptor
        do {
            fd = try Socket.makeTCP(family: plan.address.family)
        } catch {
            finish(index, .failure(.connect, errno: error.errno), now: now)
            return
        }
        slot.pointee.fd = fd.rawValue
        Socket.enableReceiveTimestamps(fd)
        do {
            try epoll.add(fd.rawValue, events: Epoll.readable | Epoll.writable, data: UInt64(index))
        } catch {
            finish(index, .failure(.connect, errno: error.errno), now: now)
            return
        }
        slot.pointee.watchingWritable = true
        slot.pointee.prepareForResponse()
        slot.pointee.writeOffset = 0
        slot.pointee.connectStartedNanoseconds = now
        switch Socket.startConnect(fd, to: plan.address) {
        case .connected:
            tcpConnected(index, now: now)
        case .inProgress:
            slot.pointee.phase = .connecting
        case .failed(let errno):
            finish(index, .failure(.connect, errno: errno), now: now)
        }
    }

    /// The TCP connect completed at `now`: https goes on to the handshake; plain HTTP sends.
    mutating func tcpConnected(_ index: Int, now: UInt64) {
        let slot = slots[index]
        tally.tcpConnected(nanoseconds: now &- slot.pointee.connectStartedNanoseconds)
        if let tls {
            startHandshake(index, tls, now: now)
            return
        }
        backoff.connected(slot)
        connected(index, now: now)
    }

    /// The connection can carry requests (TCP connected, and for https the handshake done).
    mutating func connected(_ index: Int, now: UInt64) {
        let slot = slots[index]
        tally.connectionOpened()
        slot.pointee.phase = .sending
        // The timeout runs from the claim; latency and TTFT run from the send start (as in
        // `vllm bench serve`'s definitions), so connection setup is not counted as server time.
        slot.pointee.deadlineNanoseconds = slot.pointee.requestStartNanoseconds &+ plan.requestTimeoutNanoseconds
        if pacing.timesFromSend { slot.pointee.requestStartNanoseconds = now }
        sendRequest(index)
    }

    /// Writes what is left of the request: one send, or one sendmsg around the request number.
    mutating func sendRequest(_ index: Int) {
        if let tls {
            sendTLSRequest(index, tls)
            return
        }
        let slot = slots[index]
        let offset = slot.pointee.writeOffset
        let template = plan.requests.templates[slot.pointee.template]
        let request = sessions?.request(index) ?? template.bytes
        let fd = FileDescriptor(rawValue: slot.pointee.fd)
        let outcome: IOOutcome
        if template.counterOffset < 0 {
            outcome = fd.send(UnsafeRawBufferPointer(rebasing: request[offset...]))
        } else {
            outcome = slot.pointee.number.send(request, counterOffset: template.counterOffset, from: offset, on: fd)
        }
        switch outcome {
        case .transferred(let count):
            tally.bytesSent(count)
            slot.pointee.writeOffset = offset + count
            if offset + count == request.count {
                slot.pointee.phase = .awaitingResponse
                if slot.pointee.watchingWritable { watchWritable(index, false) }
            } else if !slot.pointee.watchingWritable {
                watchWritable(index, true)
            }
        case .wouldBlock:
            if !slot.pointee.watchingWritable { watchWritable(index, true) }
        case .endOfFile, .failed:
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        }
    }

    mutating func watchWritable(_ index: Int, _ writable: Bool) {
        let events = writable ? Epoll.readable | Epoll.writable : Epoll.readable
        do {
            try epoll.modify(slots[index].pointee.fd, events: events, data: UInt64(index))
            slots[index].pointee.watchingWritable = writable
        } catch {
            finish(index, .failure(.connectionClosed, errno: 0), now: Clock.monotonicNanoseconds())
        }
    }
}
