import Loadgen

/// `loadgen compare A.json B.json`: the A/B ablation between two sweep results.
enum CompareCommand {
    static let usage = """
    usage: loadgen compare A.json B.json [--metric KEY] [--json] [--output FILE]

    Compares two `loadgen sweep` results level by level (the paper's A/B ablation): both means
    with 95% confidence intervals, the difference and % change, Welch's t-test p-value, whether
    the intervals overlap, and the ratio of coefficients of variation. Prints a Markdown table.

          --metric KEY        throughput_total (default), throughput_output, requests_per_sec,
                              latency_p50_ms, latency_p99_ms, success_rate, ttft_p50_ms, ...
          --json              print JSON instead of Markdown
          --quiet             accepted for symmetry (compare prints no progress)
          --output FILE       also write the output to FILE (atomically)
      -h, --help

    Exit codes: 0 done, 1 a file cannot be read or is not a sweep result, 2 bad arguments.
    """

    static func main(_ arguments: [String]) -> Int32 {
        var cursor = ArgumentCursor(arguments)
        var files: [String] = []
        var metric = "throughput_total"
        var json = false
        var output: String?
        do throws(UsageError) {
            while let argument = cursor.next() {
                switch argument {
                case "-h", "--help":
                    Terminal.out(usage)
                    return 0
                case "--metric": metric = try cursor.value(for: argument)
                case "--json": json = true
                case "--quiet", "-q": break  // compare prints only its result
                case "--output": output = try cursor.value(for: argument)
                default:
                    if argument.hasPrefix("-") { throw UsageError("unknown option '\(argument)' for compare") }
                    files.append(argument)
                }
            }
            guard files.count == 2 else { throw UsageError("compare takes two sweep result files, got \(files.count)") }
            guard SweepReport.metrics.contains(where: { $0.key == metric }) else {
                throw UsageError("--metric knows \(SweepReport.metrics.map(\.key).joined(separator: ", ")), got '\(metric)'")
            }
        } catch {
            Terminal.error("loadgen compare: \(error.message) (see loadgen compare --help)")
            return 2
        }
        var documents: [JSONValue] = []
        for file in files {
            guard let text = TextFile.read(file) else {
                Terminal.error("loadgen compare: cannot read \(file)")
                return 1
            }
            do { documents.append(try JSONParser.parse(text)) } catch {
                Terminal.error("loadgen compare: \(file) is not valid JSON: \(error)")
                return 1
            }
        }
        let comparison: SweepComparison
        do {
            comparison = try SweepComparison(a: documents[0], b: documents[1], labelA: files[0], labelB: files[1], metric: metric)
        } catch {
            Terminal.error("loadgen compare: \(error)")
            return 1
        }
        let text = json ? comparison.json.serialized(pretty: true) + "\n" : comparison.markdown
        Terminal.out(text)
        if let output {
            do { try TextFile.writeAtomically(text, to: output) } catch {
                Terminal.error("loadgen compare: cannot write \(output): \(error)")
                return 1
            }
        }
        return 0
    }
}
