/// Where an OpenAI workload's prompts come from when they are not generated for a length:
/// files of real prompts, a trace to replay, or vLLM's prefix-repetition workload.
public enum PromptSource: Sendable, Equatable {
    /// `--dataset sharegpt:PATH`: the ShareGPT JSON of `vllm bench serve --dataset-name sharegpt`.
    case shareGPT(path: String)
    /// `--dataset jsonl:PATH`: one `{"prompt", "output_tokens"}` or `{"messages"}` per line.
    case jsonl(path: String)
    /// `--trace PATH`: a Mooncake JSONL trace, replayed on its timestamps divided by `speed`,
    /// each hash id one block of `blockTokens` tokens.
    case trace(path: String, speed: Double, blockTokens: Int)
    /// `--shared-prefix-tokens N --prefixes K`: K prefixes of N tokens, each request one of them
    /// (in turn) and a suffix of its own.
    case sharedPrefix(prefixTokens: Int, prefixes: Int)

    /// The name results give it.
    public var name: String {
        switch self {
        case .shareGPT: "sharegpt"
        case .jsonl: "jsonl"
        case .trace: "trace"
        case .sharedPrefix: "shared-prefix"
        }
    }

    /// The file read, if the source has one.
    public var path: String? {
        switch self {
        case .shareGPT(let path), .jsonl(let path), .trace(let path, _, _): path
        case .sharedPrefix: nil
        }
    }
}

/// What a run's prompts were made from, stored with its results so the run can be repeated:
/// the file and a hash of its bytes, how many prompts were sampled with which seed, the trace
/// speed, and how long preparing them took.
public struct WorkloadRecord: Sendable, Equatable {
    /// `PromptSource.name`.
    public var source: String
    /// The file read (nil for shared prefixes).
    public var path: String?
    /// `DatasetBytes.contentHash` of the file's bytes, 16 hex digits.
    public var fileHash: String?
    /// Entries read from the file (conversations, lines, trace requests).
    public var entries = 0
    /// Prompts the run sends in turn (its templates), and how many of them are distinct (fewer
    /// when too few entries passed the filters and some were repeated, as vLLM oversamples).
    public var samples = 0
    /// Distinct prompts among them.
    public var distinctSamples = 0
    /// Entries left out by the filters (vLLM's ShareGPT length rules).
    public var filtered = 0
    /// The seed the sample and the prompts were drawn with.
    public var seed: UInt64 = 0
    /// A trace's `--trace-speed`.
    public var traceSpeed: Double?
    /// A trace's tokens per hash id (`--block-tokens`).
    public var blockTokens: Int?
    /// Shared prefixes: tokens per prefix.
    public var prefixTokens: Int?
    /// Shared prefixes: how many distinct ones.
    public var prefixes: Int?
    /// Multi-turn sessions from the file (`--turns N`): the most turns a session replays (then
    /// `samples` counts conversations), and the turns of the sampled conversations together.
    public var turns: Int?
    /// The user turns of the sampled conversations, all together (sessions only).
    public var sampledTurns: Int?
    /// Reading, tokenizing and serializing, before the first request: wall-clock seconds, and
    /// the CPU seconds the process spent on it (the figure that does not depend on how busy the
    /// machine is).
    public var preparationSeconds = 0.0
    /// CPU seconds of the preparation.
    public var preparationCPUSeconds = 0.0

    /// A record of prompts made from `source` (`PromptSource.name`).
    public init(source: String) { self.source = source }
}
