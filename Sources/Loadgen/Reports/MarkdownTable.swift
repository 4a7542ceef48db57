/// Tables for reports, readable both as Markdown and on a terminal.
enum MarkdownTable {
    /// A Markdown table with right-aligned number columns, padded for the terminal too.
    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { Format.padLeft($0.element, widths[$0.offset]) }.joined(separator: " | ") + " |"
        }
        var lines = [line(header)]
        lines.append("|" + widths.map { String(repeating: "-", count: $0 + 1) + ":" }.joined(separator: "|") + "|")
        for row in rows { lines.append(line(row)) }
        return lines.joined(separator: "\n")
    }

    /// A two-column (or any) table with left-aligned cells, for label/value tables.
    static func renderLeft(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { Format.padRight($0.element, widths[$0.offset]) }.joined(separator: " | ") + " |"
        }
        var lines = [line(header)]
        lines.append("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
        for row in rows { lines.append(line(row)) }
        return lines.joined(separator: "\n")
    }
}
