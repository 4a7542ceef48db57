import Glibc

/// The sessions of one event loop: per connection slot, the conversation it is in, which turn,
/// and the request buffer its history grows in; and the queue of sessions thinking before their
/// next turn. Everything is allocated when the loop is made; a turn's request is written in place
/// (`beginTurn`), the answer copied in as it arrives (`capture`), so the hot path allocates
/// nothing. The loop frees it (`deallocate`).
///
/// How a session moves: `beginTurn` when the loop starts a request on the slot (a new session
/// after the last one ended); `turnEnded` when that request has its outcome, which says whether
/// the session goes on. A turn that fails ends its session (the rest of its turns are never sent,
/// `SessionCounts.turnsNotSent`); a run that stops ends the sessions in progress (`cutShort`).
struct SessionTable {
    struct Slot {
        var buffer: UnsafeMutableRawPointer
        /// The conversation in progress, or -1: the next request starts a new session.
        var conversation = -1
        /// The turn of the request in flight (or last sent).
        var turn = 0
        /// Later turns of the session already taken from the loop's request quota.
        var reservedTurns = 0
        /// Where the messages end in the buffer: the tail (`]` and the options) starts here.
        var historyEnd = 0
        /// The request's bytes in the buffer (the head is written right before the body).
        var requestStart = 0
        var requestEnd = 0
        /// When a thinking session's next turn is due.
        var thinkEndNanoseconds: UInt64 = 0
        var capture = AnswerTextCapture()
    }

    /// Per-loop state, in one allocation: what sessions have done, and the thinking queue.
    struct State {
        var counts = SessionCounts()
        /// Per turn number k: [2k] the user-text tokens, [2k + 1] the max_tokens the measured
        /// successes of turn k asked for. Here, not in the table: the table is copied out of
        /// its optional at every `if let sessions` of the loop, on every request of any run, so
        /// it stays small (two more words cost the single-turn path ~8 instructions a request).
        var requested: UnsafeMutablePointer<UInt64>
        var turnNumbers: Int
        var started = 0
        /// A FIFO of slots: the think time is the same for all, so they become due in order.
        var thinkingHead = 0
        var thinkingCount = 0
    }

    /// The script's raw layout (the loop's plan keeps the script, and so this memory, alive): a
    /// class reference here would be retained and released wherever the loop reads its table.
    private let script: UnsafeMutablePointer<SessionScript.Layout>
    private let slots: UnsafeMutablePointer<Slot>
    private let thinking: UnsafeMutablePointer<Int32>
    private let state: UnsafeMutablePointer<State>
    private let slotCount: Int
    private let loop: Int
    private let loops: Int

    init(script source: SessionScript, slots count: Int, loop: Int, loops: Int) {
        script = UnsafeMutablePointer<SessionScript.Layout>.allocate(capacity: 1)
        script.initialize(to: source.layout)
        slotCount = count
        self.loop = loop
        self.loops = loops
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(count, 1))
        for index in 0..<count {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: script.pointee.capacity, alignment: 64)
            (slots + index).initialize(to: Slot(buffer: buffer))
        }
        thinking = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        state = UnsafeMutablePointer<State>.allocate(capacity: 1)
        let turnNumbers = source.longestSession
        let requested = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * max(turnNumbers, 1))
        requested.initialize(repeating: 0, count: 2 * max(turnNumbers, 1))
        state.initialize(to: State(requested: requested, turnNumbers: turnNumbers))
    }

    func deallocate() {
        for index in 0..<slotCount { slots[index].buffer.deallocate() }
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        thinking.deallocate()
        state.pointee.requested.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        script.deinitialize(count: 1)
        script.deallocate()
    }

    var counts: SessionCounts { state.pointee.counts }

    /// The request of the turn in flight on `index`.
    @inline(__always)
    func request(_ index: Int) -> UnsafeRawBufferPointer {
        let slot = slots + index
        return UnsafeRawBufferPointer(start: slot.pointee.buffer + slot.pointee.requestStart,
                                      count: slot.pointee.requestEnd - slot.pointee.requestStart)
    }

    func inProgress(_ index: Int) -> Bool { slots[index].conversation >= 0 }

    // MARK: The request quota

    /// A request count counts turns, but a session takes all of its turns from the quota when it
    /// starts (as many as are left), so `-n` a multiple of the turns runs whole sessions whatever
    /// order the connections finish in; its later turns then start even with the quota spent.
    @inline(__always)
    func hasReservedTurn(_ index: Int) -> Bool { slots[index].conversation >= 0 && slots[index].reservedTurns > 0 }

    /// The turn just begun on `index` (`beginTurn`) is measured: how much it takes from `quota`.
    @inline(__always)
    func quotaTaken(_ index: Int, quota: Int) -> Int {
        let slot = slots + index
        if slot.pointee.turn == 0 {
            let taken = min(script.pointee.turnCount(slot.pointee.conversation), quota)
            slot.pointee.reservedTurns = taken - 1
            return taken
        }
        if slot.pointee.reservedTurns > 0 {
            slot.pointee.reservedTurns -= 1
            return 0
        }
        // A session begun in the warmup took nothing ahead: each measured turn takes its own.
        return 1
    }

    /// The session on `index` ended early: the turns it took ahead and will not send go back.
    @inline(__always)
    func returnReservedTurns(_ index: Int) -> Int {
        let reserved = slots[index].reservedTurns
        slots[index].reservedTurns = 0
        return reserved
    }

    // MARK: Writing a turn

    /// Writes the next turn's request on `index` (the first of a new session when none is in
    /// progress), its user turn numbered `number`; returns the turn (0 first).
    @inline(__always)
    func beginTurn(_ index: Int, number: Int) -> Int {
        let slot = slots + index
        let buffer = slot.pointee.buffer
        var at: Int
        if slot.pointee.conversation < 0 {
            let conversations = script.pointee.conversationCount
            slot.pointee.conversation = conversations == 1 ? 0 : (loop &+ loops &* state.pointee.started) % conversations
            state.pointee.started &+= 1
            state.pointee.counts.started &+= 1
            slot.pointee.turn = 0
            at = script.pointee.bodyStart
            at = put(script.pointee.bodyPrefix, buffer, at)
            at = put(script.pointee.opening(of: script.pointee.turn(slot.pointee.conversation, 0)), buffer, at)
            at = put(SessionScript.userOpen, buffer, at)
        } else {
            // The answer to the previous turn is in place after the assistant's opening.
            at = put(SessionScript.assistantOpen, buffer, slot.pointee.historyEnd)
            at += slot.pointee.capture.count
            at = put(SessionScript.assistantToUser, buffer, at)
            slot.pointee.turn &+= 1
        }
        let turns = script.pointee.turnCount(slot.pointee.conversation)
        let turn = script.pointee.turn(slot.pointee.conversation, slot.pointee.turn)
        let text = script.pointee.text(of: turn)
        memcpy(buffer + at, text.baseAddress!, text.count)
        if turn.numberOffset >= 0 {
            PromptHeader.write(UInt64(truncatingIfNeeded: number), positions: PromptHeader.nonceSymbols, count: PromptHeader.numberSymbols,
                               into: UnsafeMutableRawBufferPointer(start: buffer + at + turn.numberOffset, count: PromptHeader.numberSymbols), at: 0)
        }
        at += text.count
        at = put(SessionScript.userClose, buffer, at)
        slot.pointee.historyEnd = at
        let end = put(script.pointee.tail(of: turn), buffer, at)
        writeHead(slot, bodyLength: end - script.pointee.bodyStart)
        slot.pointee.requestEnd = end
        // The answer goes where the next request needs it; the last turn's is not kept.
        if slot.pointee.turn + 1 < turns {
            let answerStart = at + SessionScript.assistantOpen.utf8CodeUnitCount
            let reserved = script.pointee.reserved(slot.pointee.conversation, slot.pointee.turn)
            slot.pointee.capture.start(into: buffer + answerStart, limit: script.pointee.capacity - reserved - answerStart)
        } else {
            slot.pointee.capture = AnswerTextCapture()
        }
        return slot.pointee.turn
    }

    /// The head, right-aligned before the body, with the body's length as its Content-Length.
    @inline(__always)
    private func writeHead(_ slot: UnsafeMutablePointer<Slot>, bodyLength: Int) {
        let buffer = slot.pointee.buffer
        var at = script.pointee.bodyStart - script.pointee.headSuffix.count
        _ = put(script.pointee.headSuffix, buffer, at)
        var length = bodyLength
        repeat {
            at -= 1
            buffer.storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: length % 10), toByteOffset: at, as: UInt8.self)
            length /= 10
        } while length > 0
        at -= script.pointee.headPrefix.count
        _ = put(script.pointee.headPrefix, buffer, at)
        slot.pointee.requestStart = at
    }

    @inline(__always)
    private func put(_ bytes: UnsafeRawBufferPointer, _ buffer: UnsafeMutableRawPointer, _ at: Int) -> Int {
        memcpy(buffer + at, bytes.baseAddress!, bytes.count)
        return at + bytes.count
    }

    /// The wrapping between messages, static bytes.
    @inline(__always)
    private func put(_ bytes: StaticString, _ buffer: UnsafeMutableRawPointer, _ at: Int) -> Int {
        memcpy(buffer + at, bytes.utf8Start, bytes.utf8CodeUnitCount)
        return at + bytes.utf8CodeUnitCount
    }

    // MARK: Reading the answer

    /// A piece of the response body on `index`: its answer text is copied into the history.
    /// False when the answer outgrew its room (the turn fails as `answerTooLong`).
    @inline(__always)
    func capture(_ index: Int, _ piece: UnsafeRawBufferPointer) -> Bool {
        slots[index].capture.scan(piece)
    }

    // MARK: Ending a turn

    /// The turn on `index` succeeded, measured: counts what it asked for under its turn number.
    @inline(__always)
    func countRequested(_ index: Int) {
        let slot = slots + index
        guard slot.pointee.conversation >= 0 else { return }
        let turn = script.pointee.turn(slot.pointee.conversation, slot.pointee.turn)
        let requested = state.pointee.requested
        requested[2 * slot.pointee.turn] &+= UInt64(turn.userTokens)
        requested[2 * slot.pointee.turn + 1] &+= UInt64(turn.maxTokens)
    }

    /// After the run: what the turns asked for, into the loop's result (per turn, and the
    /// run's requested output tokens).
    func addRequested(to result: inout RunResult) {
        let requested = state.pointee.requested
        for number in 0..<min(state.pointee.turnNumbers, result.turns.count) {
            result.turns[number].requestedUserTokens &+= requested[2 * number]
            result.turns[number].requestedOutputTokens &+= requested[2 * number + 1]
            result.requestedOutputTokens &+= requested[2 * number + 1]
        }
    }

    /// How a turn ended, for its session.
    enum TurnOutcome {
        case succeeded
        case failed
        /// Cancelled by the run's stop: the session is cut short, not failed.
        case cancelled
    }

    /// The turn on `index` ended: true when its session goes on to another turn.
    @inline(__always)
    func turnEnded(_ index: Int, _ outcome: TurnOutcome) -> Bool {
        let slot = slots + index
        guard slot.pointee.conversation >= 0 else { return false }
        let left = script.pointee.turnCount(slot.pointee.conversation) - slot.pointee.turn - 1
        switch outcome {
        case .succeeded:
            if left > 0 { return true }
            state.pointee.counts.completed &+= 1
        case .failed:
            state.pointee.counts.stoppedByFailure &+= 1
            state.pointee.counts.turnsNotSent &+= UInt64(left)
        case .cancelled:
            state.pointee.counts.cutShort &+= 1
        }
        slot.pointee.conversation = -1
        return false
    }

    /// The session on `index` cannot go on: the run stopped between its turns.
    func cutShort(_ index: Int) {
        guard slots[index].conversation >= 0 else { return }
        slots[index].conversation = -1
        state.pointee.counts.cutShort &+= 1
    }

    // MARK: Thinking

    var thinkTimeNanoseconds: UInt64 { script.pointee.thinkTimeNanoseconds }
    var thinkingCount: Int { state.pointee.thinkingCount }

    /// The session on `index` thinks until `until` before its next turn.
    func think(_ index: Int, until: UInt64) {
        slots[index].thinkEndNanoseconds = until
        let tail = (state.pointee.thinkingHead + state.pointee.thinkingCount) % slotCount
        thinking[tail] = Int32(truncatingIfNeeded: index)
        state.pointee.thinkingCount += 1
    }

    /// When the first thinking session is due (.max: none thinks).
    var nextThinkEndNanoseconds: UInt64 {
        state.pointee.thinkingCount == 0 ? .max : slots[Int(thinking[state.pointee.thinkingHead])].thinkEndNanoseconds
    }

    /// The first thinking session if it is due at `now` (taken off the queue), with when it was due.
    func takeDue(now: UInt64) -> (index: Int, due: UInt64)? {
        guard state.pointee.thinkingCount > 0 else { return nil }
        let index = Int(thinking[state.pointee.thinkingHead])
        let due = slots[index].thinkEndNanoseconds
        guard due <= now else { return nil }
        state.pointee.thinkingHead = (state.pointee.thinkingHead + 1) % slotCount
        state.pointee.thinkingCount -= 1
        return (index, due)
    }

    /// The run stopped: every thinking session is cut short; returns their slots one by one.
    func takeAnyThinking() -> Int? {
        guard state.pointee.thinkingCount > 0 else { return nil }
        let index = Int(thinking[state.pointee.thinkingHead])
        state.pointee.thinkingHead = (state.pointee.thinkingHead + 1) % slotCount
        state.pointee.thinkingCount -= 1
        return index
    }
}

/// What the sessions of a run did. `started = completed + stoppedByFailure + cutShort` once the
/// run is over.
public struct SessionCounts: Sendable, Equatable {
    /// Sessions whose first turn was started (warmup included: a session may straddle its end).
    public var started: UInt64 = 0
    /// Sessions whose every turn succeeded.
    public var completed: UInt64 = 0
    /// Sessions ended by a failed turn (any failure class but `cancelled`).
    public var stoppedByFailure: UInt64 = 0
    /// Sessions the run's end stopped: a turn cancelled, or no turn left to the quota or duration.
    public var cutShort: UInt64 = 0
    /// Turns never sent because an earlier turn of their session failed.
    public var turnsNotSent: UInt64 = 0
    /// The plan's think time and turns per session (0: conversations of their own lengths).
    public var thinkTimeSeconds: Double = 0
    /// Turns per session (0: each conversation its own length).
    public var turnsPerSession = 0

    /// No sessions yet.
    public init() {}

    mutating func add(_ other: SessionCounts) {
        started += other.started
        completed += other.completed
        stoppedByFailure += other.stoppedByFailure
        cutShort += other.cutShort
        turnsNotSent += other.turnsNotSent
        thinkTimeSeconds = max(thinkTimeSeconds, other.thinkTimeSeconds)
        turnsPerSession = max(turnsPerSession, other.turnsPerSession)
    }

    /// Every started session ended in exactly one way.
    public var addUp: Bool { started == completed + stoppedByFailure + cutShort }
}
