/// A token count that is fixed (`500`) or drawn uniformly per request from a range (`500:2000`).
public enum TokenCount: Sendable, Equatable, CustomStringConvertible {
    /// Every request asks for this many tokens.
    case fixed(Int)
    /// Each request shape draws its count uniformly from this range (under the workload's `seed`).
    case uniform(ClosedRange<Int>)

    /// Parses `N` or `A:B` (A <= B, all >= `minimum`).
    public init?(_ text: String, minimum: Int = 0) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1, let value = Int(parts[0]), value >= minimum {
            self = .fixed(value)
        } else if parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), low >= minimum, low <= high {
            self = low == high ? .fixed(low) : .uniform(low...high)
        } else {
            return nil
        }
    }

    /// `N` or `A:B`, as the flags take it.
    public var description: String {
        switch self {
        case .fixed(let value): String(value)
        case .uniform(let range): "\(range.lowerBound):\(range.upperBound)"
        }
    }

    /// `vllm bench serve`'s random lengths: `--random-input-len L` with `--random-range-ratio R`
    /// draws uniformly from [floor(L * (1 - R)), ceil(L * (1 + R))] (vLLM's `get_sampling_params`;
    /// R in [0, 1)), never below `minimum` (vLLM keeps output lengths at least 1).
    public static func vLLMRange(length: Int, ratio: Double, minimum: Int = 1) -> TokenCount {
        let low = max(Int((Double(length) * (1 - ratio)).rounded(.down)), minimum)
        let high = max(Int((Double(length) * (1 + ratio)).rounded(.up)), low)
        return low == high ? .fixed(low) : .uniform(low...high)
    }

    /// The largest count it can give.
    public var upperBound: Int {
        switch self {
        case .fixed(let value): value
        case .uniform(let range): range.upperBound
        }
    }

    /// True for `fixed`: every request has the same length, so one request shape serves them all.
    public var isFixed: Bool { if case .fixed = self { true } else { false } }

    func draw(_ generator: inout SeededGenerator) -> Int {
        switch self {
        case .fixed(let value): value
        case .uniform(let range): Int.random(in: range, using: &generator)
        }
    }
}

/// SplitMix64: a small, fast, seedable generator, so `--seed` reproduces a workload exactly.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
