import EchoServer
import Glibc
import Loadgen

// loadgen: a thin shell over the Loadgen library. Flags in, plain configuration to the library,
// a plain result back, printed.

let topUsage = """
usage: loadgen COMMAND [options]

A native load generator for HTTP/1.1 and OpenAI-compatible LLM servers.

Commands:
  run URL      drive one URL at a fixed concurrency and report throughput and latency
  validate     prove the client is not the bottleneck: sweep the bundled echo server
  bench        the unified progressive benchmark (WARMUP, BASELINE, SCALING, STRESS, SATURATION)
  latency      sequential latency: N requests one at a time, avg/p50/p90/p99/min/max
  sweep        multi-run sweep over concurrency levels: means, 95% CIs, CoV, saturation point
  compare A B  A/B comparison of two sweep results: differences, Welch's t-test, CI overlap
  merge FILE.. combine 'run --json' results of processes that ran at the same time into one
  echo-server  the bundled OpenAI-shaped echo server (the peer validate starts; see --help)
  version      print the version

Run 'loadgen COMMAND --help' for the options of a command.
"""

let arguments = Array(CommandLine.arguments.dropFirst())
// Whatever mask and actions loadgen inherited, Ctrl-C ends the commands that do not watch it.
SignalWatcher.restoreDefaults()

/// SIGINT and SIGTERM as events, for the commands that run load: they stop it and save what was
/// measured. Made before any thread starts, so all inherit the blocked mask. The other commands
/// keep the default action, so Ctrl-C ends them at once.
func loadSignals() -> SignalWatcher {
    do { return try SignalWatcher() } catch {
        Terminal.error("loadgen: \(error)")
        exit(1)
    }
}

guard let command = arguments.first else {
    Terminal.error(topUsage)
    exit(2)
}
let rest = Array(arguments.dropFirst())
switch command {
case "run":
    exit(RunCommand.main(rest, signals: loadSignals()))
case "validate":
    exit(ValidateCommand.main(rest, signals: loadSignals()))
case "bench":
    exit(BenchCommand.main(rest, signals: loadSignals()))
case "latency":
    exit(LatencyCommand.main(rest, signals: loadSignals()))
case "sweep":
    exit(SweepCommand.main(rest, signals: loadSignals()))
case "compare":
    exit(CompareCommand.main(rest))
case "merge": exit(MergeCommand.main(rest))
case "echo-server":
    // The same server as the standalone echo-server; validate starts it by re-executing loadgen.
    exit(EchoServerCommand.main(rest, programName: "loadgen echo-server"))
case "version", "--version":
    if let flag = rest.first {
        if flag == "-h" || flag == "--help" {
            Terminal.out("usage: loadgen version\n\nPrints loadgen's version (also: loadgen --version).")
            exit(0)
        }
        Terminal.error("loadgen version: takes no arguments, got '\(flag)' (see loadgen version --help)")
        exit(2)
    }
    Terminal.out("loadgen \(Loadgen.version)")
    exit(0)
case "-h", "--help", "help":
    Terminal.out(topUsage)
    exit(0)
default:
    Terminal.error("loadgen: unknown command '\(command)' (see loadgen --help)")
    exit(2)
}
