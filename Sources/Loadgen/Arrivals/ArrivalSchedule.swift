/// One event loop's share of an open-loop schedule, produced lazily but always absolute.
///
/// Every loop walks the same global sequence of arrivals (same seed) and takes every `loops`-th
/// one, starting at its own index: together the loops send exactly the global schedule, whatever
/// the process, with no shared state between threads. Times are `origin` plus a running sum of
/// gaps, so no error accumulates from wakeups; a Double sum keeps nanosecond precision for runs
/// of weeks. The gaps are drawn with mean 1 and the sum mapped to seconds by the rate profile
/// (`RateProfileClock`: a division by the rate when it is steady); a replay's timetable gives
/// the times instead (request k of the run at time k, loop k % loops sending it).
struct ArrivalSchedule {
    private var generator: SeededGenerator
    private let process: OpenLoopArrivals.Process
    private var clock: RateProfileClock
    private let timetable: [Double]?
    private let origin: UInt64
    private let stride: Int
    /// Arrivals of the rate-1 process so far (the running sum of unit gaps), or a timetable's index.
    private var unitElapsed: Double = 0
    private var index: Int
    /// The scheduled time of this loop's next arrival (monotonic nanoseconds; `UInt64.max` once
    /// a timetable has none left).
    private(set) var next: UInt64 = 0

    init(_ arrivals: OpenLoopArrivals, origin: UInt64, loop: Int, loops: Int) {
        generator = SeededGenerator(seed: arrivals.seed ^ 0x5EED_A771_7A15_0000)
        process = arrivals.process
        clock = RateProfileClock(arrivals.profile, steadyRate: arrivals.rate)
        timetable = arrivals.timetable
        self.origin = origin
        stride = loops
        index = loop
        if timetable != nil {
            next = timetableTime()
            return
        }
        // Arrival k (from 0) of the global sequence goes to loop k % loops.
        for _ in 0...loop { unitElapsed += gap() }
        next = time(clock.seconds(atArrivals: unitElapsed))
    }

    /// Moves to this loop's following arrival.
    mutating func advance() {
        if timetable != nil {
            index += stride
            next = timetableTime()
            return
        }
        for _ in 0..<stride { unitElapsed += gap() }
        next = time(clock.seconds(atArrivals: unitElapsed))
    }

    private func timetableTime() -> UInt64 {
        guard let timetable, index < timetable.count else { return .max }
        return time(timetable[index])
    }

    /// A gap of the rate-1 process.
    private mutating func gap() -> Double {
        switch process {
        case .constant: 1
        case .poisson: RandomVariates.exponential(&generator)
        case .gamma(let shape): RandomVariates.gamma(shape: shape, &generator) / shape
        }
    }

    private func time(_ seconds: Double) -> UInt64 {
        // A profile that sends nothing more (a last stage of rate 0) never comes due.
        guard seconds.isFinite, seconds < 1e9 else { return .max }
        return origin &+ Clock.nanoseconds(seconds: seconds)
    }
}
