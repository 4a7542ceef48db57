import Glibc
@testable import Loadgen

/// The dataset and trace fixtures in Tests/Fixtures/Workloads, and scratch files for malformed input.
enum WorkloadFixtures {
    static let directory: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Tests/Fixtures/Workloads/"
    }()

    static func path(_ name: String) -> String { directory + name }

    /// Writes `text` to a new file under /tmp and returns its path (removed by `remove`).
    static func scratch(_ text: String, name: String) -> String {
        // Parameterized cases run in parallel: each text gets a file of its own.
        let path = "/tmp/loadgen-workload-\(getpid())-\(UInt(bitPattern: text.hashValue))-\(name)"
        try? TextFile.writeAtomically(text, to: path)
        return path
    }

    static func remove(_ path: String) { unlink(path) }

    /// A workload counting with the gpt2 fixture tokenizer, with a fixed nonce.
    static func workload(tokenizer name: String = "gpt2", endpoint: OpenAIWorkload.Endpoint = .chat) throws -> OpenAIWorkload {
        var workload = OpenAIWorkload(model: "m")
        workload.endpoint = endpoint
        workload.exactPrompts = ExactPrompts(source: .tokenizer(try TokenizerFixtures.tokenizer(name), name: name), seed: 0)
        workload.nonce = 7
        return workload
    }
}
