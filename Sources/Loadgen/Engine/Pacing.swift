/// How one event loop paces its requests: the one place where closed and open loop differ.
///
/// Closed loop: each connection sends its next request when its response is complete (after the
/// batch of events it came in), so the server's speed sets the rate; a request's latency counts
/// from its send. Open loop: requests start at the times of an `ArrivalSchedule`, on whichever
/// connection is free, whatever the server does; a request's latency counts from its scheduled
/// time (coordinated omission corrected), and how late it went out is the send lag.
///
/// The open loop's state lives in one allocation owned by the loop (freed by `close`), so that
/// asking which pacing it is costs a tag test and changing the state copies nothing: a payload
/// of a hundred bytes in the enum itself was copied out and back at every question.
enum Pacing {
    case closed
    case open(UnsafeMutablePointer<OpenLoopPacing>)

    init(_ plan: LoadPlanSnapshot, timer: DeadlineTimer?) {
        if let arrivals = plan.arrivals, let timer {
            let state = UnsafeMutablePointer<OpenLoopPacing>.allocate(capacity: 1)
            state.initialize(to: OpenLoopPacing(arrivals: arrivals, timer: timer))
            self = .open(state)
        } else {
            self = .closed
        }
    }

    /// Whether requests remain to be started though none is in flight. Closed loop: while a
    /// connection waits to retry its connect (and the run has not stopped or spent its quota).
    /// Open loop: until the schedule is exhausted.
    @inline(__always)
    func hasRequestsToStart(stopping: Bool, quota: Int, connectionsBackingOff: Int) -> Bool {
        switch self {
        case .closed: connectionsBackingOff > 0 && !stopping && quota > 0
        case .open(let open): !stopping && !open.pointee.exhausted
        }
    }

    /// Closed loop claims a request whenever one completes, so the end of the duration is a time
    /// the loop must wake for, and after it the in-flight requests get the drain time. Open loop
    /// compares each scheduled time with the end instead, and its drain runs from the end itself.
    @inline(__always)
    var stopsAtEndByClock: Bool {
        if case .closed = self { return true }
        return false
    }

    /// Closed loop times a request from its send, so connection setup is not counted as server
    /// time; open loop from its scheduled time: waiting for a connection is time the user waits too.
    @inline(__always)
    var timesFromSend: Bool { stopsAtEndByClock }

    /// A server that has refused every connect of this loop ends the run: in closed loop once every
    /// slot has failed; in open loop, where idle slots are never tried, after the first few.
    @inline(__always)
    func givesUpConnecting(failuresBeforeAnySuccess: Int, slotCount: Int, allSlotsFailed: Bool) -> Bool {
        switch self {
        case .closed: allSlotsFailed
        case .open: allSlotsFailed || failuresBeforeAnySuccess >= min(slotCount, 8)
        }
    }

    /// A request ended on `index`: closed loop starts the next one there after the current batch of
    /// events; open loop frees the slot for the next arrival.
    @inline(__always)
    func requestEnded(_ index: Int, in slots: inout SlotTable) {
        switch self {
        case .closed: slots.deferStart(index)
        case .open: slots.release(index)
        }
    }

    /// A warmup given as a request count ended at `now`: open loop's measured window starts there.
    func measuredWindowStarts(at now: UInt64) {
        if case .open(let open) = self { open.pointee.measuredWindowStarts(at: now) }
    }

    /// The deadline timer fired: consume it (open loop; the loop then starts what is due).
    func acknowledgeTimer() {
        if case .open(let open) = self { open.pointee.timer.acknowledge() }
    }

    /// Open loop: the rate asked for and the window the schedule was meant to fill (the duration,
    /// or up to the last measured send).
    func record(into result: inout RunResult, durationNanoseconds: UInt64?) {
        guard case .open(let open) = self else { return }
        result.requestedRate = open.pointee.arrivals.rate
        if let durationNanoseconds {
            result.scheduleWindowNanoseconds = durationNanoseconds
        } else if open.pointee.lastSendNanoseconds > open.pointee.originNanoseconds {
            result.scheduleWindowNanoseconds = open.pointee.lastSendNanoseconds - open.pointee.originNanoseconds
        }
    }

    /// Closes the timer and frees the open loop's state.
    func close() {
        guard case .open(let open) = self else { return }
        open.pointee.timer.close()
        open.deinitialize(count: 1)
        open.deallocate()
    }
}

/// The open loop's state: this loop's share of the schedule, the timer that wakes the loop at the
/// next send time (epoll_wait's own timeout is in whole milliseconds), and the measured window.
struct OpenLoopPacing {
    let arrivals: OpenLoopArrivals
    var timer: DeadlineTimer
    /// Made when the run starts (`start`): every time in it is absolute from then.
    private var schedule: ArrivalSchedule?
    /// The schedule has run past the end (or the quota): nothing more starts.
    var exhausted = false
    /// The measured window of the schedule starts here; the last measured send was at `lastSend`.
    private(set) var originNanoseconds: UInt64 = 0
    var lastSendNanoseconds: UInt64 = 0

    init(arrivals: OpenLoopArrivals, timer: DeadlineTimer) {
        self.arrivals = arrivals
        self.timer = timer
    }

    /// The run starts at `now`; its measured window at `origin` (after the warmup).
    mutating func start(now: UInt64, measuredFrom origin: UInt64, loop: Int, loops: Int) {
        schedule = ArrivalSchedule(arrivals, origin: now, loop: loop, loops: loops)
        originNanoseconds = origin
    }

    /// A warmup by request count ended: the measured window of the schedule starts at `now`.
    mutating func measuredWindowStarts(at now: UInt64) { originNanoseconds = now }

    /// The scheduled time of this loop's next arrival.
    var nextArrivalNanoseconds: UInt64 { schedule?.next ?? .max }

    mutating func advance() { schedule?.advance() }
}
