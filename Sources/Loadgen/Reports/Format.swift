/// Number formatting for reports, without Foundation.
package enum Format {
    /// `value` with exactly `decimals` fraction digits (rounded half away from zero);
    /// `trimZeros` drops trailing zeros and a trailing point.
    package static func fixed(_ value: Double, decimals: Int, trimZeros: Bool = false) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let decimals = max(0, min(decimals, 9))
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e18 else { return String(value) }
        let units = UInt64(scaled)
        let integerPart = units / UInt64(scale)
        var fraction = String(units % UInt64(scale))
        if decimals > 0 { fraction = String(repeating: "0", count: decimals - fraction.count) + fraction }
        if trimZeros {
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        var text = (negative && units > 0 ? "-" : "") + String(integerPart)
        if !fraction.isEmpty && decimals > 0 { text += "." + fraction }
        return text
    }

    /// Groups thousands with commas: 1234567 -> "1,234,567".
    package static func grouped(_ value: UInt64) -> String {
        let digits = String(value)
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output += "," }
            output.append(character)
        }
        return output
    }

    /// Rounds to an integer and groups thousands.
    package static func grouped(_ value: Double) -> String {
        // UInt64 holds up to ~1.8e19; anything larger (only from absurd input) is printed plainly.
        guard value.isFinite, value >= 0, value < 1.8e19 else { return fixed(value, decimals: 0) }
        return grouped(UInt64(value.rounded()))
    }

    // The one rule every report follows for the numbers people read (text, Markdown, charts),
    // so one line never mixes `52956.1 req/s` with `24,604,697 tok/s`:
    // - rates, throughputs and other quantities: whole and grouped from 100 up (52,956 req/s,
    //   24,604,697 tok/s), one decimal from 10 (52.3), two below (5.48, 0.07);
    // - times: milliseconds with two decimals (16.70 ms), three below 0.1 ms (0.042 ms);
    // - shares: percent with one decimal (99.5%).
    // JSON keeps full precision; these are for reading.

    /// A rate or quantity by the report rule: "52,956", "52.3", "5.48".
    package static func rate(_ value: Double) -> String {
        guard value.isFinite else { return fixed(value, decimals: 0) }
        let size = abs(value)
        if size >= 99.5 { return value < 0 ? "-" + grouped(size) : grouped(size) }
        if size >= 9.995 { return fixed(value, decimals: 1) }
        return fixed(value, decimals: 2)
    }

    /// A time in milliseconds by the report rule: "16.70", "0.042" (no unit).
    package static func milliseconds(_ value: Double) -> String {
        fixed(value, decimals: abs(value) < 0.0995 && value != 0 ? 3 : 2)
    }

    /// A fraction 0...1 as a percentage by the report rule: "99.5%".
    package static func percent(_ fraction: Double) -> String {
        fixed(fraction * 100, decimals: 1) + "%"
    }

    /// Right-aligns `text` in `width` columns.
    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Left-aligns `text` in `width` columns.
    static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
