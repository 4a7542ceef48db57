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

    /// Right-aligns `text` in `width` columns.
    package static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Left-aligns `text` in `width` columns.
    package static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
