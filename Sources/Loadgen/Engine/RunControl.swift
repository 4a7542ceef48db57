import CEpoll
import Synchronization

/// What the event loops share with the thread that started them: a cancel flag, per-loop progress
/// counters, and an eventfd that becomes readable when a loop finishes.
///
/// Each counter has one writer (its loop) and is stored with relaxed ordering, so reading progress
/// costs the loops nothing but a plain store.
final class RunControl: Sendable {
    let cancelled = Atomic<Bool>(false)
    let finishedLoops = Atomic<Int>(0)
    let progress: [LoopProgress]
    let finishedEvent: FileDescriptor

    init(loops: Int) throws(SystemError) {
        progress = (0..<loops).map { _ in LoopProgress() }
        finishedEvent = FileDescriptor(rawValue: try syscall("eventfd") { CEpoll_eventfd() })
    }

    deinit { finishedEvent.close() }

    func loopFinished() {
        finishedLoops.add(1, ordering: .releasing)
        finishedEvent.addToCounter(1)
    }
}

/// Counters one loop publishes while it runs.
final class LoopProgress: Sendable {
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let measuring = Atomic<Bool>(false)
}
