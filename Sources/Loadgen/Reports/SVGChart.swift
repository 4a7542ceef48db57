/// A line chart drawn as SVG text, so reports need no plotting dependency.
///
/// X values are categories placed evenly (concurrency levels such as 100, 250, ..., 2000 read
/// better evenly spaced than on a linear axis); Y is linear from zero with rounded gridlines.
struct SVGChart: Sendable {
    struct Series: Sendable {
        var name: String
        var values: [Double]
        var color: String
        /// Half-widths of error bars (e.g. 95% confidence intervals), one per value, or none.
        var errors: [Double]?
        init(name: String, values: [Double], color: String, errors: [Double]? = nil) {
            self.name = name
            self.values = values
            self.color = color
            self.errors = errors
        }
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var categories: [String]
    var series: [Series]
    var width = 800
    var height = 450

    init(title: String, xLabel: String, yLabel: String, categories: [String], series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd"]

    /// The SVG document.
    func render() -> String {
        // The legend has its own row between the title and the plot, so it never covers data.
        let left = 90.0, right = 30.0, top = 70.0, bottom = 70.0
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let tops = series.flatMap { line in
            line.values.enumerated().map { index, value in value + (line.errors.map { index < $0.count && $0[index].isFinite ? $0[index] : 0 } ?? 0) }
        }
        let maximum = tops.filter(\.isFinite).max() ?? 1
        let step = Self.niceStep(maximum / 5)
        let yMax = max(step, (maximum / step).rounded(.up) * step)
        func x(_ index: Int) -> Double {
            categories.count <= 1 ? left + plotWidth / 2 : left + plotWidth * Double(index) / Double(categories.count - 1)
        }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - value / yMax) }
        func f(_ value: Double) -> String { Format.fixed(value, decimals: 1, trimZeros: true) }

        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="sans-serif" font-size="12">"#
        svg += "\n" + #"<rect width="100%" height="100%" fill="white"/>"#
        svg += "\n" + #"<text x="\#(f(Double(width) / 2))" y="28" text-anchor="middle" font-size="16" font-weight="bold">\#(Self.escape(title))</text>"#
        var tickIndex = 0.0
        while tickIndex * step <= yMax * 1.0001 {
            // Multiplied, not summed, so 0.1 + 0.1 + 0.1 does not drift to 0.30000000000000004.
            let tick = tickIndex * step
            svg += "\n" + #"<line x1="\#(f(left))" y1="\#(f(y(tick)))" x2="\#(f(left + plotWidth))" y2="\#(f(y(tick)))" stroke="gainsboro"/>"#
            svg += "\n" + #"<text x="\#(f(left - 8))" y="\#(f(y(tick) + 4))" text-anchor="end">\#(Self.tickLabel(tick, step: step))</text>"#
            tickIndex += 1
        }
        svg += "\n" + #"<line x1="\#(f(left))" y1="\#(f(top))" x2="\#(f(left))" y2="\#(f(top + plotHeight))" stroke="black"/>"#
        svg += "\n" + #"<line x1="\#(f(left))" y1="\#(f(top + plotHeight))" x2="\#(f(left + plotWidth))" y2="\#(f(top + plotHeight))" stroke="black"/>"#
        for (index, category) in categories.enumerated() {
            svg += "\n" + #"<text x="\#(f(x(index)))" y="\#(f(top + plotHeight + 18))" text-anchor="middle">\#(Self.escape(category))</text>"#
        }
        svg += "\n" + #"<text x="\#(f(left + plotWidth / 2))" y="\#(height - 20)" text-anchor="middle">\#(Self.escape(xLabel))</text>"#
        svg += "\n" + #"<text x="20" y="\#(f(top + plotHeight / 2))" text-anchor="middle" transform="rotate(-90 20 \#(f(top + plotHeight / 2)))">\#(Self.escape(yLabel))</text>"#
        for (seriesIndex, line) in series.enumerated() {
            let points = line.values.enumerated().filter { $0.element.isFinite }
                .map { "\(f(x($0.offset))),\(f(y($0.element)))" }
            svg += "\n" + #"<polyline fill="none" stroke="\#(line.color)" stroke-width="2" points="\#(points.joined(separator: " "))"/>"#
            for (index, value) in line.values.enumerated() where value.isFinite {
                if let errors = line.errors, index < errors.count, errors[index].isFinite, errors[index] > 0 {
                    // An error bar: the interval as a vertical line with short caps.
                    let low = y(max(value - errors[index], 0)), high = y(value + errors[index]), cx = x(index)
                    svg += "\n" + #"<path d="M\#(f(cx)) \#(f(low)) V\#(f(high)) M\#(f(cx - 5)) \#(f(low)) H\#(f(cx + 5)) M\#(f(cx - 5)) \#(f(high)) H\#(f(cx + 5))" stroke="\#(line.color)" stroke-width="1.5" fill="none"/>"#
                }
                svg += "\n" + #"<circle cx="\#(f(x(index)))" cy="\#(f(y(value)))" r="4" fill="\#(line.color)"><title>\#(Self.escape(line.name)) \#(Self.escape(categories[index])): \#(Self.label(value))</title></circle>"#
            }
            // Legend entries side by side in the row above the plot, right-aligned to it.
            let legendY = top - 18
            let entryWidth = 130.0
            let legendX = left + plotWidth - entryWidth * Double(series.count - seriesIndex)
            svg += "\n" + #"<rect x="\#(f(legendX))" y="\#(f(legendY - 9))" width="12" height="12" fill="\#(line.color)"/>"#
            svg += "\n" + #"<text x="\#(f(legendX + 18))" y="\#(f(legendY + 1))">\#(Self.escape(line.name))</text>"#
        }
        svg += "\n</svg>\n"
        return svg
    }

    /// 1, 2 or 5 times a power of ten, at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        var power = 1.0
        while power * 10 <= rough { power *= 10 }
        while power > rough { power /= 10 }
        for multiple in [1.0, 2.0, 5.0, 10.0] where power * multiple >= rough { return power * multiple }
        return power * 10
    }

    /// A value in a tooltip, by the reports' rule.
    static func label(_ value: Double) -> String { Format.rate(value) }

    /// A y-axis tick: as many decimals as the step needs (a step of 0.002 shows 0.002, 0.004...,
    /// where two fixed decimals printed every tick as "0"), thousands grouped.
    static func tickLabel(_ value: Double, step: Double) -> String {
        var decimals = 0
        var scaled = step
        while decimals < 9, abs(scaled - scaled.rounded()) > 1e-9 * max(1, abs(scaled)) {
            scaled *= 10
            decimals += 1
        }
        if decimals == 0, value >= 1000 { return Format.grouped(value) }
        return Format.fixed(value, decimals: decimals)
    }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        return output
    }
}
