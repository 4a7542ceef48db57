import Foundation
import Testing

/// Ctrl-C and SIGTERM wherever loadgen waits, and what an interrupted measurement is called
/// (issue 13, defects 2 and 6).
@Suite("Interruptions", .serialized)
struct InterruptionTests {
    private func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "loadgen-interrupt-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("SIGINT or SIGTERM while waiting for GET /v1/models from a server that never answers exits 130/143 at once",
          arguments: [("run", SIGINT, Int32(130)), ("latency", SIGTERM, Int32(143)), ("bench", SIGINT, Int32(130)), ("sweep", SIGTERM, Int32(143))])
    func signalDuringModelLookup(command: String, signal: Int32, status: Int32) throws {
        let server = try ScriptedServer(.silent)
        defer { server.stop() }
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments = [command, "--base-url", "http://127.0.0.1:\(server.port)", "--quiet"]
        if command != "run" { arguments += ["--output-dir", directory] }
        var signalled = Date()
        let run = try CommandRunner.run(BuiltProducts.loadgen, arguments, timeoutSeconds: 40) { process in
            // The signal goes once the lookup is under way (the server has its request), not
            // after a fixed sleep: on a loaded machine starting the binary can take longer.
            let deadline = Date().addingTimeInterval(20)
            while server.received.isEmpty, Date() < deadline { usleep(20_000) }
            usleep(100_000)
            signalled = Date()
            kill(process.processIdentifier, signal)
        }
        let elapsed = Date().timeIntervalSince(signalled)
        #expect(run.status == status, "stderr: \(run.stderr)")
        // The lookup gives up after 10 s on its own; the signal must not wait for that.
        #expect(elapsed < 5, "\(command) took \(elapsed) s to honour the signal")
        #expect(!server.received.isEmpty, "the lookup was under way when the signal came")
    }

    @Test("an interrupted validate marks the cut-short level and leaves it out of the peak and the verdict")
    func validateInterruptedLevel() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try CommandRunner.run(BuiltProducts.loadgen, [
            "validate", "--levels", "2,4", "-d", "1s", "--warmup", "0", "--output-dir", directory, "--quiet",
            "--echo-server", BuiltProducts.echoServer.path,
        ], timeoutSeconds: 30) { process in
            usleep(1_600_000)
            kill(process.processIdentifier, SIGINT)
        }
        #expect(run.status == 130, "stderr: \(run.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".json") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) as? [String: Any])
        let levels = try #require(json["levels"] as? [[String: Any]])
        let interrupted = levels.filter { $0["interrupted"] as? Bool == true }
        #expect(interrupted.count == 1, "exactly the level running at the signal: \(levels.map { $0["interrupted"] ?? "?" })")
        let cut = try #require(interrupted.first?["concurrency"] as? Int)
        #expect(run.stdout.contains("| \(cut) (interrupted) |") || run.stdout.contains(" \(cut) (interrupted) |"), "\(run.stdout)")
        if let peak = json["peak"] as? [String: Any] {
            #expect(peak["concurrency"] as? Int != cut, "the fragment is not the peak")
            #expect(run.stdout.contains("left out of the peak and this verdict"))
        } else {
            #expect(run.stdout.contains("Interrupted before any level completed; no verdict."), "\(run.stdout)")
            #expect(!run.stdout.contains("Client peak"))
        }
    }
}
