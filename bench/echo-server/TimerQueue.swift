/// A binary min-heap of (due time, connection slot, stream id): the stream timers of one loop.
/// Entries for streams that ended early (connection closed) are skipped when they come due.
struct TimerQueue {
    struct Entry {
        var dueNanoseconds: UInt64
        var slot: Int
        var streamID: Int
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }
    var earliest: Entry? { heap.first }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].dueNanoseconds < heap[parent].dueNanoseconds else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popEarliest() -> Entry? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown()
        }
        return top
    }

    /// Moves the earliest entry (same slot and stream) to `dueNanoseconds`: a stream's next
    /// token, for the price of one sift instead of a pop and a push.
    mutating func replaceEarliest(dueNanoseconds: UInt64) {
        guard !heap.isEmpty else { return }
        heap[0].dueNanoseconds = dueNanoseconds
        siftDown()
    }

    /// Restores the heap order below the root, whose entry may be later than its children.
    private mutating func siftDown() {
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].dueNanoseconds < heap[smallest].dueNanoseconds { smallest = left }
            if right < heap.count, heap[right].dueNanoseconds < heap[smallest].dueNanoseconds { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
