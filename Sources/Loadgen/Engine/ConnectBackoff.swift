/// Retrying failed connects: a slot waits 10 ms before it tries again, doubling up to 1 s, so a
/// refused or unreachable server does not spin the CPU while the run continues. Also counts the
/// failures while no connection of the loop has ever worked, by which a dead server ends the run
/// promptly (see `Pacing.givesUpConnecting`).
struct ConnectBackoff {
    private static let firstRetryDelay: UInt64 = 10_000_000
    private static let maxRetryDelay: UInt64 = 1_000_000_000

    /// Slots waiting to retry (kept as a count so the loop condition is O(1)).
    private(set) var waiting = 0
    private(set) var everConnected = false
    private(set) var failuresBeforeAnySuccess = 0

    mutating func connected(_ slot: UnsafeMutablePointer<ConnectionSlot>) {
        everConnected = true
        slot.pointee.retryDelayNanoseconds = 0
    }

    /// The slot's connect failed at `now`: it waits, longer each time in a row.
    mutating func failed(_ slot: UnsafeMutablePointer<ConnectionSlot>, now: UInt64) {
        let previous = slot.pointee.retryDelayNanoseconds
        let delay = previous == 0 ? Self.firstRetryDelay : min(previous * 2, Self.maxRetryDelay)
        slot.pointee.retryDelayNanoseconds = delay
        slot.pointee.retryAtNanoseconds = now &+ delay
        slot.pointee.phase = .backoff
        waiting += 1
        if !everConnected { failuresBeforeAnySuccess += 1 }
    }

    /// The slot stops waiting: `.idle` to retry now, `.finished` when the run is stopping.
    mutating func end(_ slot: UnsafeMutablePointer<ConnectionSlot>, to phase: ConnectionSlot.Phase) {
        slot.pointee.phase = phase
        waiting -= 1
    }
}
