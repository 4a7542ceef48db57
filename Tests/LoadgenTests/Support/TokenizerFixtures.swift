@testable import Loadgen

/// The tokenizer fixtures and vectors in Tests/Fixtures/Tokenizer (made by
/// bench/tokenizer/make_fixtures.py with Hugging Face tokenizers).
enum TokenizerFixtures {
    /// Two or more of each family the issue names: ByteLevel (GPT-2, Llama 3, Qwen 2, DeepSeek V3, the
    /// realpeer model) and Metaspace / byte fallback (Llama 2, Mistral).
    static let fullyChecked = ["gpt2", "llama3", "qwen2", "deepseek3", "tinyllama", "llama2", "mistral", "metaspace"]
    /// Checked on the first 3,000 strings (a prefix space per segment and lstrip; o200k's split).
    static let extras = ["roberta", "o200k"]
    static let all = fullyChecked + extras

    static let directory: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Tests/Fixtures/Tokenizer/"
    }()

    static func path(_ name: String) -> String { directory + name + ".json" }

    static func tokenizer(_ name: String) throws -> Tokenizer { try Tokenizer(path: path(name)) }

    static func lines(_ file: String) -> [Substring] {
        guard let bytes = TextFile.readBytes(directory + file) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The test strings, one JSON string literal per line.
    static let strings: [String] = lines("strings.txt").map { line in
        guard case .string(let text) = try? JSONParser.parse(String(line)) else { return "\u{FFFD}unreadable line" }
        return text
    }

    /// Ids written as two base-64 digits each.
    static func ids(_ text: Substring) -> [Int] {
        let values = text.utf8.map { byte -> Int in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte) - 65
            case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte) - 97 + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte) - 48 + 52
            case UInt8(ascii: "+"): 62
            default: 63
            }
        }
        return stride(from: 0, to: values.count - 1, by: 2).map { values[$0] << 6 | values[$0 + 1] }
    }

    static func jsonString(_ text: Substring) -> String? {
        guard case .string(let value) = try? JSONParser.parse(String(text)) else { return nil }
        return value
    }
}
