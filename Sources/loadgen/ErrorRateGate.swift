import Loadgen

/// Exit 3 for a command that completed but whose requests failed: none succeeded, or more
/// failed than `--max-error-rate` allows. A CI job can gate on the exit code without parsing JSON.
enum ErrorRateGate {
    static let exitCode: Int32 = 3

    /// The exit code and a one-line reason, or nil when the run passes.
    static func check(requests: UInt64, succeeded: UInt64, maximum: Double?) -> (code: Int32, reason: String)? {
        guard requests > 0 else { return nil }
        let failed = requests - succeeded
        if succeeded == 0 {
            return (exitCode, "no request succeeded (\(Format.grouped(failed)) of \(Format.grouped(requests)) failed)")
        }
        let rate = Double(failed) / Double(requests)
        if let maximum, rate > maximum {
            return (exitCode, "error rate \(Format.fixed(rate * 100, decimals: 2))% (\(Format.grouped(failed)) of \(Format.grouped(requests))) is above --max-error-rate \(Format.fixed(maximum * 100, decimals: 2, trimZeros: true))%")
        }
        return nil
    }
}

extension ArgumentCursor {
    /// `--max-error-rate`: a fraction 0...1 or a percentage with %.
    mutating func errorRate(for flag: String) throws(UsageError) -> Double {
        let text = try value(for: flag)
        let percent = text.hasSuffix("%")
        guard let number = Double(percent ? String(text.dropLast()) : text), number.isFinite else {
            throw UsageError("\(flag) must be a fraction like 0.05 or a percentage like 5%, got '\(text)'")
        }
        let fraction = percent ? number / 100 : number
        guard fraction >= 0, fraction <= 1 else { throw UsageError("\(flag) must be from 0 to 1 (or 0% to 100%), got '\(text)'") }
        return fraction
    }
}
