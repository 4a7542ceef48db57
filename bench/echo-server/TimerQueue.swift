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
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].dueNanoseconds < heap[smallest].dueNanoseconds { smallest = left }
                if right < heap.count, heap[right].dueNanoseconds < heap[smallest].dueNanoseconds { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
