import Loadgen

/// `loadgen merge`: combines `loadgen run --json` results of processes that ran at the same time.
enum MergeCommand {
    static let usage = """
    usage: loadgen merge FILE... [--output FILE] [--text]

    Combines the 'loadgen run --json' results of several loadgen processes that drove the same
    server at the same time (e.g. one per client machine, each with its share of the concurrency)
    into one result, as if one process had sent every request: requests, tokens, bytes and errors
    by class add up; latency percentiles come from the merged histograms (exact, not averaged);
    throughput is over the union of the runs' wall-clock windows (started_at to ended_at), so the
    machines' clocks must agree (NTP). Prints the merged result as 'run --json' does, with
    'merged_from' listing the files.

      -o, --output FILE   write the merged JSON to FILE (atomically) instead of stdout
          --text          print a readable summary instead of the JSON (with --output, the JSON
                          still goes to FILE)
          --json          print the merged JSON (the default)
          --quiet         no notes on stderr

    The same file given twice (same started_at and counts) and results of different kinds
    (plain HTTP, OpenAI, OpenAI streamed) are refused, naming the files.
      -h, --help

    Exit codes: 0 merged, 1 a file unreadable or not a loadgen run result, or the output not
    written (one line says which and why), 2 bad arguments.
    """

    /// What the command line asks for.
    struct Options {
        var paths: [String] = []
        var output: String?
        var text = false
        var json = false
        var quiet = false
    }

    /// The options, or nil for --help.
    static func parse(_ arguments: [String]) throws(UsageError) -> Options? {
        var cursor = ArgumentCursor(arguments)
        var options = Options()
        while let argument = cursor.next() {
            switch argument {
            case "-h", "--help": return nil
            case "-o", "--output": options.output = try cursor.value(for: argument)
            case "--text": options.text = true
            case "--json": options.json = true
            case "--quiet", "-q": options.quiet = true
            default:
                guard !argument.hasPrefix("-") else { throw UsageError("unknown option '\(argument)' for merge") }
                options.paths.append(argument)
            }
        }
        guard !options.paths.isEmpty else { throw UsageError("give one or more result files of 'loadgen run --json'") }
        guard options.paths.count <= RunMerge.maximumParts else { throw UsageError("at most \(RunMerge.maximumParts) files") }
        if options.text, options.json { throw UsageError("give --text or --json, not both") }
        return options
    }

    static func main(_ arguments: [String]) -> Int32 {
        let options: Options
        switch ParsedCommand.parse("merge", usage: usage, arguments, parse) {
        case .run(let parsed): options = parsed
        case .exit(let code): return code
        }
        let (paths, output, text) = (options.paths, options.output, options.text)

        var parts: [RunResult] = []
        for path in paths {
            do throws(UsageError) {
                let bytes = try FileInput.read(path)
                parts.append(try decode(bytes, path: path))
            } catch {
                Terminal.error("loadgen merge: \(error.message)")
                return 1
            }
        }
        let merged: RunMerge
        do { merged = try RunMerge(parts) } catch {
            Terminal.error("loadgen merge: \(describe(error, paths: paths))")
            return 1
        }
        let document = merged.json(sources: paths).serialized(pretty: output != nil)
        if let output {
            do { try TextFile.writeAtomically(document + "\n", to: output) } catch {
                Terminal.error("loadgen merge: cannot write \(output): \(error)")
                return 1
            }
        }
        if text {
            Terminal.out(merged.text(sources: paths))
        } else if output == nil {
            Terminal.out(document)
        }
        if !merged.windowsAreContiguous, !options.quiet {
            Terminal.error("loadgen merge: note: the runs did not all overlap in time; the gaps between them are left out of the duration")
        }
        return 0
    }

    /// The merge error with the files named (the library counts parts from 1).
    static func describe(_ error: RunMergeError, paths: [String]) -> String {
        func name(_ part: Int) -> String { part < paths.count ? paths[part] : "result \(part + 1)" }
        switch error {
        case .duplicate(let part, let of):
            return "\(name(part)) is the same run as \(name(of)) (same started_at and counts): a file given twice would count every request twice"
        case .differentWorkloads(let part, let kind, let first):
            return "\(name(part)) is a \(kind) run but \(name(0)) is a \(first) run: their latencies and tokens measure different things"
        case .differentObjectives(let part):
            return "\(name(part)) used other --slo objectives than \(name(0)): their good requests do not add up"
        default:
            return "\(error)"
        }
    }

    /// One file's run result, or a one-line reason naming the file.
    private static func decode(_ bytes: [UInt8], path: String) throws(UsageError) -> RunResult {
        do { return try RunReportDecoder.result(fromJSONText: String(decoding: bytes, as: UTF8.self)) } catch {
            throw UsageError("\(path): \(error)")
        }
    }
}
