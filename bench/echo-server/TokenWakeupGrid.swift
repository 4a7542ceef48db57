/// When a loop's stream timer fires for its earliest due token: that token's due time rounded up
/// to a grid of `slackNanoseconds` (absolute monotonic time, so every stream shares the grid).
///
/// Why: a wakeup costs syscalls of its own (epoll_wait, timerfd_settime) besides one send per
/// due token. Fired at each token's exact due time, a loop that keeps up wakes about once per
/// token: at 2,000 streams of one token every 10 ms, 200,000 wakeups a second, over half of
/// echo-server's syscalls. On a grid of 250 us it wakes at most 4,000 times a second and each
/// wakeup sends every token due by then (tens of them); the clients' loops are woken by bursts
/// too, so their epoll_wait returns several reads instead of one.
///
/// What it costs in accuracy, honestly counted: a token is never sent before its due time (the
/// timer fires at or after it and only tokens due by the clock are sent), and the grid adds at
/// most `slackNanoseconds` to its lateness (half of that on average; `StreamLateness` books the
/// sent time, grid included). Inter-token gaps keep their length when the ITL is a multiple of
/// the grid (10 ms on 250 us: every token of a stream lands at the same offset after its due
/// time). 0 turns it off: the timer fires at each due time.
struct TokenWakeupGrid {
    let slackNanoseconds: UInt64

    /// The default: far below the 1 ms accuracy bench/stream-accuracy.sh asks of the medians.
    static let defaultSlackMicroseconds = 250.0

    init(slackMicroseconds: Double) {
        slackNanoseconds = UInt64((slackMicroseconds * 1_000).rounded())
    }

    /// When to fire for a token due at `dueNanoseconds`: the first grid point at or after it.
    @inline(__always)
    func wakeup(forDue dueNanoseconds: UInt64) -> UInt64 {
        guard slackNanoseconds > 1 else { return dueNanoseconds }
        let (quotient, remainder) = dueNanoseconds.quotientAndRemainder(dividingBy: slackNanoseconds)
        if remainder == 0 { return dueNanoseconds }
        let rounded = (quotient &+ 1).multipliedReportingOverflow(by: slackNanoseconds)
        return rounded.overflow ? dueNanoseconds : rounded.partialValue
    }
}
