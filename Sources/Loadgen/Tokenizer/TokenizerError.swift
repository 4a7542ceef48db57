/// Why a tokenizer could not be loaded (or a prompt could not be built with it), as one line.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path is neither a tokenizer.json nor a folder holding one, or could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not JSON.
    case invalidJSON(String)
    /// A component the file uses that loadgen does not implement: `component` is e.g.
    /// "model", "pre_tokenizer", "normalizer"; `type` is the file's name for it ("WordPiece").
    case unsupported(component: String, type: String)
    /// The file is JSON but not a tokenizer as `tokenizers` writes it.
    case invalidFile(String)
    /// A split or replace pattern outside the Oniguruma subset loadgen runs exactly.
    case unsupportedPattern(pattern: String, reason: String)
    /// No prompt of exactly this many tokens could be built (e.g. the tokenizer has no usable tokens).
    case promptNotBuilt(tokens: Int, reason: String)

    /// The error as one line, naming the file or the token count where it applies.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "cannot read tokenizer '\(path)': \(reason)"
        case .invalidJSON(let reason):
            "tokenizer file is not valid JSON: \(reason)"
        case .unsupported(let component, let type):
            "tokenizer \(component) type '\(type)' is not supported (loadgen implements BPE with ByteLevel or Metaspace/byte fallback)"
        case .invalidFile(let reason):
            "not a tokenizer.json: \(reason)"
        case .unsupportedPattern(let pattern, let reason):
            "tokenizer pattern '\(pattern)' is not supported: \(reason)"
        case .promptNotBuilt(let tokens, let reason):
            "cannot build a prompt of exactly \(tokens) tokens: \(reason)"
        }
    }
}
