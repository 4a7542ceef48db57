/// A `tokenizers` BPE model: a vocabulary, ranked merges, and the rules for characters the
/// vocabulary lacks (byte fallback to `<0xXX>` tokens, else the unknown token, fused or not).
///
/// Encoding a word is `tokenizers`' `merge_word`: one symbol per character (per byte for
/// byte-level words), then repeatedly the adjacent pair with the lowest merge rank, leftmost
/// first, merges — until no pair has a merge. Short words scan a rank array (no heap, no hashing
/// but the pair table); long ones use a heap over a linked list so a megabyte without a split
/// stays linear-logarithmic.
struct BPEModel: Sendable {
    /// Token text by id (UTF-8 as in the file); nil for ids the vocabulary skips.
    let tokens: [[UInt8]?]
    let vocabulary: [[UInt8]: UInt32]
    let merges: MergeTable
    let unknownID: UInt32?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: [UInt8]?
    let endOfWordSuffix: [UInt8]?
    /// `<0xXX>` token ids by byte, when byte fallback is on.
    private let byteFallbackIDs: [UInt32?]
    /// Byte-level words: the id of the character each byte maps to (nil: not in the vocabulary).
    private let byteLevelIDs: [UInt32?]
    /// Byte-level words for `ignore_merges`: tokens whose characters all map back to bytes, by those bytes.
    private let byteLevelVocabulary: [[UInt8]: UInt32]
    /// Tokens of one scalar, for the usual character lookup.
    private let scalarIDs: [UInt32: UInt32]

    /// Words may be cut before each "▁" that follows another character, and the pieces encoded
    /// apart, with the same result: no token has a "▁" after another character, so no merge
    /// can join across such a cut. This holds for SentencePiece-style vocabularies (Llama 2,
    /// Mistral), whose files give the model the whole text as one word; cut, the pieces repeat
    /// and are cached like any words. Checked on the vocabulary when loading.
    let cutsBeforeMetaspace: Bool

    /// Entries in the vocabulary (`tokenizers`' `get_vocab_size` for the model).
    var vocabularyCount: Int { vocabulary.count }

    static func parse(_ json: JSONValue) throws(TokenizerError) -> BPEModel {
        let type = json["type"]?.stringValue ?? "BPE"
        guard type == "BPE" else { throw .unsupported(component: "model", type: type) }
        if let dropout = json["dropout"]?.doubleValue, dropout > 0 {
            throw .unsupported(component: "model", type: "BPE with dropout \(dropout) (random encodings)")
        }
        guard let vocabularyMembers = json["vocab"]?.objectMembers else { throw .invalidFile("the BPE model has no 'vocab' object") }
        guard let mergeItems = json["merges"]?.arrayValue else { throw .invalidFile("the BPE model has no 'merges' list") }
        var vocabulary: [[UInt8]: UInt32] = [:]
        vocabulary.reserveCapacity(vocabularyMembers.count)
        var largestID = -1
        for (token, value) in vocabularyMembers {
            guard let id = value.intValue, id >= 0, id <= Int(UInt32.max) else { throw .invalidFile("the id of '\(token)' is not a token id") }
            vocabulary[Array(token.utf8)] = UInt32(id)
            largestID = max(largestID, id)
        }
        guard largestID < 50_000_000 else { throw .invalidFile("token id \(largestID) is implausibly large") }
        var tokens = [[UInt8]?](repeating: nil, count: largestID + 1)
        for (token, id) in vocabulary { tokens[Int(id)] = token }

        func optionalString(_ key: String) -> [UInt8]? { json[key]?.stringValue.map { Array($0.utf8) } }
        let prefix = optionalString("continuing_subword_prefix")
        let suffix = optionalString("end_of_word_suffix")

        // Merges: [["a", "b"], ...] or the older ["a b", ...]; "#version" lines do not count.
        var pairs: [([UInt8], [UInt8])] = []
        pairs.reserveCapacity(mergeItems.count)
        for item in mergeItems {
            if let text = item.stringValue {
                if text.hasPrefix("#version") { continue }
                // Split on the space byte, not on Characters: a space followed by a combining
                // mark is one Character, and would hide the separator.
                let parts = Array(text.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw .invalidFile("merge '\(text)' is not two tokens separated by a space") }
                pairs.append((Array(parts[0]), Array(parts[1])))
            } else if let parts = item.arrayValue, parts.count == 2, let left = parts[0].stringValue, let right = parts[1].stringValue {
                pairs.append((Array(left.utf8), Array(right.utf8)))
            } else {
                throw .invalidFile("a merge that is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var merges = MergeTable(expectedCount: pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let leftID = vocabulary[left], let rightID = vocabulary[right] else {
                throw .invalidFile("merge '\(String(decoding: left, as: UTF8.self)) \(String(decoding: right, as: UTF8.self))' uses a token not in the vocabulary")
            }
            var merged = left
            merged += prefix.map { right.starts(with: $0) ? Array(right.dropFirst($0.count)) : right } ?? right
            guard let mergedID = vocabulary[merged] else {
                throw .invalidFile("merge result '\(String(decoding: merged, as: UTF8.self))' is not in the vocabulary")
            }
            merges.insert(left: leftID, right: rightID, rank: UInt32(rank), merged: mergedID)
        }

        var unknownID: UInt32?
        if let unknown = json["unk_token"]?.stringValue {
            // tokenizers fails on an unknown character when the unknown token is missing; it
            // never fails to load, so neither do we.
            unknownID = vocabulary[Array(unknown.utf8)]
        }
        return BPEModel(tokens: tokens, vocabulary: vocabulary, merges: merges, unknownID: unknownID,
                        fuseUnknown: json["fuse_unk"] == .bool(true), byteFallback: json["byte_fallback"] == .bool(true),
                        ignoreMerges: json["ignore_merges"] == .bool(true), continuingSubwordPrefix: prefix, endOfWordSuffix: suffix)
    }

    private init(tokens: [[UInt8]?], vocabulary: [[UInt8]: UInt32], merges: MergeTable, unknownID: UInt32?, fuseUnknown: Bool,
                 byteFallback: Bool, ignoreMerges: Bool, continuingSubwordPrefix: [UInt8]?, endOfWordSuffix: [UInt8]?) {
        self.tokens = tokens
        self.vocabulary = vocabulary
        self.merges = merges
        self.unknownID = unknownID
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        byteFallbackIDs = (0..<256).map { byte in
            vocabulary[Array("<0x\(Self.hexByte(UInt8(byte)))>".utf8)]
        }
        byteLevelIDs = (0..<256).map { vocabulary[ByteLevelAlphabet.characterBytes[$0]] }
        var byteLevelVocabulary: [[UInt8]: UInt32] = [:]
        var scalarIDs: [UInt32: UInt32] = [:]
        for (token, id) in vocabulary {
            if let bytes = ByteLevelAlphabet.bytes(ofMapped: token) { byteLevelVocabulary[bytes] = id }
            let scalars = UTF8Bytes.scalars(of: token)
            if scalars.count == 1 { scalarIDs[scalars[0]] = id }
        }
        self.byteLevelVocabulary = byteLevelVocabulary
        self.scalarIDs = scalarIDs
        cutsBeforeMetaspace = continuingSubwordPrefix == nil && endOfWordSuffix == nil && vocabulary[Self.metaspace] != nil
            && !vocabulary.keys.contains { token in Self.metaspaceCuts(token).contains { $0 > 0 } }
    }

    static let metaspace: [UInt8] = [0xE2, 0x96, 0x81]

    /// Byte offsets where a "▁" follows a character other than "▁" (where a word may be cut).
    static func metaspaceCuts(_ bytes: some Collection<UInt8>) -> [Int] {
        var cuts: [Int] = []
        let bytes = Array(bytes)
        var index = 3
        while index + 2 < bytes.count {
            if bytes[index] == 0xE2, bytes[index + 1] == 0x96, bytes[index + 2] == 0x81,
               !(bytes[index - 3] == 0xE2 && bytes[index - 2] == 0x96 && bytes[index - 1] == 0x81) {
                cuts.append(index)
            }
            index += 1
        }
        return cuts
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// Reusable buffers for encoding words.
    struct Scratch {
        var symbols: [UInt32] = []
        var ranks: [UInt64] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        var heap: [UInt64] = []
        var key: [UInt8] = []
    }

    /// Appends the ids of one pre-tokenized word. `byteLevel`: the word is raw bytes that the
    /// ByteLevel pre-tokenizer maps to characters one byte each (the mapping is not materialized).
    func encode(word: UnsafeBufferPointer<UInt8>, byteLevel: Bool, into output: inout [UInt32], scratch: inout Scratch) {
        guard !word.isEmpty else { return }
        if ignoreMerges {
            let whole = byteLevel ? byteLevelVocabulary[Array(word)] : vocabulary[Array(word)]
            if let whole {
                output.append(whole)
                return
            }
        }
        initialSymbols(word: word, byteLevel: byteLevel, scratch: &scratch)
        if scratch.symbols.count > 1 {
            if scratch.symbols.count <= 64 { mergeByScanning(&scratch) } else { mergeWithHeap(&scratch) }
        }
        output.append(contentsOf: scratch.symbols)
    }

    /// One symbol per character (`merge_word`'s first loop), with byte fallback and unknown tokens.
    private func initialSymbols(word: UnsafeBufferPointer<UInt8>, byteLevel: Bool, scratch: inout Scratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        let simple = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        var pendingUnknown = false
        var index = 0
        while index < word.count {
            let length = byteLevel ? 1 : UTF8Bytes.sequenceLength(lead: word[index])
            let isFirst = index == 0
            let isLast = index + length >= word.count
            var found: UInt32?
            if simple {
                if byteLevel {
                    found = byteLevelIDs[Int(word[index])]
                } else {
                    let (scalar, _) = UTF8Bytes.scalar(in: word, at: index)
                    found = scalarIDs[scalar]
                }
            } else {
                scratch.key.removeAll(keepingCapacity: true)
                if !isFirst, let prefix = continuingSubwordPrefix { scratch.key += prefix }
                if byteLevel {
                    scratch.key += ByteLevelAlphabet.characterBytes[Int(word[index])]
                } else {
                    scratch.key += word[index..<(index + length)]
                }
                if isLast, let suffix = endOfWordSuffix { scratch.key += suffix }
                found = vocabulary[scratch.key]
            }
            if let found {
                if pendingUnknown, let unknownID { scratch.symbols.append(unknownID) }
                pendingUnknown = false
                scratch.symbols.append(found)
            } else {
                var fellBack = false
                if byteFallback {
                    // tokenizers falls back on the bytes of the looked-up string, affixes included.
                    var key: [UInt8]
                    if simple {
                        key = byteLevel ? ByteLevelAlphabet.characterBytes[Int(word[index])] : Array(word[index..<(index + length)])
                    } else {
                        key = scratch.key
                    }
                    let ids = key.compactMap { byteFallbackIDs[Int($0)] }
                    if ids.count == key.count {
                        // A pending unknown token stays pending, as in tokenizers.
                        scratch.symbols += ids
                        fellBack = true
                    }
                }
                if !fellBack, let unknownID {
                    if pendingUnknown && !fuseUnknown { scratch.symbols.append(unknownID) }
                    pendingUnknown = true
                }
            }
            index += length
        }
        if pendingUnknown, let unknownID { scratch.symbols.append(unknownID) }
    }

    /// Merges by rescanning a rank per adjacent pair: O(n²) compares, two table lookups per merge.
    private func mergeByScanning(_ scratch: inout Scratch) {
        var count = scratch.symbols.count
        scratch.ranks.removeAll(keepingCapacity: true)
        for index in 0..<(count - 1) { scratch.ranks.append(merges.lookup(scratch.symbols[index], scratch.symbols[index + 1])) }
        scratch.symbols.withUnsafeMutableBufferPointer { symbols in
            scratch.ranks.withUnsafeMutableBufferPointer { ranks in
                while count > 1 {
                    var best = 0
                    var bestRank = ranks[0]
                    for index in 1..<(count - 1) where ranks[index] < bestRank {
                        best = index
                        bestRank = ranks[index]
                    }
                    if bestRank == UInt64.max { break }
                    symbols[best] = UInt32(truncatingIfNeeded: bestRank)
                    // Remove symbol best + 1 and the rank of the pair it started.
                    for index in (best + 1)..<(count - 1) { symbols[index] = symbols[index + 1] }
                    for index in (best + 1)..<max(best + 1, count - 2) { ranks[index] = ranks[index + 1] }
                    count -= 1
                    if best > 0 { ranks[best - 1] = merges.lookup(symbols[best - 1], symbols[best]) }
                    if best < count - 1 { ranks[best] = merges.lookup(symbols[best], symbols[best + 1]) }
                }
            }
        }
        scratch.symbols.removeLast(scratch.symbols.count - count)
    }

    /// `tokenizers`' `merge_all`: a min-heap of (rank, position) over a linked list of symbols;
    /// stale entries (the pair changed since it was queued) are skipped when popped.
    private func mergeWithHeap(_ scratch: inout Scratch) {
        let count = scratch.symbols.count
        scratch.next.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        for index in 0..<count {
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
            scratch.previous.append(Int32(index - 1))
        }
        var heap = MinHeap(storage: scratch.heap)
        for index in 0..<(count - 1) {
            let found = merges.lookup(scratch.symbols[index], scratch.symbols[index + 1])
            if found != UInt64.max { heap.push(rank: UInt32(found >> 32), position: Int32(index)) }
        }
        var alive = [Bool](repeating: true, count: count)
        while let (rank, position) = heap.pop() {
            let left = Int(position)
            guard alive[left], scratch.next[left] >= 0 else { continue }
            let right = Int(scratch.next[left])
            let found = merges.lookup(scratch.symbols[left], scratch.symbols[right])
            guard found != UInt64.max, UInt32(found >> 32) == rank else { continue }
            scratch.symbols[left] = UInt32(truncatingIfNeeded: found)
            alive[right] = false
            scratch.next[left] = scratch.next[right]
            if scratch.next[right] >= 0 { scratch.previous[Int(scratch.next[right])] = Int32(left) }
            if scratch.previous[left] >= 0 {
                let before = Int(scratch.previous[left])
                let pair = merges.lookup(scratch.symbols[before], scratch.symbols[left])
                if pair != UInt64.max { heap.push(rank: UInt32(pair >> 32), position: Int32(before)) }
            }
            if scratch.next[left] >= 0 {
                let after = Int(scratch.next[left])
                let pair = merges.lookup(scratch.symbols[left], scratch.symbols[after])
                if pair != UInt64.max { heap.push(rank: UInt32(pair >> 32), position: Int32(left)) }
            }
        }
        scratch.heap = heap.storage
        var write = 0
        for index in 0..<count where alive[index] {
            scratch.symbols[write] = scratch.symbols[index]
            write += 1
        }
        scratch.symbols.removeLast(count - write)
    }
}

/// A binary min-heap of (rank, position), packed in one UInt64 so ties go to the leftmost.
private struct MinHeap {
    var storage: [UInt64]

    init(storage: [UInt64]) {
        self.storage = storage
        self.storage.removeAll(keepingCapacity: true)
    }

    mutating func push(rank: UInt32, position: Int32) {
        storage.append(UInt64(rank) << 32 | UInt64(UInt32(position)))
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (UInt32, Int32)? {
        guard let top = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < storage.count else { break }
                var smallest = left
                if left + 1 < storage.count, storage[left + 1] < storage[left] { smallest = left + 1 }
                guard storage[smallest] < storage[parent] else { break }
                storage.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return (UInt32(top >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: top)))
    }
}
