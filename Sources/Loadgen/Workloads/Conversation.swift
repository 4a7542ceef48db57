/// One message of a chat, with the OpenAI role it is sent as ("system", "user", "assistant").
public struct ChatMessage: Sendable, Equatable {
    /// "system", "user" or "assistant".
    public var role: String
    /// The message text.
    public var content: String

    /// A message of `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// One entry of a dataset file, every turn kept in order: a single-request workload sends its
/// first user turn (`firstExchange`), and multi-turn sessions can replay all of them.
public struct Conversation: Sendable, Equatable {
    /// Every turn of the entry, in order.
    public var messages: [ChatMessage]
    /// The output length the file asks for (a JSONL `output_tokens`), if it gives one.
    public var outputTokens: Int?
    /// A JSONL `prompt`: plain text, which can go to /v1/completions as well as to chat.
    public var isPlainPrompt = false
    /// Its position in the file (1-based), for messages.
    public var index: Int

    /// The entry at `index` of its file.
    public init(messages: [ChatMessage], outputTokens: Int? = nil, isPlainPrompt: Bool = false, index: Int) {
        self.messages = messages
        self.outputTokens = outputTokens
        self.isPlainPrompt = isPlainPrompt
        self.index = index
    }

    /// The first user turn and the assistant's answer to it (the next assistant turn), as vLLM's
    /// ShareGPT dataset pairs them; nil when there is no such pair. (vLLM takes turns 0 and 1
    /// whatever their roles, so a conversation that opens with the assistant or a system
    /// message is sent backwards there.)
    public var firstExchange: (prompt: String, answer: String)? {
        guard let user = messages.firstIndex(where: { $0.role == "user" }),
              let answer = messages[(user + 1)...].first(where: { $0.role == "assistant" }) else { return nil }
        return (messages[user].content, answer.content)
    }
}
