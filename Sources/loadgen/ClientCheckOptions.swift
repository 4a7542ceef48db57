import Loadgen

/// The flags of the client's own timing, shared by every command that runs load (`run`,
/// `validate`, `bench`, `latency`, `sweep`): which clock stamps the responses, the limits of the
/// verdict on the client, and `--strict`, which makes a failed verdict exit 3.
struct ClientCheckOptions {
    var timestamps = TimestampSource.kernel
    var limits = ClientLimits()
    var strict = false

    static let help = """
          --stamp kernel|user     what stamps the arrival of response bytes (TTFT, ITL, latency):
                                  the kernel's receive time (default), or the client's clock
                                  when it gets to them; the client lag is reported either way
          --max-client-lag MS     the verdict's limit on the client lag p99 (default 1)
          --max-send-lag MS       ... on the client's send lag (think time) p99 (default 1)
          --max-loop-load PCT     ... on the busiest event loop's CPU load (default 90%)
          --max-merged-tokens PCT the share of stream token events read together with an
                                  earlier one (sharing its stamp, so their ITL reads 0) above
                                  which the verdict adds a caution on the ITL (default 5%);
                                  a caution, not a failure: --strict does not exit on it
          --strict                exit 3 when the verdict says the client fell behind
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--stamp":
            let text = try cursor.value(for: argument)
            guard let source = TimestampSource(rawValue: text) else { throw UsageError("--stamp must be kernel or user, got '\(text)'") }
            timestamps = source
        case "--max-client-lag": limits.clientLagMilliseconds = try cursor.milliseconds(for: argument)
        case "--max-send-lag": limits.sendLagMilliseconds = try cursor.milliseconds(for: argument)
        case "--max-loop-load":
            let load = try cursor.errorRate(for: argument)
            guard load > 0 else { throw UsageError("--max-loop-load must be above 0%") }
            limits.loopLoad = load
        case "--max-merged-tokens":
            let share = try cursor.errorRate(for: argument)
            guard share > 0 else { throw UsageError("--max-merged-tokens must be above 0%") }
            limits.mergedTokenShare = share
        case "--strict": strict = true
        default: return false
        }
        return true
    }

    func apply(to plan: inout LoadPlan) {
        plan.timestamps = timestamps
        plan.clientLimits = limits
    }

    /// With `--strict`: exit 3 and a one-line reason when any result's verdict failed (`name`
    /// says which result, e.g. "concurrency 100"); nil otherwise.
    func gate(_ results: [(name: String?, result: RunResult)]) -> (code: Int32, reason: String)? {
        guard strict else { return nil }
        let failed = results.filter { !$0.result.clientVerdict.keptUp }
        guard let first = failed.first else { return nil }
        let place = first.name.map { "at \($0): " } ?? ""
        let more = failed.count > 1 ? " (and \(failed.count - 1) more)" : ""
        return (ErrorRateGate.exitCode, "--strict: " + place + first.result.clientVerdict.summary + more)
    }
}

extension ArgumentCursor {
    /// A positive number of milliseconds, with or without "ms".
    mutating func milliseconds(for flag: String) throws(UsageError) -> Double {
        let text = try value(for: flag)
        let digits = text.hasSuffix("ms") ? String(text.dropLast(2)) : text
        guard let number = Double(digits), number.isFinite, number > 0 else {
            throw UsageError("\(flag) must be a positive number of milliseconds like 1 or 0.5, got '\(text)'")
        }
        return number
    }
}
