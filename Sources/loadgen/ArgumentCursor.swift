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
