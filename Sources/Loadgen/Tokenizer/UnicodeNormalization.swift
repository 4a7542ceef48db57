/// NFC and NFD over UTF-8 bytes, exactly as Hugging Face `tokenizers`' normalizers compute them.
///
/// `tokenizers` normalizes with unicode-normalization-alignments 0.1.12, whose data is Unicode 9.0:
/// marks assigned later have combining class 0 there and decompositions added later do not exist.
/// The standard library (internal NFC, newer Unicode) would differ on those scalars, so the data
/// is the generated `UnicodeTables` (checked against `tokenizers` by its generator). The algorithm
/// is UAX #15: full canonical decomposition (Hangul by arithmetic), canonical ordering by combining
/// class, then canonical composition of unblocked pairs.
enum UnicodeNormalization {
    /// NFC of valid UTF-8. Text that passes the quick check (no marks, nothing that composes with
    /// what precedes it, nothing that changes alone) comes back unchanged without decoding.
    static func nfc(_ bytes: [UInt8]) -> [UInt8] {
        guard needsWork(bytes, flags: UnicodeProperties.nfcChangesAlone | UnicodeProperties.nfcComposesWithPrevious) else { return bytes }
        var scalars = decomposed(bytes)
        let table = UnicodeProperties.table
        composeInPlace(&scalars, combiningClass: { table.combiningClass($0) },
                       mayCompose: { table.mask($0) & UnicodeProperties.nfcComposesWithPrevious != 0 })
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for scalar in scalars { UTF8Bytes.append(scalar, to: &output) }
        return output
    }

    /// NFD of valid UTF-8.
    static func nfd(_ bytes: [UInt8]) -> [UInt8] {
        guard needsWork(bytes, flags: UnicodeProperties.hasCanonicalDecomposition) else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 2)
        for scalar in decomposed(bytes) { UTF8Bytes.append(scalar, to: &output) }
        return output
    }

    /// False when every scalar has combining class 0 and none of `flags`: then the form is unchanged.
    private static func needsWork(_ bytes: [UInt8], flags: UnicodeProperties.Mask) -> Bool {
        let table = UnicodeProperties.table
        let trigger = flags | (0xFF << UnicodeProperties.combiningClassShift)
        return bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                // Below U+0300 nothing has a mark class or composes with its predecessor, and
                // every precomposed letter there recomposes to itself.
                if buffer[index] < 0xCC {
                    index += UTF8Bytes.sequenceLength(lead: buffer[index])
                    continue
                }
                let (scalar, length) = UTF8Bytes.scalar(in: buffer, at: index)
                if table.mask(scalar) & trigger != 0 { return true }
                index += length
            }
            return false
        }
    }

    /// Full canonical decomposition, then canonical ordering.
    private static func decomposed(_ bytes: [UInt8]) -> [UInt32] {
        let table = UnicodeProperties.table
        let data = CanonicalData.shared
        var scalars: [UInt32] = []
        scalars.reserveCapacity(bytes.count)
        for scalar in UTF8Bytes.scalars(of: bytes) {
            if Hangul.isSyllable(scalar) {
                Hangul.decompose(scalar, into: &scalars)
            } else if table.mask(scalar) & UnicodeProperties.hasCanonicalDecomposition != 0, let parts = data.fullDecompositions[scalar] {
                scalars.append(contentsOf: parts)
            } else {
                scalars.append(scalar)
            }
        }
        orderCanonically(&scalars) { table.combiningClass($0) }
        return scalars
    }

    /// Stable sort of each run of non-starters by combining class (runs are short: insertion sort).
    static func orderCanonically(_ scalars: inout [UInt32], combiningClass: (UInt32) -> UInt8) {
        var index = 1
        while index < scalars.count {
            let current = scalars[index]
            let currentClass = combiningClass(current)
            if currentClass != 0 {
                var position = index
                while position > 0 {
                    let previousClass = combiningClass(scalars[position - 1])
                    guard previousClass > currentClass else { break }
                    scalars[position] = scalars[position - 1]
                    position -= 1
                }
                scalars[position] = current
            }
            index += 1
        }
    }

    /// Canonical composition of decomposed, ordered scalars: a scalar composes with the last
    /// starter when nothing between them is a starter or has a class at least its own.
    /// `mayCompose` is false for scalars that never compose with a predecessor (most of them),
    /// which spares the pair lookup.
    static func composeInPlace(_ scalars: inout [UInt32], combiningClass: (UInt32) -> UInt8,
                               mayCompose: (UInt32) -> Bool = { _ in true }) {
        let data = CanonicalData.shared
        var output = 0
        var starter = -1
        for index in 0..<scalars.count {
            let scalar = scalars[index]
            let scalarClass = combiningClass(scalar)
            if starter >= 0, mayCompose(scalar) {
                let previousClass = combiningClass(scalars[output - 1])
                if output - 1 == starter || (previousClass != 0 && previousClass < scalarClass) {
                    if let composite = Hangul.compose(scalars[starter], scalar) ?? data.composite(scalars[starter], scalar) {
                        scalars[starter] = composite
                        continue
                    }
                }
            }
            if scalarClass == 0 { starter = output }
            scalars[output] = scalar
            output += 1
        }
        scalars.removeLast(scalars.count - output)
    }
}

/// Hangul syllables decompose and compose by arithmetic (Unicode 3.12), not by table.
enum Hangul {
    static let syllableBase: UInt32 = 0xAC00, leadingBase: UInt32 = 0x1100, vowelBase: UInt32 = 0x1161, trailingBase: UInt32 = 0x11A7
    static let leadingCount: UInt32 = 19, vowelCount: UInt32 = 21, trailingCount: UInt32 = 28
    static let syllableCount = leadingCount * vowelCount * trailingCount

    static func isSyllable(_ scalar: UInt32) -> Bool { scalar &- syllableBase < syllableCount }

    static func decompose(_ scalar: UInt32, into scalars: inout [UInt32]) {
        let index = scalar - syllableBase
        scalars.append(leadingBase + index / (vowelCount * trailingCount))
        scalars.append(vowelBase + (index % (vowelCount * trailingCount)) / trailingCount)
        if index % trailingCount != 0 { scalars.append(trailingBase + index % trailingCount) }
    }

    static func compose(_ first: UInt32, _ second: UInt32) -> UInt32? {
        if first &- leadingBase < leadingCount, second &- vowelBase < vowelCount {
            return syllableBase + ((first - leadingBase) * vowelCount + (second - vowelBase)) * trailingCount
        }
        if isSyllable(first), (first - syllableBase) % trailingCount == 0, second > trailingBase, second - trailingBase < trailingCount {
            return first + (second - trailingBase)
        }
        return nil
    }
}

/// The canonical decomposition and composition data, decoded from `UnicodeTables` once.
struct CanonicalData: Sendable {
    static let shared = CanonicalData()

    let combiningClasses: [UInt32: UInt8]
    /// One level, as in UnicodeData.txt.
    let decompositions: [UInt32: [UInt32]]
    let fullDecompositions: [UInt32: [UInt32]]
    private let compositions: [UInt64: UInt32]
    let composingSeconds: Set<UInt32>

    func composite(_ first: UInt32, _ second: UInt32) -> UInt32? {
        compositions[UInt64(first) << 21 | UInt64(second)]
    }

    /// NFC leaves the scalar as it is when it stands alone.
    func isStableUnderNFC(_ scalar: UInt32) -> Bool {
        var scalars = fullDecompositions[scalar] ?? [scalar]
        UnicodeNormalization.orderCanonically(&scalars) { combiningClasses[$0] ?? 0 }
        UnicodeNormalization.composeInPlace(&scalars) { combiningClasses[$0] ?? 0 }
        return scalars == [scalar]
    }

    private init() {
        var classes: [UInt32: UInt8] = [:]
        var values = UnicodeTables.numbers(UnicodeTables.canonicalCombiningClassRuns)
        var end = 0
        var index = 0
        while index + 2 < values.count {
            let start = end + values[index]
            for scalar in start..<(start + values[index + 1]) { classes[UInt32(scalar)] = UInt8(values[index + 2]) }
            end = start + values[index + 1]
            index += 3
        }
        var decompositions: [UInt32: [UInt32]] = [:]
        values = UnicodeTables.numbers(UnicodeTables.canonicalDecompositions)
        var scalar = 0
        index = 0
        while index + 1 < values.count {
            scalar += values[index]
            let count = values[index + 1]
            decompositions[UInt32(scalar)] = values[(index + 2)..<(index + 2 + count)].map { UInt32($0) }
            index += 2 + count
        }
        var excluded = Set<UInt32>()
        var previous = 0
        for delta in UnicodeTables.numbers(UnicodeTables.compositionExclusions) {
            previous += delta
            excluded.insert(UInt32(previous))
        }
        var full: [UInt32: [UInt32]] = [:]
        func expand(_ scalar: UInt32) -> [UInt32] {
            guard let parts = decompositions[scalar] else { return [scalar] }
            return parts.flatMap(expand)
        }
        var compositions: [UInt64: UInt32] = [:]
        var seconds = Set<UInt32>()
        for (composite, parts) in decompositions {
            full[composite] = expand(composite)
            // Primary composites only: pairs, starters decomposing to a starter, not excluded.
            if parts.count == 2, !excluded.contains(composite), classes[composite] == nil, classes[parts[0]] == nil {
                compositions[UInt64(parts[0]) << 21 | UInt64(parts[1])] = composite
                seconds.insert(parts[1])
            }
        }
        self.combiningClasses = classes
        self.decompositions = decompositions
        self.fullDecompositions = full
        self.compositions = compositions
        self.composingSeconds = seconds
    }
}
