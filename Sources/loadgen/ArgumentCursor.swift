/// Walks the arguments of one subcommand: flags with values, repeatable flags, positionals.
///
/// Hand-written on purpose: loadgen has no dependencies. Accepts `--flag value`, `--flag=value`
/// and `-f value`.
struct ArgumentCursor {
    private var arguments: [String]
    private var index = 0
    /// The value that came attached with `--flag=value`, if any.
    private var attachedValue: String?

    init(_ arguments: [String]) { self.arguments = arguments }

    /// The next flag or positional, or nil at the end.
    mutating func next() -> String? {
        guard index < arguments.count else { return nil }
        let argument = arguments[index]
        index += 1
        attachedValue = nil
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            attachedValue = String(argument[argument.index(after: equals)...])
            return String(argument[..<equals])
        }
        return argument
    }

    /// The next argument, not taken (nil at the end, or when a `--flag=value` value is pending).
    func peek() -> String? {
        attachedValue == nil && index < arguments.count ? arguments[index] : nil
    }

    mutating func value(for flag: String) throws(UsageError) -> String {
        if let attachedValue {
            self.attachedValue = nil
            return attachedValue
        }
        guard index < arguments.count else { throw UsageError("\(flag) needs a value") }
        index += 1
        return arguments[index - 1]
    }

    mutating func int(for flag: String, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        let text = try value(for: flag)
        guard let number = Int(text.replacingUnderscores()), range.contains(number) else {
            throw UsageError("\(flag) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    mutating func double(for flag: String, minimum: Double = 0) throws(UsageError) -> Double {
        let text = try value(for: flag)
        guard let number = Double(text), number.isFinite, number >= minimum else {
            throw UsageError("\(flag) must be a number >= \(Format.fixed(minimum, decimals: 3, trimZeros: true)), got '\(text)'")
        }
        return number
    }

    /// A number above zero.
    mutating func positiveDouble(for flag: String) throws(UsageError) -> Double {
        let text = try value(for: flag)
        guard let number = Double(text), number.isFinite, number > 0 else {
            throw UsageError("\(flag) must be a number > 0, got '\(text)'")
        }
        return number
    }

    /// A duration: plain seconds, or a number with ms, s, m or h; zero only if `allowingZero`.
    mutating func seconds(for flag: String, allowingZero: Bool = false, atMost maximum: Double = .infinity) throws(UsageError) -> Double {
        let text = try value(for: flag)
        guard let seconds = Self.parseSeconds(text), seconds > 0 || (allowingZero && seconds == 0) else {
            let kind = allowingZero ? "a duration >= 0" : "a positive duration"
            throw UsageError("\(flag) must be \(kind) like 30, 30s, 500ms, 2m or 1h, got '\(text)'")
        }
        guard seconds <= maximum else {
            throw UsageError("\(flag) must be at most \(Format.fixed(maximum, decimals: 0)) s, got '\(text)'")
        }
        return seconds
    }

    static func parseSeconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite else { return nil }
            return number * scale
        }
        guard let number = Double(text), number.isFinite else { return nil }
        return number
    }
}

import Loadgen

extension String {
    /// "10_000" reads as 10000.
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

/// A warmup: a duration (`5s`, `500ms`, `2m`: a unit is required) or a request count (`10`).
/// The same spelling for every command that has one; a bare number is a count, as
/// `vllm bench serve --num-warmups` and the seeds' warmup requests count them.
enum WarmupSpec: Equatable {
    case seconds(Double)
    case requests(Int)

    static func parse(_ text: String, flag: String) throws(UsageError) -> WarmupSpec {
        let problem = UsageError("\(flag) must be a request count like 10 or a duration with a unit like 5s or 500ms, got '\(text)'")
        if let count = Int(text.replacingUnderscores()) {
            guard count >= 0, count <= 100_000_000 else { throw problem }
            return .requests(count)
        }
        guard text.last?.isLetter == true, let seconds = ArgumentCursor.parseSeconds(text), seconds >= 0, seconds <= 86_400 else { throw problem }
        return .seconds(seconds)
    }

    var description: String {
        switch self {
        case .seconds(let seconds): "\(Format.fixed(seconds, decimals: 3, trimZeros: true)) s"
        case .requests(let count): "\(count) request\(count == 1 ? "" : "s")"
        }
    }
}

extension ArgumentCursor {
    mutating func warmup(for flag: String) throws(UsageError) -> WarmupSpec {
        try WarmupSpec.parse(try value(for: flag), flag: flag)
    }

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
