/// The line loop of the JSONL files a workload reads (prompt files, traces): each line that is
/// not blank is handed to the reader as a cursor over that line alone; the first failure stops
/// the loop and becomes one error naming the file and the line.
enum JSONLines {
    static func forEachLine(of file: DatasetBytes,
                            _ body: (_ cursor: inout JSONCursor, _ line: Int) throws(JSONCursor.Failure) -> Void) throws(DatasetError) {
        var problem: (line: Int, reason: String)?
        file.bytes.withUnsafeBytes { raw in
            var lineStart = 0
            var line = 0
            while lineStart < raw.count, problem == nil {
                line += 1
                var lineEnd = lineStart
                while lineEnd < raw.count, raw[lineEnd] != 0x0A { lineEnd += 1 }
                var cursor = JSONCursor(raw, from: lineStart, to: lineEnd)
                if !cursor.isAtEnd {
                    do throws(JSONCursor.Failure) {
                        try body(&cursor, line)
                    } catch {
                        problem = (line, error.reason)
                    }
                }
                lineStart = lineEnd + 1
            }
        }
        if let problem { throw DatasetError(path: file.path, location: "line \(problem.line)", problem: problem.reason) }
    }
}
