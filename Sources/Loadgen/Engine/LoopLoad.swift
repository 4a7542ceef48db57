/// How busy one event-loop thread was over its run: CPU time over wall time, and how many of its
/// `epoll_wait` calls returned a full batch (as many events as it asked for: more were ready, so
/// the loop was behind the sockets, not waiting on them).
public struct LoopLoad: Sendable, Equatable {
    /// CPU time of the thread (user and system) from the start of its run to the end.
    public var cpuNanoseconds: UInt64 = 0
    /// Monotonic time from the start of its run to the end.
    public var wallNanoseconds: UInt64 = 0
    /// `epoll_wait` calls, and those that returned as many events as the loop asked for.
    public var waits: UInt64 = 0
    /// Waits that returned a full batch: events were waiting when the loop came back.
    public var fullWaits: UInt64 = 0

    /// A load as measured (or read back from a report).
    public init(cpuNanoseconds: UInt64 = 0, wallNanoseconds: UInt64 = 0, waits: UInt64 = 0, fullWaits: UInt64 = 0) {
        self.cpuNanoseconds = cpuNanoseconds
        self.wallNanoseconds = wallNanoseconds
        self.waits = waits
        self.fullWaits = fullWaits
    }

    /// CPU time over wall time, 0...1 (a little above 1 is clock granularity).
    public var load: Double { wallNanoseconds > 0 ? Double(cpuNanoseconds) / Double(wallNanoseconds) : 0 }
    /// Share of the waits that returned a full batch, 0...1.
    public var fullWaitShare: Double { waits > 0 ? Double(fullWaits) / Double(waits) : 0 }
}

/// Measures a `LoopLoad` from inside the loop: two clock reads at the ends, two increments per wait.
struct LoopLoadMeter {
    private var load = LoopLoad()
    private var startCPU: UInt64 = 0
    private var startWall: UInt64 = 0

    mutating func begin(now: UInt64) {
        startWall = now
        startCPU = Clock.threadCPUNanoseconds()
    }

    /// An `epoll_wait` returned `ready` events of at most `capacity`.
    @inline(__always)
    mutating func waited(ready: Int, capacity: Int) {
        load.waits &+= 1
        if ready == capacity { load.fullWaits &+= 1 }
    }

    func finished() -> LoopLoad {
        var load = load
        load.cpuNanoseconds = Clock.threadCPUNanoseconds() &- startCPU
        load.wallNanoseconds = Clock.monotonicNanoseconds() &- startWall
        return load
    }
}
