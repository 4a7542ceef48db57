import Testing
@testable import Loadgen

/// ShareGPT, JSONL and Mooncake trace files: what is read, what is skipped, and the one-line
/// errors that name the file, the place and the problem.
@Suite("Dataset and trace loaders")
struct DatasetLoaderTests {
    @Test("a ShareGPT file keeps every turn with OpenAI roles, unescaped, and skips one-turn conversations")
    func shareGPTKeepsAllTurns() throws {
        let conversations = try ShareGPTFile.read(try DatasetBytes(path: WorkloadFixtures.path("sharegpt-small.json")))
        #expect(conversations.count == 5)
        #expect(conversations[0].messages.count == 4)
        #expect(conversations[0].messages.map(\.role) == ["user", "assistant", "user", "assistant"])
        #expect(conversations[0].index == 1)
        let escaped = conversations[1]
        #expect(escaped.messages[0] == ChatMessage(role: "system", content: "You are terse."))
        #expect(escaped.messages[1].content == "Explain \"escapes\" in JSON strings: \\n, \\t and é.")
        #expect(escaped.firstExchange?.prompt == escaped.messages[1].content)
        // The conversation that opens with the assistant pairs the first user turn with the answer after it.
        let backwards = try #require(conversations.last)
        #expect(backwards.firstExchange?.prompt.hasPrefix("Then the user asks") == true)
        #expect(backwards.firstExchange?.answer.hasPrefix("And the assistant") == true)
    }

    @Test("a JSONL file reads prompts with output_tokens, and chat messages as an alternative")
    func jsonlReadsPromptsAndMessages() throws {
        let conversations = try JSONLinesFile.read(try DatasetBytes(path: WorkloadFixtures.path("prompts.jsonl")))
        #expect(conversations.count == 4)
        #expect(conversations[0].isPlainPrompt)
        #expect(conversations[0].messages == [ChatMessage(role: "user", content: "What is the capital of India?")])
        #expect(conversations[1].outputTokens == 1520)
        #expect(!conversations[2].isPlainPrompt)
        #expect(conversations[2].messages.map(\.role) == ["system", "user", "assistant"])
        #expect(conversations[2].index == 4, "the blank line still counts as a line")
        #expect(conversations[3].messages[0].content == "A line with \"quotes\" and a tab\there.")
    }

    @Test("a Mooncake trace reads timestamps, lengths and hash ids per line")
    func traceReads() throws {
        let requests = try MooncakeTrace.read(try DatasetBytes(path: WorkloadFixtures.path("trace-small.jsonl")))
        #expect(requests.count == 5)
        #expect(requests[1] == TraceRequest(timestampMilliseconds: 5, inputLength: 1100, outputLength: 12, hashIDs: [46, 47, 49], line: 2))
        #expect(requests[4].timestampMilliseconds == 27.5)
    }

    @Test("the fixtures' malformed files are refused with the file, the place and the problem")
    func malformedFixtures() throws {
        let shareGPT = WorkloadFixtures.path("sharegpt-malformed.json")
        #expect(throws: DatasetError(path: shareGPT, location: "conversation 2 (line 7)", problem: "turn 1: 'value' must be a string, got a number")) {
            try ShareGPTFile.read(try DatasetBytes(path: shareGPT))
        }
        let trace = WorkloadFixtures.path("trace-malformed.jsonl")
        #expect(throws: DatasetError(path: trace, location: "line 2", problem: "'input_length' must be a whole number, got a string")) {
            try MooncakeTrace.read(try DatasetBytes(path: trace))
        }
    }

    @Test("malformed ShareGPT input names the conversation and its line", arguments: [
        ("{\"conversations\": []}", "line 1", "a ShareGPT file is a JSON array of conversations, but it starts with an object"),
        ("[\n  [1, 2]\n]", "conversation 1 (line 2)", "a conversation must be an object, got an array"),
        ("[{\"conversations\": {\"from\": \"human\"}}]", "conversation 1 (line 1)", "'conversations' must be an array, got an object"),
        ("[{\"conversations\": [{\"from\": \"robot\", \"value\": \"x\"}]}]", "conversation 1 (line 1)", "turn 1: unknown speaker 'robot' (human, gpt, system, user or assistant)"),
        ("[{\"conversations\": [{\"value\": \"x\"}]}]", "conversation 1 (line 1)", "turn 1 needs 'from' and 'value'"),
        ("[{\"conversations\": [{\"from\": \"human\", \"value\": \"never ends}]}]", "conversation 1 (line 1)", "a string that never ends"),
        ("[{}, {}\n, {\"conversations\": []} {}]", "conversation 3 (line 2)", "expected ',' or ']' after an array element"),
        ("[]\nx", "line 2", "text after the closing ']'"),
    ])
    func shareGPTErrors(text: String, location: String, problem: String) {
        let path = WorkloadFixtures.scratch(text, name: "sharegpt-error.json")
        defer { WorkloadFixtures.remove(path) }
        #expect(throws: DatasetError(path: path, location: location, problem: problem)) {
            try ShareGPTFile.read(try DatasetBytes(path: path))
        }
    }

    @Test("malformed JSONL input names the line", arguments: [
        ("{\"prompt\": \"a\"}\n[1]", "line 2", "each line must be a JSON object, got an array"),
        ("{\"prompt\": 3}", "line 1", "'prompt' must be a string, got a number"),
        ("{\"prompt\": \"a\", \"output_tokens\": -2}", "line 1", "'output_tokens' must be a whole number from 0 to 10000000"),
        ("{\"prompt\": \"a\", \"output_tokens\": 0}", "line 1", "'output_tokens' must be at least 1"),
        ("{\"output_tokens\": 5}", "line 1", "needs a 'prompt' (text) or 'messages' (chat)"),
        ("{\"prompt\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}", "line 1", "give 'prompt' or 'messages', not both"),
        ("{\"messages\": [{\"role\": \"bot\", \"content\": \"b\"}]}", "line 1", "message 1: unknown role 'bot'"),
        ("{\"messages\": [{\"role\": \"system\", \"content\": \"b\"}]}", "line 1", "'messages' has no user message"),
        ("\n\n{\"prompt\": \"a\"} {\"prompt\": \"b\"}", "line 3", "text after the object (one object per line)"),
    ])
    func jsonlErrors(text: String, location: String, problem: String) {
        let path = WorkloadFixtures.scratch(text, name: "prompts-error.jsonl")
        defer { WorkloadFixtures.remove(path) }
        #expect(throws: DatasetError(path: path, location: location, problem: problem)) {
            try JSONLinesFile.read(try DatasetBytes(path: path))
        }
    }

    @Test("malformed trace lines name the line", arguments: [
        ("{\"input_length\": 1, \"output_length\": 1}", "line 1", "no 'timestamp'"),
        ("{\"timestamp\": \"0\", \"input_length\": 1, \"output_length\": 1}", "line 1", "'timestamp' must be a number of milliseconds, got a string"),
        ("{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 1}", "line 1", "'input_length' must be at least 1"),
        ("{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, 2.5]}", "line 1", "a hash id must be a whole number from 0 to 2199023254528"),
        ("{\"timestamp\": 9, \"input_length\": 1, \"output_length\": 1}\n{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1}",
         "line 2", "timestamp 3.0 is before the previous line's 9.0 (a trace is in arrival order)"),
    ])
    func traceErrors(text: String, location: String, problem: String) {
        let path = WorkloadFixtures.scratch(text, name: "trace-error.jsonl")
        defer { WorkloadFixtures.remove(path) }
        #expect(throws: DatasetError(path: path, location: location, problem: problem)) {
            try MooncakeTrace.read(try DatasetBytes(path: path))
        }
    }

    @Test("a missing file is one error naming it")
    func missingFile() {
        #expect(throws: DatasetError(path: "/nonexistent/x.json", problem: "cannot read: No such file or directory")) {
            try DatasetBytes(path: "/nonexistent/x.json")
        }
    }

    @Test("the JSON cursor skips nested values and reads numbers as JSON writes them")
    func cursorSkipsAndReadsNumbers() throws {
        let bytes = Array("{\"a\": [1, {\"b\": [true, false, null, \"x\\\"y\"]}, -0.5e2], \"n\": 12.25, \"m\": 007}".utf8)
        try bytes.withUnsafeBytes { raw in
            var cursor = JSONCursor(raw)
            try cursor.beginObject()
            var first = true
            #expect(try cursor.nextKey(first: &first) == "a")
            try cursor.skipValue()
            #expect(try cursor.nextKey(first: &first) == "n")
            #expect(try cursor.number() == 12.25)
            #expect(try cursor.nextKey(first: &first) == "m")
            #expect(throws: JSONCursor.Failure.self) { try cursor.number() }
        }
    }
}
