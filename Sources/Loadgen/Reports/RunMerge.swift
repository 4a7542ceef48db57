/// Results of several loadgen processes that drove one server at the same time (one per client
/// machine, say), combined as if one process had sent every request.
///
/// Counts, tokens, bytes, CPU time and errors by class add; concurrency, threads and requested
/// rates add (each process drove its share); latency percentiles come from the merged histograms,
/// exactly as one process would have computed them, never from averaged percentiles. The duration
/// is the length of the union of the runs' wall-clock windows (first measured send to last
/// completion, `started_at`/`ended_at`), so rates are over the time at least one process was
/// measuring. Windows from different machines are compared on their clocks, which must agree
/// (NTP keeps them within milliseconds).
///
/// ```swift
/// let parts = try files.map { try RunReportDecoder.result(fromJSONText: $0) }
/// let merged = try RunMerge(parts)
/// print(RunReport.json(merged.result).serialized())
/// ```
public struct RunMerge: Sendable {
    /// More parts than this are refused, so no count can overflow (see `RunReportDecoder.maximumCount`).
    public static let maximumParts = 10_000

    /// The inputs, in the order given.
    public let parts: [RunResult]
    /// The combined result; `durationSeconds` is `unionSeconds`.
    public let result: RunResult
    /// Seconds during which at least one part was measuring.
    public var unionSeconds: Double { result.durationSeconds }
    /// Seconds from the earliest start to the latest end (equals `unionSeconds` unless there are gaps).
    public let spanSeconds: Double
    /// False if the windows leave a gap, i.e. the parts did not all run at the same time; the gap
    /// is not counted in the duration.
    public let windowsAreContiguous: Bool

    /// Merges `parts`; throws if there are none, too many, or they were measured against
    /// different `--slo` objectives.
    public init(_ parts: [RunResult]) throws(RunMergeError) {
        guard !parts.isEmpty else { throw .noParts }
        guard parts.count <= Self.maximumParts else { throw .tooManyParts(parts.count) }
        if let index = parts.firstIndex(where: { $0.objectives != parts[0].objectives }) {
            throw .differentObjectives(part: index)
        }
        if let index = parts.firstIndex(where: { $0.workloadKind != parts[0].workloadKind }) {
            throw .differentWorkloads(part: index, kind: parts[index].workloadKind.description, firstKind: parts[0].workloadKind.description)
        }
        // The same file twice would double every count; a start to the microsecond with the same
        // counts is no coincidence between two machines.
        for (index, part) in parts.enumerated() {
            if let earlier = parts[..<index].firstIndex(where: { Self.sameMeasurement($0, part) }) {
                throw .duplicate(part: index, of: earlier)
            }
        }
        var merged = RunResult()
        for part in parts {
            merged.merge(part)
            merged.mergeProcessFigures(part)
        }
        // Each process was asked for its own rate; together they offered the sum.
        merged.requestedRate = parts.reduce(0) { $0 + $1.requestedRate }
        merged.objectives = parts[0].objectives

        let windows = parts.compactMap { part -> (start: Double, end: Double)? in
            guard let start = part.startedAtWallSeconds, let end = part.endedAtWallSeconds else { return nil }
            return (start, end)
        }.sorted { $0.start < $1.start }
        var union = 0.0
        var contiguous = true
        var current: (start: Double, end: Double)?
        for window in windows {
            if let open = current, window.start <= open.end {
                current = (open.start, max(open.end, window.end))
            } else {
                if let open = current {
                    union += open.end - open.start
                    contiguous = false
                }
                current = window
            }
        }
        if let open = current { union += open.end - open.start }
        merged.durationSeconds = union
        self.parts = parts
        self.result = merged
        spanSeconds = windows.isEmpty ? 0 : (windows.map(\.end).max()! - windows[0].start)
        windowsAreContiguous = contiguous
    }

    static func sameMeasurement(_ a: RunResult, _ b: RunResult) -> Bool {
        a.startedAtWallSeconds != nil && a.startedAtWallSeconds == b.startedAtWallSeconds && a.endedAtWallSeconds == b.endedAtWallSeconds
            && a.requests == b.requests && a.succeeded == b.succeeded && a.failed == b.failed
    }

    /// `RunReport.json` of the merged result, plus `merged_from`: the names of the parts.
    public func json(sources: [String]) -> JSONValue {
        guard case .object(var members) = RunReport.json(result) else { return RunReport.json(result) }
        members.append(("merged_from", .array(sources.map { .string($0) })))
        return .object(members)
    }

    /// A readable summary: one line per part, the window, then the merged run as `loadgen run`
    /// prints it.
    public func text(sources: [String]) -> String {
        let origin = result.startedAtWallSeconds ?? 0
        func seconds(_ value: Double) -> String { Format.fixed(value, decimals: 3) }
        var lines = ["loadgen merge: \(parts.count) run\(parts.count == 1 ? "" : "s")"]
        let width = min(max(sources.map(\.count).max() ?? 0, 4), 40)
        for (index, part) in parts.enumerated() {
            let name = Format.padRight(index < sources.count ? sources[index] : "part \(index + 1)", width)
            var line = "  \(name)  \(Format.grouped(part.requests)) requests, concurrency \(part.concurrency)"
            if let start = part.startedAtWallSeconds, let end = part.endedAtWallSeconds {
                line += ", \(seconds(start - origin)) s to \(seconds(end - origin)) s"
            } else {
                line += ", nothing measured"
            }
            lines.append(line)
        }
        var window = "  window       \(seconds(unionSeconds)) s measured (union of the runs' windows)"
        if !windowsAreContiguous {
            window += "; the runs did not overlap: \(seconds(spanSeconds - unionSeconds)) s of gaps left out"
        }
        lines.append(window)
        lines.append("")
        // The run summary's own first line names a URL, which run results do not carry.
        lines.append(contentsOf: RunReport.text(result, url: "").split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map(String.init))
        return lines.joined(separator: "\n")
    }
}
