import Foundation

/// The `/metrics` texts under Tests/Fixtures/ServerMetrics (outside the test target, so SwiftPM
/// does not ask to declare them as resources).
enum MetricsFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // Support
        .deletingLastPathComponent().deletingLastPathComponent()  // LoadgenTests, Tests
        .appendingPathComponent("Fixtures/ServerMetrics")

    /// The real vLLM 0.32 capture bench/capture-vllm-metrics.sh writes.
    static let realpeerName = "vllm-0.32-realpeer.prom"

    static func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }
}
