import Foundation
import Testing
@testable import Loadgen

@Suite("Result file names")
struct ResultFilesTests {
    @Test("a second result in the same second gets _2, a third _3, instead of replacing the first")
    func sameSecondNamesDoNotCollide() throws {
        let directory = NSTemporaryDirectory() + "loadgen-stems-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let when = 1_790_000_000.0
        let first = ResultFiles.freshStem("latency", wallSeconds: when, directory: directory)
        #expect(first == "latency_" + ResultFiles.timestamp(when))
        try TextFile.writeAtomically("{}", to: directory + "/" + first + ".json")
        let second = ResultFiles.freshStem("latency", wallSeconds: when, directory: directory)
        #expect(second == first + "_2")
        try TextFile.writeAtomically("{}", to: directory + "/" + second + ".json")
        #expect(ResultFiles.freshStem("latency", wallSeconds: when, directory: directory + "/") == first + "_3")
        #expect(ResultFiles.freshStem("sweep", wallSeconds: when, directory: directory) == "sweep_" + ResultFiles.timestamp(when))
    }
}

/// Result files that cannot be written are found before anything is measured, and a write that
/// fails part-way stops the run (issue 13, defect 5).
@Suite("Unwritable results", .serialized)
struct UnwritableResultsTests {
    /// mkdir fails under /proc even for root.
    static let unwritable = "/proc/loadgen-no-such-dir/results"

    @Test("an unwritable --output-dir is reported before the first request", arguments: ["validate", "bench", "latency", "sweep", "run"])
    func unwritableDirectoryFailsFirst(command: String) throws {
        let server = try ScriptedServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: false))
        defer { server.stop() }
        var arguments = [command]
        switch command {
        case "validate": arguments += ["--url", server.url, "--levels", "2", "-n", "10", "--output-dir", Self.unwritable]
        case "run": arguments += ["--base-url", server.url, "--model", "m", "-n", "2", "--save-result", "--result-dir", Self.unwritable]
        default: arguments += ["--base-url", server.url, "--model", "m", "--output-dir", Self.unwritable]
        }
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments + ["--quiet"])
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("cannot write results to \(Self.unwritable)"), "stderr: \(run.stderr)")
        #expect(server.received.isEmpty, "\(command) sent \(server.received.count) requests before finding it could not save them")
    }

    /// Directories where the next `KIND_<stamp>.md` files would go, for the seconds ahead, so the
    /// first save after a level fails (a file cannot be renamed onto a directory).
    private func blockMarkdown(_ kind: String, in directory: String) throws {
        let now = Date().timeIntervalSince1970
        for second in -1...20 {
            try FileManager.default.createDirectory(atPath: directory + "/\(kind)_" + ResultFiles.timestamp(now + Double(second)) + ".md",
                                                    withIntermediateDirectories: true)
        }
    }

    @Test("a save that fails after a level stops the sweep with exit 1 instead of measuring on unsaved")
    func failedSaveStopsSweep() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "loadgen-failsave-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try blockMarkdown("sweep", in: directory)
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["sweep", "--base-url", server.url, "--levels", "2,4,8", "--runs", "2", "-n", "6",
                                                                "--cooldown", "0", "--input-tokens", "10", "--max-tokens", "2",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60)
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot write results to"), "stderr: \(run.stderr)")
        // The JSON is written before the Markdown: it shows the sweep stopped after its first level.
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("sweep_") && $0.hasSuffix(".json") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.count == 1 && (runs.first?["levels"] as? [Any])?.count == 1, "\(runs.map { ($0["levels"] as? [Any])?.count ?? -1 })")
    }

    @Test("a save that fails after a test stops the bench with exit 1")
    func failedSaveStopsBench() throws {
        let server = try EchoServerProcess()
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "loadgen-failsave-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try blockMarkdown("unified", in: directory)
        let run = try CommandRunner.run(BuiltProducts.loadgen, ["bench", "--base-url", server.url, "--quick", "--cooldown", "0",
                                                                "--output-dir", directory, "--quiet"], timeoutSeconds: 60)
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot write results to"), "stderr: \(run.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("unified_") && $0.hasSuffix(".json") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) as? [String: Any])
        #expect((json["results"] as? [Any])?.count == 1, "only the warmup ran")
    }
}
