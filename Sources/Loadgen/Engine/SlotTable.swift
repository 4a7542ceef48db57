/// The connection slots of one event loop in one allocation, and the two stacks of slot numbers
/// the loop keeps: the slots free to take the next arrival (open loop) and the slots whose next
/// request waits for the end of the current batch of events (closed loop).
///
/// A slot is reached one way: `slots[index]` is a pointer, read and changed through `pointee`.
/// (A plain array subscript, `slots[index].part.f()`, would mean the same, but Swift 6.3's
/// ThreadSanitizer instrumentation breaks on that form inside the noncopyable loop: it instruments
/// a loaded copy of the loop as if it were an address, LLVM "Invalid bitcast", and
/// bench/sanitize.sh could not build. The pointer form compiles the same without it.)
struct SlotTable: ~Copyable {
    private let base: UnsafeMutablePointer<ConnectionSlot>
    let count: Int
    /// A stack, so a recently used slot, whose connection is still open, is reused first.
    private let free: UnsafeMutablePointer<Int32>
    private(set) var freeCount = 0
    /// A stack: starting a request can end it at once (a failed send), which defers its slot
    /// again; a slot is on it at most once, so it never holds more than `count`.
    private let deferred: UnsafeMutablePointer<Int32>
    private(set) var deferredCount = 0

    init(count: Int) {
        self.count = count
        base = UnsafeMutablePointer<ConnectionSlot>.allocate(capacity: count)
        base.initialize(repeating: ConnectionSlot(), count: count)
        free = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        deferred = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
    }

    deinit {
        for index in 0..<count where base[index].fd >= 0 {
            FileDescriptor(rawValue: base[index].fd).close()
        }
        base.deinitialize(count: count)
        base.deallocate()
        free.deallocate()
        deferred.deallocate()
    }

    @inline(__always)
    subscript(index: Int) -> UnsafeMutablePointer<ConnectionSlot> { base + index }

    var indices: Range<Int> { 0..<count }

    /// Makes the slot idle and puts it on the free stack (open loop).
    mutating func release(_ index: Int) {
        base[index].phase = .idle
        free[freeCount] = Int32(truncatingIfNeeded: index)
        freeCount += 1
    }

    /// The most recently freed slot; the caller has checked `freeCount > 0`.
    mutating func takeFree() -> Int {
        freeCount -= 1
        return Int(free[freeCount])
    }

    /// The slot's next request goes out after the current batch of events (closed loop).
    mutating func deferStart(_ index: Int) {
        deferred[deferredCount] = Int32(truncatingIfNeeded: index)
        deferredCount += 1
    }

    /// The most recently deferred slot; the caller has checked `deferredCount > 0`.
    mutating func takeDeferred() -> Int {
        deferredCount -= 1
        return Int(deferred[deferredCount])
    }
}
