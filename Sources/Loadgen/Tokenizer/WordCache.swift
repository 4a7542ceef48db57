/// Token ids of pre-tokenized words already encoded, keyed by the word's bytes. Text repeats its
/// words, so most words skip BPE entirely: this is where the tokenizer's speed comes from.
///
/// Open addressing over a slot array, with keys and ids stored in two growing arenas (no
/// allocation per entry). Bounded: when the entry or byte limit is reached it starts over empty,
/// which costs a few re-encodes and never an eviction list.
struct WordCache {
    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1
        var keyLength: Int32 = 0
        var idsStart: Int32 = 0
        var idsCount: Int32 = 0
    }

    private var slots: [Slot]
    private var keyBytes: [UInt8] = []
    private var ids: [UInt32] = []
    private var count = 0
    private let maximumEntries: Int
    /// Longer words are not cached: rare, and they would crowd the arenas.
    static let maximumWordLength = 256
    private static let maximumArenaBytes = 32 << 20

    init(maximumEntries: Int = 1 << 16) {
        self.maximumEntries = maximumEntries
        var size = 16
        while size < maximumEntries * 2 { size *= 2 }
        slots = [Slot](repeating: Slot(), count: size)
    }

    /// FNV-1a over the bytes, then a final mix so the low bits spread.
    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in word { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return (hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9
    }

    /// Calls `body` with the cached ids of `word` and returns true, or returns false.
    @inline(__always)
    func withIDs(of word: UnsafeBufferPointer<UInt8>, hash: UInt64, _ body: (UnsafeBufferPointer<UInt32>) -> Void) -> Bool {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[index]
                if slot.keyStart < 0 { return false }
                if slot.hash == hash && Int(slot.keyLength) == word.count {
                    let equal = keyBytes.withUnsafeBufferPointer { keys in
                        memcmpEqual(keys.baseAddress! + Int(slot.keyStart), word.baseAddress, word.count)
                    }
                    if equal {
                        ids.withUnsafeBufferPointer { ids in
                            body(UnsafeBufferPointer(rebasing: ids[Int(slot.idsStart)..<Int(slot.idsStart + slot.idsCount)]))
                        }
                        return true
                    }
                }
                index = (index + 1) & mask
            }
        }
    }

    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids newIDs: ArraySlice<UInt32>) {
        guard word.count <= Self.maximumWordLength else { return }
        if count >= maximumEntries || keyBytes.count + word.count > Self.maximumArenaBytes || ids.count + newIDs.count > Self.maximumArenaBytes / 4 {
            clear()
        }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].keyStart >= 0 { index = (index + 1) & mask }
        slots[index] = Slot(hash: hash, keyStart: Int32(keyBytes.count), keyLength: Int32(word.count),
                            idsStart: Int32(ids.count), idsCount: Int32(newIDs.count))
        keyBytes.append(contentsOf: word)
        ids.append(contentsOf: newIDs)
        count += 1
    }

    mutating func clear() {
        for index in slots.indices { slots[index].keyStart = -1 }
        keyBytes.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        count = 0
    }
}

@inline(__always)
private func memcmpEqual(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard let right else { return count == 0 }
    for index in 0..<count where left[index] != right[index] { return false }
    return true
}
