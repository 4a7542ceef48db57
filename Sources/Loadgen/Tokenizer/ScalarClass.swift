/// A set of Unicode scalars, as a regex character class or literal matches it: explicit ranges,
/// property masks (general categories, `\s`, `\w`, scripts; see `UnicodeProperties`), and their
/// complements. ASCII membership is precomputed into a 128-bit map, so most text never reaches
/// the property table.
struct ScalarClass: Sendable, Equatable {
    /// Any of these property bits makes a scalar a member.
    var properties: UnicodeProperties.Mask = 0
    /// A scalar with none of the bits of one of these masks is a member (`\S`, `\P{L}` inside a class).
    var excludedProperties: [UnicodeProperties.Mask] = []
    var ranges: [ClosedRange<UInt32>] = []
    var negated = false
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0

    init(properties: UnicodeProperties.Mask = 0, excludedProperties: [UnicodeProperties.Mask] = [],
         ranges: [ClosedRange<UInt32>] = [], negated: Bool = false) {
        self.properties = properties
        self.excludedProperties = excludedProperties
        self.ranges = ranges
        self.negated = negated
        finish()
    }

    static func scalar(_ value: UInt32) -> ScalarClass { ScalarClass(ranges: [value...value]) }

    /// Recomputes the ASCII map after the parts change.
    mutating func finish() {
        asciiLow = 0
        asciiHigh = 0
        for scalar in UInt32(0)..<128 where slowContains(scalar) {
            if scalar < 64 { asciiLow |= 1 << UInt64(scalar) } else { asciiHigh |= 1 << UInt64(scalar - 64) }
        }
    }

    @inline(__always)
    func contains(_ scalar: UInt32) -> Bool {
        if scalar < 64 { return asciiLow & (1 << UInt64(scalar)) != 0 }
        if scalar < 128 { return asciiHigh & (1 << UInt64(scalar - 64)) != 0 }
        return slowContains(scalar)
    }

    private func slowContains(_ scalar: UInt32) -> Bool {
        var member = false
        for range in ranges where range.contains(scalar) {
            member = true
            break
        }
        if !member, properties != 0 || !excludedProperties.isEmpty {
            let mask = UnicodeProperties.table.mask(scalar)
            if mask & properties != 0 {
                member = true
            } else {
                for excluded in excludedProperties where mask & excluded == 0 {
                    member = true
                    break
                }
            }
        }
        return member != negated
    }

    /// Adds every scalar `(?i)` treats as equal to a member of the explicit ranges.
    mutating func addCaseVariants() {
        var added: [ClosedRange<UInt32>] = []
        for group in CaseFolding.classes where group.contains(where: { scalar in ranges.contains { $0.contains(scalar) } }) {
            added += group.map { $0...$0 }
        }
        ranges += added
        finish()
    }
}

/// Scalars Oniguruma's `(?i)` matches as one (simple case folding, probed from `tokenizers`).
enum CaseFolding {
    static let classes: [[UInt32]] = {
        let numbers = UnicodeTables.numbers(UnicodeTables.caseFoldClasses)
        var classes: [[UInt32]] = []
        var index = 0
        while index < numbers.count {
            let count = numbers[index]
            classes.append(numbers[(index + 1)..<(index + 1 + count)].map { UInt32($0) })
            index += 1 + count
        }
        return classes
    }()
}
