import Glibc
import Loadgen

/// `run`'s flags for workloads from files and for moving rates: `--dataset`, `--trace`, the
/// shared-prefix workload, `--ramp-up` (vLLM's `--ramp-up-strategy`) and `--stages`.
struct WorkloadOptions {
    var source: PromptSource?
    private var sourceFlag: String?
    private var traceSpeed: Double?
    private var blockTokens: Int?
    private var prefixTokens: Int?
    private var prefixes: Int?
    private var ramp: String?
    private var rampStart: Double?
    private var rampEnd: Double?
    var stages: [RateStage]?

    static let help = """
    Workloads from files (loaded, tokenized and serialized before the run; the time is reported):
          --dataset sharegpt:PATH  vLLM's ShareGPT JSON: each conversation's first user turn, the
                              answer's tokens as its output length (unless --max-tokens), vLLM's
                              length filter; -n/--num-prompts N prompts sampled with --seed
                              (default 1000, repeated in turn over a --duration)
          --dataset jsonl:PATH  one {"prompt": ..., "output_tokens": N} or {"messages": [...]} per line
                              (with --turns N, either dataset replays whole conversations:
                              see --turns)
          --trace PATH        Mooncake JSONL trace (timestamp ms, input_length, output_length,
                              hash_ids), replayed open loop on its timestamps: every request once
          --trace-speed X     replay X times faster (default 1)
          --block-tokens N    tokens per hash id (default 512); equal ids give equal text
          --shared-prefix-tokens N  vLLM's prefix repetition: K prefixes of N tokens, each request
                              one of them in turn plus its own suffix of --input-tokens tokens
          --prefixes K        (default 10)
    Moving rates (open loop):
          --ramp-up linear|exponential --ramp-start-rate R0 --ramp-end-rate R1  the rate moves
                              from R0 to R1 over --duration (with -n: over the time N requests take;
                              vLLM: --ramp-up-strategy, --ramp-up-start-rps, --ramp-up-end-rps)
          --stages RATE:DURATION,...  stepped load, e.g. 5:30s,10:30s,20:1m (the run lasts their sum)
    """

    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--dataset":
            let text = try cursor.value(for: argument)
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw UsageError("--dataset must be sharegpt:PATH or jsonl:PATH, got '\(text)'")
            }
            switch parts[0] {
            case "sharegpt": try claim(.shareGPT(path: parts[1]), argument)
            case "jsonl": try claim(.jsonl(path: parts[1]), argument)
            default: throw UsageError("--dataset must be sharegpt:PATH or jsonl:PATH, got '\(text)'")
            }
        case "--trace":
            let path = try cursor.value(for: argument)
            guard !path.isEmpty else { throw UsageError("--trace needs a file") }
            try claim(.trace(path: path, speed: 1, blockTokens: 512), argument)
        case "--trace-speed": traceSpeed = try cursor.positiveDouble(for: argument)
        case "--block-tokens": blockTokens = try cursor.int(for: argument, in: 1...1_000_000)
        case "--shared-prefix-tokens":
            prefixTokens = try cursor.int(for: argument, in: 1...1_000_000)
            try claim(.sharedPrefix(prefixTokens: prefixTokens!, prefixes: 10), argument)
        case "--prefixes": prefixes = try cursor.int(for: argument, in: 1...1_000_000)
        case "--ramp-up", "--ramp-up-strategy":
            let value = try cursor.value(for: argument)
            guard value == "linear" || value == "exponential" else {
                throw UsageError("\(argument) must be linear or exponential, got '\(value)'")
            }
            ramp = value
        case "--ramp-start-rate", "--ramp-up-start-rps":
            let text = try cursor.value(for: argument)
            guard let value = Double(text), value.isFinite, value >= 0 else { throw UsageError("--ramp-start-rate must be a number >= 0, got '\(text)'") }
            rampStart = value
        case "--ramp-end-rate", "--ramp-up-end-rps":
            let text = try cursor.value(for: argument)
            guard let value = Double(text), value.isFinite, value >= 0 else { throw UsageError("--ramp-end-rate must be a number >= 0, got '\(text)'") }
            rampEnd = value
        case "--stages": stages = try Self.parseStages(try cursor.value(for: argument))
        default: return false
        }
        return true
    }

    private mutating func claim(_ new: PromptSource, _ flag: String) throws(UsageError) {
        if let sourceFlag { throw UsageError("give one of --dataset, --trace and --shared-prefix-tokens (\(sourceFlag) was given, then \(flag))") }
        source = new
        sourceFlag = flag
    }

    /// The source with its modifiers applied, checked against each other.
    func checkedSource() throws(UsageError) -> PromptSource? {
        if traceSpeed != nil || blockTokens != nil, case .trace = source {} else if traceSpeed != nil || blockTokens != nil {
            throw UsageError("--trace-speed and --block-tokens apply to --trace")
        }
        if prefixes != nil, case .sharedPrefix = source {} else if prefixes != nil {
            throw UsageError("--prefixes applies to --shared-prefix-tokens")
        }
        switch source {
        case .trace(let path, _, _)?: return .trace(path: path, speed: traceSpeed ?? 1, blockTokens: blockTokens ?? 512)
        case .sharedPrefix(let tokens, _)?: return .sharedPrefix(prefixTokens: tokens, prefixes: prefixes ?? 10)
        default: return source
        }
    }

    var asksForMovingRate: Bool { stages != nil || ramp != nil || rampStart != nil || rampEnd != nil }

    var isTrace: Bool { if case .trace = source { true } else { false } }

    /// The moving rate asked for, if any: a ramp over `seconds` (the run's duration), or stages.
    func rateProfile(seconds: Double?, requests: Int?) throws(UsageError) -> RateProfile? {
        let rampFlags = ramp != nil || rampStart != nil || rampEnd != nil
        if let stages {
            if rampFlags { throw UsageError("give --stages or --ramp-up, not both") }
            return .stages(stages)
        }
        guard rampFlags else { return nil }
        guard let ramp, let rampStart, let rampEnd else {
            throw UsageError("a ramp needs all of --ramp-up linear|exponential, --ramp-start-rate R0 and --ramp-end-rate R1")
        }
        if ramp == "exponential", rampStart == 0 || rampEnd == 0 {
            throw UsageError("an exponential ramp needs rates above 0 (--ramp-start-rate and --ramp-end-rate)")
        }
        if rampStart == 0, rampEnd == 0 { throw UsageError("--ramp-start-rate and --ramp-end-rate are both 0: nothing would be sent") }
        var span = seconds ?? 10
        if seconds == nil, let requests {
            // Over the time the N requests are expected to take: Λ(span) = N.
            let count = Double(requests)
            span = ramp == "linear" ? 2 * count / (rampStart + rampEnd)
                : (abs(rampEnd - rampStart) < 1e-12 ? count / rampStart : count * log(rampEnd / rampStart) / (rampEnd - rampStart))
        }
        return ramp == "linear" ? .linear(from: rampStart, to: rampEnd, seconds: span) : .exponential(from: rampStart, to: rampEnd, seconds: span)
    }

    /// "5:30s,10:30s,20:1m": a rate (requests/s, 0 allowed) and a duration per stage.
    static func parseStages(_ text: String) throws(UsageError) -> [RateStage] {
        var stages: [RateStage] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard pair.count == 2, let rate = Double(pair[0]), rate.isFinite, rate >= 0, rate <= 10_000_000,
                  let seconds = ArgumentCursor.parseSeconds(pair[1]), seconds > 0 else {
                throw UsageError("--stages must be RATE:DURATION pairs like 5:30s,10:30s,20:1m, got '\(part)' in '\(text)'")
            }
            stages.append(RateStage(rate: rate, seconds: seconds))
        }
        guard stages.contains(where: { $0.rate > 0 }) else { throw UsageError("--stages: every stage has rate 0, nothing would be sent") }
        return stages
    }
}
