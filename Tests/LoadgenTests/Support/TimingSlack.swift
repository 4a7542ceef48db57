import Foundation

/// How much wider timing tolerances are in this run. bench/sanitize.sh sets
/// `LOADGEN_TIMING_SLACK` (ThreadSanitizer slows client and server several times, and the suite
/// runs its tests in parallel on two cores); a normal `swift test` uses the tolerances as written.
enum TimingSlack {
    static let factor: Double = {
        guard let text = ProcessInfo.processInfo.environment["LOADGEN_TIMING_SLACK"], let value = Double(text), value >= 1 else { return 1 }
        return value
    }()

    /// `milliseconds` widened by the run's factor.
    static func tolerance(_ milliseconds: Double) -> Double { milliseconds * factor }
}
