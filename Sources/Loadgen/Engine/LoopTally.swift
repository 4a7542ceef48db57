import HTTPWire

/// How a request ended, as its loop books it.
enum RequestEnding {
    /// The whole response arrived; judged by its status and, for OpenAI workloads, its body.
    /// `closeAfter`: the connection cannot carry another request.
    case response(closeAfter: Bool)
    /// It failed before a whole response arrived (`errno`: a connect's, or 0).
    case failure(FailureClass, errno: Int32)
    /// Stopped by the loop: Ctrl-C, or still running when the drain ended.
    case cancelled

    var isResponse: Bool {
        if case .response = self { return true }
        return false
    }
}

/// What one event loop has counted and measured so far, and the one place where a request's start
/// and end are booked: the in-flight count, the warmup test, success or failure by class,
/// latencies and tokens, the error examples, and the progress the caller polls.
struct LoopTally {
    private(set) var result = RunResult()
    /// Requests started and not yet ended.
    private(set) var inFlight = 0
    private var completedCount = 0
    private var failedCount = 0
    /// The class `failed` booked last, for `requestRecords`.
    private var lastFailure: FailureClass?
    private(set) var firstSendNanoseconds: UInt64 = .max
    private(set) var lastCompletionNanoseconds: UInt64 = 0
    /// When this loop stopped starting requests because the duration ran out (or Ctrl-C): the
    /// measured window lasts at least until then (see `RunResult.WindowEnd`).
    private var sendingEndedNanoseconds: UInt64 = 0
    private var sendingEndedByInterrupt = false
    private var examples = ErrorExampleCapture()
    private let progress: LoopProgress
    // From the plan: what a success is booked against.
    private let requests: RequestSet
    private let objectives: ObjectiveLimits
    private let keepsSamples: Bool
    private let recordsRequests: Bool
    /// Multi-turn sessions: requests are also counted per turn (`ConnectionSlot.turn`).
    private let countsTurns: Bool

    /// `quota`: the requests the loop may start (`.max`: unlimited), to reserve room for samples.
    init(progress: LoopProgress, plan: LoadPlanSnapshot, quota: Int) {
        self.progress = progress
        requests = plan.requests
        objectives = plan.objectives
        keepsSamples = plan.keepsLatencySamples
        if keepsSamples, quota != .max { result.latencySamples.reserveCapacity(quota) }
        recordsRequests = plan.recordsRequests
        if recordsRequests, quota != .max { result.requestRecords.reserveCapacity(quota) }
        countsTurns = plan.sessions != nil
        if let sessions = plan.sessions {
            // One histogram pair per turn, each its own storage: nothing is copied on first write.
            result.turns = (0..<sessions.longestSession).map { _ in TurnResult() }
            result.sessions = SessionCounts()
            result.sessions?.thinkTimeSeconds = Double(sessions.thinkTimeNanoseconds) / 1e9
            result.sessions?.turnsPerSession = sessions.turnsPerSession
        }
    }

    /// Sending stopped at `now` (the duration ran out, or Ctrl-C): the first reason is kept.
    mutating func sendingEnded(at now: UInt64, byInterrupt: Bool) {
        guard sendingEndedNanoseconds == 0 else { return }
        sendingEndedNanoseconds = now
        sendingEndedByInterrupt = byInterrupt
    }

    /// The run starts: progress reports "measuring" at once when there is no warmup.
    func begin(warmup: Bool) {
        progress.measuring.store(!warmup, ordering: .relaxed)
    }

    /// A request starts on `slot` (its `isWarmup` already set); `now` is when it is sent.
    /// Returns true for the first measured send of this loop.
    @inline(__always)
    mutating func started(_ slot: UnsafeMutablePointer<ConnectionSlot>, now: UInt64) -> Bool {
        inFlight += 1
        if slot.pointee.isWarmup {
            result.warmupRequests &+= 1
            return false
        }
        result.requests &+= 1
        if countsTurns { result.turns[slot.pointee.turn].requests &+= 1 }
        guard now < firstSendNanoseconds else { return false }
        let first = firstSendNanoseconds == .max
        firstSendNanoseconds = now
        progress.measuring.store(true, ordering: .relaxed)
        return first
    }

    // MARK: Events of a request in flight

    mutating func bytesSent(_ count: Int) { result.bytesSent &+= UInt64(count) }
    mutating func bytesReceived(_ count: Int) { result.bytesReceived &+= UInt64(count) }
    mutating func connectionOpened() { result.connectionsOpened &+= 1 }
    mutating func tcpConnected(nanoseconds: UInt64) { result.tcpConnectTime.record(nanoseconds: nanoseconds) }

    /// A TLS handshake completed after `nanoseconds`, resuming a session or not.
    mutating func tlsHandshake(nanoseconds: UInt64, resumed: Bool) {
        result.tlsHandshakeTime.record(nanoseconds: nanoseconds)
        if resumed { result.tlsResumedHandshakes &+= 1 } else { result.tlsFullHandshakes &+= 1 }
    }

    /// A connection failed in TLS: the first reason is kept as the `tls` example (warmup too, so
    /// a run that never got past its warmup still says why). The text is built only then.
    mutating func tlsFailed(reason: () -> String) {
        if result.tlsFailureExample == nil { result.tlsFailureExample = reason() }
    }

    /// Open loop: the measured request on `slot` went out `lag` after its scheduled time.
    mutating func sendLag(_ lag: UInt64) { result.sendLag.record(nanoseconds: lag) }

    /// The request on `slot` goes out at `now`, though it could have at `since`: the client's
    /// own send lag (the think time, in closed loop).
    @inline(__always)
    mutating func clientSendLag(_ slot: UnsafeMutablePointer<ConnectionSlot>, since: UInt64, now: UInt64) {
        if !slot.pointee.isWarmup { result.clientSendLag.record(nanoseconds: now > since ? now - since : 0) }
    }

    /// A read at `now` returned bytes of the response on `slot` that the kernel received at
    /// `arrival` (nil: the read carried no timestamp): the wait between is the client lag.
    @inline(__always)
    mutating func read(_ slot: UnsafeMutablePointer<ConnectionSlot>, arrival: UInt64?, now: UInt64) {
        guard !slot.pointee.isWarmup else { return }
        if let arrival {
            result.clientLag.record(nanoseconds: now &- arrival)
        } else {
            result.readsWithoutKernelStamp &+= 1
        }
    }

    mutating func malformed(_ error: WireError) {
        if result.firstMalformed == nil { result.firstMalformed = error }
    }

    /// The head of the response on `index` is complete: an error status may become its example.
    mutating func headComplete(_ slot: UnsafeMutablePointer<ConnectionSlot>, index: Int) {
        let status = slot.pointee.parser.statusCode
        guard status >= 400, !slot.pointee.isWarmup else { return }
        examples.consider(index, status: status, examples: result.errorExamples)
    }

    /// A body piece of the response on `index`.
    @inline(__always)
    mutating func bodyPiece(_ piece: UnsafeRawBufferPointer, index: Int) {
        if index == examples.slot { examples.keep(piece) }
    }

    /// A token event of a streamed response: one per-chunk gap after the first, and its tokens'
    /// share of the time since the last chunk that added tokens (`TokenTiming`). `merged`: an
    /// earlier token event of the response came in the same read (`RunResult.mergedTokenChunks`).
    @inline(__always)
    mutating func tokenChunk(_ gaps: TokenChunkGaps, merged: Bool, slot: UnsafeMutablePointer<ConnectionSlot>) {
        guard !slot.pointee.isWarmup else { return }
        result.tokenChunks &+= 1
        if merged { result.mergedTokenChunks &+= 1 }
        if gaps.tokens > 1 { result.multiTokenChunks &+= 1 }
        if gaps.isFirst {
            // Tokens that came with the first: gap 0 each, so the per-token gaps average to TPOT.
            if gaps.tokens > 1 {
                for _ in 1..<gaps.tokens { result.interTokenLatencyPerToken.record(nanoseconds: 0) }
            }
            return
        }
        result.interTokenLatency.record(nanoseconds: gaps.sincePreviousChunk)
        guard gaps.tokens > 0 else { return }
        let tokens = UInt64(gaps.tokens)
        let share = gaps.sinceLastTokens / tokens
        let remainder = gaps.sinceLastTokens % tokens
        for token in 0..<tokens { result.interTokenLatencyPerToken.record(nanoseconds: share &+ (token < remainder ? 1 : 0)) }
    }

    // MARK: The end of a request

    /// Books the end of the request on `slot` at `now`: once per started request, whatever ended it.
    /// Returns whether it succeeded (in the warmup: was answered below 400), which a multi-turn
    /// session goes on after.
    @inline(__always) @discardableResult
    mutating func ended(_ slot: UnsafeMutablePointer<ConnectionSlot>, index: Int, _ ending: RequestEnding, now: UInt64) -> Bool {
        inFlight -= 1
        // Booked after the outcome below: `failed` leaves the class in `lastFailure`.
        let failuresBefore = failedCount
        defer {
            if recordsRequests, !slot.pointee.isWarmup {
                record(slot, ending, failure: failedCount != failuresBefore ? lastFailure : nil, now: now)
            }
        }
        let status = slot.pointee.parser.statusCode
        if index == examples.slot {
            examples.ended(index, completed: ending.isResponse, status: status, into: &result.errorExamples)
        }
        switch ending {
        case .response:
            guard !slot.pointee.isWarmup else {
                if status < 400 { warmupAnswered(slot) }
                return status < 400
            }
            var success = false
            if status >= 400 {
                failed(.httpStatus(status))
            } else if requests.validatesOpenAI,
                      let failure = slot.pointee.answer.failure(isEventStream: slot.pointee.parser.isEventStream,
                                                                tokenEvents: slot.pointee.timing.tokenEvents) {
                failed(failure)
            } else {
                succeeded(slot, now: now)
                success = true
            }
            completed(at: now)
            return success
        case .failure(let failure, let errno):
            if !slot.pointee.isWarmup {
                failed(failure)
                // A timeout ends when the client's timer says, and a connection that could not be
                // set up (TCP or TLS) carried no request: only responses stretch the measured window.
                if failure.isResponse { completed(at: now) } else { publishProgress() }
            }
            if failure == .connect, result.firstConnectErrno == nil, errno != 0 { result.firstConnectErrno = errno }
            return false
        case .cancelled:
            // Not a completion: the window and the progress are not moved by the cancelling.
            if !slot.pointee.isWarmup { failed(.cancelled) }
            return false
        }
    }

    /// Books the measured request on `slot` into `requestRecords` (reserved before the run) with
    /// the outcome `ended` gave it (`failure` nil: a success).
    private mutating func record(_ slot: UnsafeMutablePointer<ConnectionSlot>, _ ending: RequestEnding,
                                 failure: FailureClass?, now: UInt64) {
        var record = RequestRecord(startNanoseconds: slot.pointee.requestStartNanoseconds, endNanoseconds: now, failure: failure)
        if ending.isResponse {
            let tokenEvents = slot.pointee.timing.tokenEvents
            record.tokenEvents = tokenEvents
            if tokenEvents > 0 {
                record.firstTokenNanoseconds = slot.pointee.timing.firstTokenAt
                record.lastTokenNanoseconds = slot.pointee.timing.lastTokenAt
            }
            if failure == nil {
                let tokens = slot.pointee.answer.tokens(tokenEvents: tokenEvents)
                record.promptTokens = tokens.prompt
                record.outputTokens = tokens.completion
            }
        }
        result.requestRecords.append(record)
    }

    @inline(__always)
    private mutating func failed(_ failure: FailureClass) {
        lastFailure = failure
        result.failures.add(failure)
        failedCount += 1
    }

    @inline(__always)
    private mutating func completed(at now: UInt64) {
        if now > lastCompletionNanoseconds { lastCompletionNanoseconds = now }
        publishProgress()
    }

    /// A measured success: its latency, tokens, stream times and goodput.
    @inline(__always)
    private mutating func succeeded(_ slot: UnsafeMutablePointer<ConnectionSlot>, now: UInt64) {
        let template = requests.templates[slot.pointee.template]
        // A later turn's prompt is the whole history, which the template does not know.
        if !countsTurns { result.requestedPromptTokens &+= UInt64(template.inputTokens) }
        result.requestedOutputTokens &+= UInt64(template.outputTokens)
        result.succeeded &+= 1
        completedCount += 1
        let e2e = now &- slot.pointee.requestStartNanoseconds
        result.latency.record(nanoseconds: e2e)
        let tokenEvents = slot.pointee.timing.tokenEvents
        let tokens = slot.pointee.answer.tokens(tokenEvents: tokenEvents)
        result.promptTokens &+= tokens.prompt
        result.completionTokens &+= tokens.completion
        if tokens.withoutUsage { result.responsesWithoutUsage &+= 1 }
        if keepsSamples { result.latencySamples.append(e2e) }
        var ttft = e2e
        var tpot: UInt64?
        if tokenEvents > 0 {
            result.streamedResponses &+= 1
            ttft = slot.pointee.timing.timeToFirstToken(sentAt: slot.pointee.requestStartNanoseconds)
            result.timeToFirstToken.record(nanoseconds: ttft)
            let perToken = slot.pointee.timing.timePerOutputToken(
                outputTokens: slot.pointee.answer.outputTokens(tokenEvents: tokenEvents))
            if let perToken { result.timePerOutputToken.record(nanoseconds: perToken) }
            // A single token has no gap: TPOT 0 for the goodput check, and none recorded.
            tpot = perToken ?? 0
        }
        if objectives.enabled, objectives.met(ttft: ttft, tpot: tpot, e2e: e2e) { result.goodRequests &+= 1 }
        if countsTurns { turnSucceeded(slot.pointee.turn, e2e: e2e, ttft: tokenEvents > 0 ? ttft : nil, tokens: tokens) }
    }

    /// A measured success of a multi-turn session's turn `turn`.
    @inline(__always)
    private mutating func turnSucceeded(_ turn: Int, e2e: UInt64, ttft: UInt64?, tokens: AnswerTokens) {
        result.turns[turn].succeeded &+= 1
        result.turns[turn].latency.record(nanoseconds: e2e)
        if let ttft { result.turns[turn].timeToFirstToken.record(nanoseconds: ttft) }
        guard tokens.prompt > 0 || tokens.completion > 0 else { return }
        result.turns[turn].responsesWithUsage &+= 1
        result.turns[turn].promptTokens &+= tokens.prompt
        result.turns[turn].completionTokens &+= tokens.completion
    }

    /// A warmup request answered: its tokens are kept apart from the results, for the
    /// server-metrics cross-check (a server counts the warmup requests that were still running
    /// when the measured window opened; see `MetricsWindow.countsWarmup`).
    private mutating func warmupAnswered(_ slot: UnsafeMutablePointer<ConnectionSlot>) {
        let tokens = slot.pointee.answer.tokens(tokenEvents: slot.pointee.timing.tokenEvents)
        result.warmupPromptTokens &+= tokens.prompt
        result.warmupCompletionTokens &+= tokens.completion
    }

    func publishProgress() {
        progress.completed.store(completedCount, ordering: .relaxed)
        progress.failed.store(failedCount, ordering: .relaxed)
    }

    /// The loop's result once it has run.
    /// The measured window: first send to the last response, or to the end of sending when that
    /// is later (a server silent at the end of a --duration run); timeouts, connect failures and
    /// cancellations end requests at times the client chose and stretch nothing.
    func finished() -> RunResult {
        var result = result
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
        return result
    }
}
