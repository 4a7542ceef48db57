/// The one path by which every started request ends.
extension ClientEventLoop {
    /// Ends the request on `index` at `now`: books it once (in-flight count, error example,
    /// warmup test, success or failure), closes the connection if it cannot carry another
    /// request, and moves the slot on: to its next request, to a connect backoff, or to the end.
    mutating func finish(_ index: Int, _ ending: RequestEnding, now: UInt64) {
        let slot = slots[index]
        let succeeded = tally.ended(slot, index: index, ending, now: now)
        var sessionGoesOn = false
        if let sessions {
            sessionGoesOn = sessionTurnEnded(sessions, index, ending, succeeded: succeeded)
            if !sessionGoesOn, quota != .max { quota += sessions.returnReservedTurns(index) }
        }
        slot.pointee.availableSinceNanoseconds = now
        switch ending {
        case .response(let closeAfter):
            // A response that arrived before the whole request was written leaves the rest of the
            // request unsent; the connection cannot carry another request.
            // Without keep-alive the request asked for the close; a server that kept the
            // connection anyway does not get a second request on it.
            let requestUnfinished = slot.pointee.phase == .sending
            if closeAfter || requestUnfinished || !(slot.pointee.parser.keepAlive && plan.keepAlive) { closeConnection(index) }
        case .failure(let failure, _):
            closeConnection(index)
            // A connection that could not be set up, TCP or TLS, waits before it tries again, and
            // counts towards "no connection ever worked" (a verification failure: one clear error).
            if failure == .connect || failure == .tls {
                backoff.failed(slot, now: now)
                if !backoff.everConnected,
                   pacing.givesUpConnecting(failuresBeforeAnySuccess: backoff.failuresBeforeAnySuccess,
                                            slotCount: slots.count, allSlotsFailed: allSlotsFailedToConnect) {
                    stopping = true
                }
                return
            }
        case .cancelled:
            closeConnection(index)
            slot.pointee.phase = .finished
            return
        }
        slot.pointee.phase = .idle
        // A run that is stopping sends no next turn: the claim fails at once and cuts it short.
        if sessionGoesOn, !stopping, let sessions, sessions.thinkTimeNanoseconds > 0 {
            sessions.think(index, until: now &+ sessions.thinkTimeNanoseconds)
            return
        }
        pacing.requestEnded(index, in: &slots)
    }

    private var allSlotsFailedToConnect: Bool {
        for index in slots.indices where slots[index].pointee.phase != .backoff && slots[index].pointee.phase != .finished {
            return false
        }
        return true
    }

    func closeConnection(_ index: Int) {
        let slot = slots[index]
        guard slot.pointee.fd >= 0 else { return }
        if let tls { tls.endSession(index) }
        FileDescriptor(rawValue: slot.pointee.fd).close()
        slot.pointee.fd = -1
        slot.pointee.watchingWritable = false
    }
}
