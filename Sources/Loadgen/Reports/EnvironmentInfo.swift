import Glibc

/// The machine a result was measured on, recorded with every result file.
public struct EnvironmentInfo: Sendable, Equatable {
    /// The "model name" of /proc/cpuinfo.
    public var cpuModel: String
    /// Online CPUs.
    public var cores: Int
    /// "Linux 6.1.0": uname's system name and release.
    public var kernel: String
    /// uname's node name.
    public var hostname: String
    /// The loadgen that measured (`Loadgen.version`).
    public var loadgenVersion: String

    /// Reads /proc/cpuinfo and uname(2).
    public static func current() -> EnvironmentInfo {
        var model = "unknown"
        if let cpuinfo = TextFile.read("/proc/cpuinfo") {
            for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    model = String(line[line.index(after: colon)...]).trimmingCharacters()
                }
                break
            }
        }
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return EnvironmentInfo(cpuModel: model, cores: ProcessResources.onlineCPUs,
                               kernel: "\(text(name.sysname)) \(text(name.release))",
                               hostname: text(name.nodename), loadgenVersion: version)
    }

    package var json: JSONValue {
        .object([
            ("cpu_model", .string(cpuModel)),
            ("cores", .int(Int64(cores))),
            ("kernel", .string(kernel)),
            ("hostname", .string(hostname)),
            ("loadgen_version", .string(loadgenVersion)),
        ])
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\n" { text = text.dropLast() }
        return String(text)
    }
}
