/// Multi-turn sessions in the event loop (`SessionTable`): a turn's outcome decides whether its
/// session goes on; a session that goes on thinks before its next turn, on this loop's clock.
///
/// The think time needs no timer of its own: every session thinks the same time, so the queue is
/// in order of due times, and the loop's wait ends at the first (`nextWaitMilliseconds`, in whole
/// milliseconds: a turn goes out at most about a millisecond late, which the client send lag shows).
extension ClientEventLoop {
    /// The request on `index` ended as `ending` (a success or not): tells its session, and
    /// returns whether the session goes on to its next turn.
    @inline(__always)
    func sessionTurnEnded(_ sessions: SessionTable, _ index: Int, _ ending: RequestEnding, succeeded: Bool) -> Bool {
        let outcome: SessionTable.TurnOutcome
        if succeeded {
            outcome = .succeeded
            // What a measured success asked for is counted per turn (the run's one template
            // cannot say: each turn of a dataset session asks for its own max_tokens).
            if !slots[index].pointee.isWarmup { sessions.countRequested(index) }
        } else if case .cancelled = ending {
            outcome = .cancelled
        } else {
            outcome = .failed
        }
        return sessions.turnEnded(index, outcome)
    }

    /// Sends the next turn of every session whose think time is over at `now`. The client's send
    /// lag counts from the end of the think time, so it is the loop's lateness only.
    mutating func resumeThinkingSessions(_ sessions: SessionTable, now: UInt64) {
        var now = now
        while let (index, due) = sessions.takeDue(now: now) {
            slots[index].pointee.availableSinceNanoseconds = due
            startNextRequest(index, now: now)
            now = Clock.monotonicNanoseconds()
        }
    }

    /// The run stops: the sessions between turns will send no more.
    mutating func endThinkingSessions() {
        guard let sessions else { return }
        while let index = sessions.takeAnyThinking() {
            sessions.cutShort(index)
            closeConnection(index)
            slots[index].pointee.phase = .finished
        }
    }
}
