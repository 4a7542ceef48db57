import HTTPWire

extension OpenAIWorkload {
    /// One template per prepared prompt, in order: the text as a chat user message or a
    /// completion prompt (a dataset's chat messages as they are), sent as it is: no header and no
    /// request number, since a dataset's prompts are the workload (and a trace's shared prefixes
    /// must stay shared).
    func preparedTemplates(_ prepared: PreparedPrompts, host: String, headers: [HTTPHeader],
                           pathPrefix: String) throws(LoadgenError) -> [RequestTemplate] {
        let head = "{\"model\":" + JSONValue.string(model).serialized()
        var templates: [RequestTemplate] = []
        templates.reserveCapacity(prepared.prompts.count)
        // Most prompts share their output length: the members after the prompt are made once per length.
        var options: [Int: String] = [:]
        for prompt in prepared.prompts {
            var body = head
            switch (prompt.content, endpoint) {
            case (.text(let text), .chat):
                body += ",\"messages\":[{\"role\":\"user\",\"content\":" + JSONValue.string(text).serialized() + "}]"
            case (.text(let text), .completions):
                body += ",\"prompt\":" + JSONValue.string(text).serialized()
            case (.messages(let messages), .chat):
                body += ",\"messages\":["
                for (index, message) in messages.enumerated() {
                    if index > 0 { body += "," }
                    body += "{\"role\":" + JSONValue.string(message.role).serialized() + ",\"content\":"
                        + JSONValue.string(message.content).serialized() + "}"
                }
                body += "]"
            case (.messages, .completions):
                throw .invalidPlan("chat messages need chat requests (not --completions)")
            }
            if let tail = options[prompt.outputTokens] {
                body += tail
            } else {
                let tail = try bodyOptions(outputTokens: prompt.outputTokens)
                options[prompt.outputTokens] = tail
                body += tail
            }
            let bytes = try serializedRequest(body: Array(body.utf8), host: host, headers: headers, pathPrefix: pathPrefix)
            templates.append(RequestTemplate(bytes: bytes, counterOffset: nil, inputTokens: prompt.inputTokens, outputTokens: prompt.outputTokens))
        }
        return templates
    }
}
