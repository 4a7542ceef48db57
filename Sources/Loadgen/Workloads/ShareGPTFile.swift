/// Reads the ShareGPT JSON that `vllm bench serve --dataset-name sharegpt` reads: a list of
/// `{"conversations": [{"from": "human"|"gpt", "value": "..."}, ...]}` (other members ignored).
/// Every turn is kept; roles become OpenAI's ("human"/"user" -> user, "gpt"/"chatgpt"/"bard"/
/// "assistant" -> assistant, "system" -> system).
///
/// A single-request workload needs only each conversation's first exchange: `allTurns: false`
/// keeps the turns up to the first answer to the first user turn (a third of a real file's text,
/// and memory), `true` every turn, for sessions that replay them.
///
/// Entries without a `conversations` member, or with fewer than two turns, are skipped as vLLM
/// skips them; anything else that is not this shape is an error naming the conversation and its
/// line, since a file half read would be a different workload.
enum ShareGPTFile {
    static func read(_ file: DatasetBytes, allTurns: Bool = true) throws(DatasetError) -> [Conversation] {
        var conversations: [Conversation] = []
        var index = 0
        var problem: JSONCursor.Failure?
        file.bytes.withUnsafeBytes { raw in
            var cursor = JSONCursor(raw)
            do throws(JSONCursor.Failure) {
                guard cursor.peek() == UInt8(ascii: "[") else {
                    throw cursor.fail("a ShareGPT file is a JSON array of conversations, but it starts with \(cursor.nextKind())")
                }
                try cursor.beginArray()
                var first = true
                while try cursor.nextElement(first: &first) {
                    index += 1
                    if let conversation = try entry(&cursor, index: index, allTurns: allTurns) { conversations.append(conversation) }
                }
                guard cursor.isAtEnd else { throw cursor.fail("text after the closing ']'") }
            } catch {
                problem = error
            }
        }
        if let problem {
            let line = file.line(at: problem.offset)
            let location = index > 0 ? "conversation \(index) (line \(line))" : "line \(line)"
            throw DatasetError(path: file.path, location: location, problem: problem.reason)
        }
        return conversations
    }

    private static func entry(_ cursor: inout JSONCursor, index: Int, allTurns: Bool) throws(JSONCursor.Failure) -> Conversation? {
        guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("a conversation must be an object, got \(cursor.nextKind())") }
        try cursor.beginObject()
        var messages: [ChatMessage]?
        var first = true
        while let key = try cursor.nextKey(first: &first) {
            guard key == "conversations" else {
                try cursor.skipValue()
                continue
            }
            guard cursor.peek() == UInt8(ascii: "[") else { throw cursor.fail("'conversations' must be an array, got \(cursor.nextKind())") }
            messages = try turns(&cursor, allTurns: allTurns)
        }
        guard let messages, messages.count >= 2 else { return nil }
        return Conversation(messages: messages, index: index)
    }

    private static func turns(_ cursor: inout JSONCursor, allTurns: Bool) throws(JSONCursor.Failure) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        var exchangeComplete = false
        var turnCount = 0
        try cursor.beginArray()
        var first = true
        while try cursor.nextElement(first: &first) {
            guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("turn \(turnCount + 1) must be an object, got \(cursor.nextKind())") }
            try cursor.beginObject()
            var role: String?
            var value: String?
            var firstMember = true
            let turnStart = cursor.position
            while let key = try cursor.nextKey(first: &firstMember) {
                switch key {
                case "from", "role":
                    guard cursor.peek() == UInt8(ascii: "\"") else { throw cursor.fail("turn \(turnCount + 1): '\(key)' must be a string, got \(cursor.nextKind())") }
                    let speaker = try cursor.string()
                    guard let mapped = Self.role(speaker) else {
                        throw cursor.fail("turn \(turnCount + 1): unknown speaker '\(speaker)' (human, gpt, system, user or assistant)")
                    }
                    role = mapped
                case "value", "content":
                    guard cursor.peek() == UInt8(ascii: "\"") else { throw cursor.fail("turn \(turnCount + 1): '\(key)' must be a string, got \(cursor.nextKind())") }
                    // Past the first exchange, a text not kept is only stepped over.
                    if allTurns || !exchangeComplete {
                        value = try cursor.string()
                    } else {
                        try cursor.skipStringValue()
                        value = ""
                    }
                default:
                    try cursor.skipValue()
                }
            }
            turnCount += 1
            guard let role, let value else {
                throw JSONCursor.Failure(offset: turnStart, reason: "turn \(turnCount) needs 'from' and 'value'")
            }
            // Every turn is still checked; past the first exchange only its count is kept.
            if allTurns || !exchangeComplete {
                messages.append(ChatMessage(role: role, content: value))
                if role == "assistant", messages.contains(where: { $0.role == "user" }) { exchangeComplete = true }
            }
        }
        return messages
    }

    static func role(_ speaker: String) -> String? {
        switch speaker {
        case "human", "user": "user"
        case "gpt", "chatgpt", "bard", "assistant", "bing": "assistant"
        case "system": "system"
        default: nil
        }
    }
}
