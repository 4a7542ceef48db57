import Foundation

/// A scripted OpenAI server with vLLM's tokenizer endpoints, over a toy tokenizer: a token is a
/// run of letters, a run of digits, or any other single character, with ids given in order of
/// first sight. `/tokenize` (a prompt, or chat messages with the template's `templateTokens`),
/// `/detokenize`, `/v1/models` (owned by `owner`), and chat and completion answers whose usage
/// counts the prompt with the same tokenizer, as a real server counts with its own.
final class ScriptedTokenizerServer: @unchecked Sendable {
    /// Tokens the chat template adds around the message (vLLM's ChatML adds about 10).
    static let templateTokens = 7
    /// Tokens `add_special_tokens` adds (a BOS).
    static let specialTokens = 1

    private let lock = NSLock()
    private var vocabulary: [String: Int] = [:]
    private var pieces: [String] = []
    private var server: ScriptedServer!
    let owner: String
    let answersTokenize: Bool

    init(owner: String = "vllm", answersTokenize: Bool = true) throws {
        self.owner = owner
        self.answersTokenize = answersTokenize
        server = try ScriptedServer(.respond { [unowned self] request in self.answer(request) })
    }

    var url: String { "http://127.0.0.1:\(server.port)" }
    var received: [String] { server.received }
    func stop() { server.stop() }

    /// The toy tokenizer's pieces of `text`.
    static func pieces(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var currentKind = 0
        for character in text {
            let kind = character.isLetter ? 1 : character.isNumber ? 2 : 0
            if kind != 0, kind == currentKind {
                current.append(character)
            } else {
                if !current.isEmpty { result.append(current) }
                current = String(character)
                currentKind = kind
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    static func count(_ text: String) -> Int { pieces(text).count }

    private func ids(_ text: String) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        return Self.pieces(text).map { piece in
            if let id = vocabulary[piece] { return id }
            vocabulary[piece] = pieces.count
            pieces.append(piece)
            return pieces.count - 1
        }
    }

    private func text(_ ids: [Int]) -> String {
        lock.lock()
        defer { lock.unlock() }
        return ids.map { $0 < pieces.count ? pieces[$0] : "" }.joined()
    }

    private func reply(_ object: Any, status: String = "200 OK", contentType: String = "application/json") -> String {
        let body = String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    private func answer(_ request: String) -> String {
        let parts = request.components(separatedBy: "\r\n\r\n")
        let line = parts[0].components(separatedBy: "\r\n")[0]
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        if line.hasPrefix("GET /v1/models") {
            return reply(["object": "list", "data": [["id": "toy", "object": "model", "owned_by": owner]]])
        }
        if line.hasPrefix("POST /tokenize") || line.hasPrefix("POST /detokenize") {
            guard answersTokenize else { return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" }
        }
        if line.hasPrefix("POST /tokenize") {
            if let messages = json["messages"] as? [[String: Any]], let content = messages.first?["content"] as? String {
                let tokens = ids(content)
                return reply(["count": tokens.count + Self.templateTokens, "max_model_len": 4096, "tokens": tokens + Array(repeating: 0, count: Self.templateTokens)])
            }
            let prompt = json["prompt"] as? String ?? ""
            let special = (json["add_special_tokens"] as? Bool ?? true) ? [0] : []
            let tokens = special + ids(prompt)
            return reply(["count": tokens.count, "max_model_len": 4096, "tokens": tokens])
        }
        if line.hasPrefix("POST /detokenize") {
            return reply(["prompt": text(json["tokens"] as? [Int] ?? [])])
        }
        var prompt = 0
        if let messages = json["messages"] as? [[String: Any]], let content = messages.first?["content"] as? String {
            prompt = Self.count(content) + Self.templateTokens
        } else if let text = json["prompt"] as? String {
            prompt = Self.count(text) + Self.specialTokens
        }
        let output = json["max_tokens"] as? Int ?? 1
        return reply(["choices": [["index": 0, "text": "x", "message": ["role": "assistant", "content": "x"]]],
                      "usage": ["prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output]])
    }
}
