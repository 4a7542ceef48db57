/// Reads a JSONL prompt file: one object per line with `prompt` (text) and optional
/// `output_tokens`, as `vllm bench serve --dataset-name custom` reads it, or with chat `messages`
/// (`[{"role", "content"}, ...]`, every turn kept) instead of `prompt`. Blank lines are skipped;
/// any other line that is not such an object is an error naming the line.
enum JSONLinesFile {
    static let roles: Set<String> = ["system", "user", "assistant", "developer", "tool"]

    static func read(_ file: DatasetBytes) throws(DatasetError) -> [Conversation] {
        var conversations: [Conversation] = []
        try JSONLines.forEachLine(of: file) { (cursor: inout JSONCursor, line: Int) throws(JSONCursor.Failure) in
            conversations.append(try entry(&cursor, line: line))
        }
        return conversations
    }

    private static func entry(_ cursor: inout JSONCursor, line: Int) throws(JSONCursor.Failure) -> Conversation {
        guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("each line must be a JSON object, got \(cursor.nextKind())") }
        try cursor.beginObject()
        var prompt: String?
        var messages: [ChatMessage]?
        var outputTokens: Int?
        var first = true
        while let key = try cursor.nextKey(first: &first) {
            switch key {
            case "prompt":
                guard cursor.peek() == UInt8(ascii: "\"") else { throw cursor.fail("'prompt' must be a string, got \(cursor.nextKind())") }
                prompt = try cursor.string()
            case "output_tokens":
                if cursor.skipNull() { continue }
                let count = try cursor.count(maximum: 10_000_000, "'output_tokens'")
                guard count >= 1 else { throw cursor.fail("'output_tokens' must be at least 1") }
                outputTokens = count
            case "messages":
                messages = try chatMessages(&cursor)
            default:
                try cursor.skipValue()
            }
        }
        guard cursor.isAtEnd else { throw cursor.fail("text after the object (one object per line)") }
        switch (prompt, messages) {
        case (let prompt?, nil):
            return Conversation(messages: [ChatMessage(role: "user", content: prompt)], outputTokens: outputTokens,
                                isPlainPrompt: true, index: line)
        case (nil, let messages?):
            guard messages.contains(where: { $0.role == "user" }) else { throw cursor.fail("'messages' has no user message") }
            return Conversation(messages: messages, outputTokens: outputTokens, index: line)
        case (.some, .some): throw cursor.fail("give 'prompt' or 'messages', not both")
        case (nil, nil): throw cursor.fail("needs a 'prompt' (text) or 'messages' (chat)")
        }
    }

    private static func chatMessages(_ cursor: inout JSONCursor) throws(JSONCursor.Failure) -> [ChatMessage] {
        guard cursor.peek() == UInt8(ascii: "[") else { throw cursor.fail("'messages' must be an array, got \(cursor.nextKind())") }
        try cursor.beginArray()
        var messages: [ChatMessage] = []
        var first = true
        while try cursor.nextElement(first: &first) {
            let number = messages.count + 1
            guard cursor.peek() == UInt8(ascii: "{") else { throw cursor.fail("message \(number) must be an object, got \(cursor.nextKind())") }
            try cursor.beginObject()
            var role: String?
            var content: String?
            var firstMember = true
            while let key = try cursor.nextKey(first: &firstMember) {
                switch key {
                case "role":
                    guard cursor.peek() == UInt8(ascii: "\"") else { throw cursor.fail("message \(number): 'role' must be a string, got \(cursor.nextKind())") }
                    let value = try cursor.string()
                    guard roles.contains(value) else { throw cursor.fail("message \(number): unknown role '\(value)'") }
                    role = value
                case "content":
                    guard cursor.peek() == UInt8(ascii: "\"") else {
                        throw cursor.fail("message \(number): 'content' must be a string (text only), got \(cursor.nextKind())")
                    }
                    content = try cursor.string()
                default:
                    try cursor.skipValue()
                }
            }
            guard let role, let content else { throw cursor.fail("message \(number) needs 'role' and 'content'") }
            messages.append(ChatMessage(role: role, content: content))
        }
        guard !messages.isEmpty else { throw cursor.fail("'messages' is empty") }
        return messages
    }
}
