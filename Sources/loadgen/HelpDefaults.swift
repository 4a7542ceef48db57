import Loadgen

/// The defaults the help texts state, read from where they are defined (`SeedProtocol`, the
/// plans), so a help line cannot drift from the value the command uses.
enum HelpDefaults {
    /// "5,10,25": a level list as the flags take it.
    static func list(_ levels: [Int]) -> String { levels.map(String.init).joined(separator: ",") }
    /// "500:1000:50": evenly spaced levels as a start:end:step range.
    static func range(_ levels: [Int]) -> String {
        guard levels.count > 1 else { return list(levels) }
        return "\(levels[0]):\(levels[levels.count - 1]):\(levels[1] - levels[0])"
    }
    /// "300s", "0.5s": a time as the flags take it.
    static func seconds(_ value: Double) -> String { Format.fixed(value, decimals: 3, trimZeros: true) + "s" }
    /// "3x", "0.5x".
    static func factor(_ value: Double) -> String { Format.fixed(value, decimals: 2, trimZeros: true) + "x" }
}
