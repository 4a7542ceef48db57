import Glibc

/// Result files named `KIND_YYYYMMDD_HHMMSS.*`, written atomically.
package enum ResultFiles {
    /// "YYYYMMDD_HHMMSS" in local time for `wallSeconds`.
    package static func timestamp(_ wallSeconds: Double) -> String {
        var seconds = time_t(wallSeconds)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))_\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    /// `KIND_YYYYMMDD_HHMMSS` for `wallSeconds`, or that with `_2`, `_3`... when `directory`
    /// already holds `<stem>.json`: runs started within one second would otherwise replace each
    /// other's files (the atomic rename does not ask).
    package static func freshStem(_ kind: String, wallSeconds: Double, directory: String) -> String {
        let base = kind + "_" + timestamp(wallSeconds)
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        var stem = base
        var suffix = 2
        while access(dir + stem + ".json", F_OK) == 0 {
            stem = base + "_" + String(suffix)
            suffix += 1
        }
        return stem
    }

    /// Makes sure results can be written into `directory` before anything is measured: creates
    /// it, writes and removes a probe file. An unwritable directory used to be found only after
    /// the whole benchmark had run.
    package static func checkWritable(_ directory: String) throws(SystemError) {
        try TextFile.makeDirectory(directory)
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        let probe = dir + ".loadgen-write-check-\(getpid())"
        try TextFile.writeAtomically("", to: probe)
        unlink(probe)
    }

    /// Writes validate_*.json, validate_*.md and its two SVG charts into `directory`.
    package static func writeValidation(_ result: ValidationResult, directory: String) throws(SystemError) -> (json: String, markdown: String) {
        try TextFile.makeDirectory(directory)
        let stem = freshStem("validate", wallSeconds: result.startedAtWallSeconds, directory: directory)
        let base = directory.hasSuffix("/") ? directory + stem : directory + "/" + stem
        let throughput = stem + "_throughput.svg"
        let latency = stem + "_latency.svg"
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        try TextFile.writeAtomically(ValidationReport.throughputChart(result).render(), to: dir + throughput)
        try TextFile.writeAtomically(ValidationReport.latencyChart(result).render(), to: dir + latency)
        let timeline = try writeServerTimeline(result.serverMetrics, directory: dir, stem: stem)
        try TextFile.writeAtomically(ValidationReport.json(result).serialized(pretty: true) + "\n", to: base + ".json")
        try TextFile.writeAtomically(ValidationReport.markdown(result, throughputChart: throughput, latencyChart: latency,
                                                               serverTimeline: timeline), to: base + ".md")
        return (base + ".json", base + ".md")
    }

    /// Writes `stem`.json, `stem`.md and its two SVG charts into `directory`; the caller fixes the
    /// stem once (`freshStem("unified", ...)`), so saving again (after each test) replaces the files.
    package static func writeBench(_ bench: BenchResult, directory: String, stem: String) throws(SystemError) -> (json: String, markdown: String) {
        try TextFile.makeDirectory(directory)
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        let throughput = stem + "_throughput.svg"
        let latency = stem + "_latency.svg"
        if !bench.levelResults.isEmpty {
            try TextFile.writeAtomically(BenchReport.throughputChart(bench).render(), to: dir + throughput)
            try TextFile.writeAtomically(BenchReport.latencyChart(bench).render(), to: dir + latency)
        }
        let timeline = try writeServerTimeline(bench.serverMetrics, directory: dir, stem: stem)
        try TextFile.writeAtomically(BenchReport.json(bench).serialized(pretty: true) + "\n", to: dir + stem + ".json")
        try TextFile.writeAtomically(BenchReport.markdown(bench, throughputChart: throughput, latencyChart: latency,
                                                          serverTimeline: timeline), to: dir + stem + ".md")
        return (dir + stem + ".json", dir + stem + ".md")
    }

    /// Writes `stem`.json and `stem`.md into `directory` (the caller fixes the stem once, so
    /// saving after every level replaces the same files).
    package static func writeSweep(_ sweep: SweepResult, directory: String, stem: String) throws(SystemError) -> (json: String, markdown: String) {
        try TextFile.makeDirectory(directory)
        let dir = directory.hasSuffix("/") ? directory : directory + "/"
        let base = dir + stem
        let throughput = stem + "_throughput.svg"
        let latency = stem + "_latency.svg"
        try TextFile.writeAtomically(SweepReport.throughputChart(sweep).render(), to: dir + throughput)
        try TextFile.writeAtomically(SweepReport.latencyChart(sweep).render(), to: dir + latency)
        let timeline = try writeServerTimeline(sweep.serverMetrics, directory: dir, stem: stem)
        try TextFile.writeAtomically(SweepReport.json(sweep).serialized(pretty: true) + "\n", to: base + ".json")
        try TextFile.writeAtomically(SweepReport.markdown(sweep, throughputChart: throughput, latencyChart: latency,
                                                          serverTimeline: timeline), to: base + ".md")
        return (base + ".json", base + ".md")
    }

    /// Writes `stem`_server.svg, the timeline of the server's metrics, into `directory` (ending
    /// in "/") when they were scraped; returns its file name for the report.
    package static func writeServerTimeline(_ run: ServerMetricsRun?, directory: String, stem: String) throws(SystemError) -> String? {
        guard let svg = run?.timelineSVG() else { return nil }
        let name = stem + "_server.svg"
        try TextFile.writeAtomically(svg, to: directory + name)
        return name
    }
}
