/// One event loop's share of an open-loop schedule, produced lazily but always absolute.
///
/// Every loop walks the same global sequence of arrivals (same seed) and takes every `loops`-th
/// one, starting at its own index: together the loops send exactly the global schedule, whatever
/// the process, with no shared state between threads. Times are `origin` plus a running sum of
/// gaps in seconds, so no error accumulates from wakeups; a Double sum keeps nanosecond precision
/// for runs of weeks.
struct ArrivalSchedule {
    private var generator: SeededGenerator
    private let process: OpenLoopArrivals.Process
    private let meanGap: Double
    private let origin: UInt64
    private let stride: Int
    private var elapsedSeconds: Double = 0
    /// The scheduled time of this loop's next arrival (monotonic nanoseconds).
    private(set) var next: UInt64 = 0

    init(_ arrivals: OpenLoopArrivals, origin: UInt64, loop: Int, loops: Int) {
        generator = SeededGenerator(seed: arrivals.seed ^ 0x5EED_A771_7A15_0000)
        process = arrivals.process
        meanGap = arrivals.meanGapSeconds
        self.origin = origin
        stride = loops
        // Arrival k (from 0) of the global sequence goes to loop k % loops.
        for _ in 0...loop { elapsedSeconds += gap() }
        next = time(elapsedSeconds)
    }

    /// Moves to this loop's following arrival.
    mutating func advance() {
        for _ in 0..<stride { elapsedSeconds += gap() }
        next = time(elapsedSeconds)
    }

    private mutating func gap() -> Double {
        switch process {
        case .constant: meanGap
        case .poisson: RandomVariates.exponential(&generator) * meanGap
        case .gamma(let shape): RandomVariates.gamma(shape: shape, &generator) * meanGap / shape
        }
    }

    private func time(_ seconds: Double) -> UInt64 {
        origin &+ Clock.nanoseconds(seconds: seconds)
    }
}
