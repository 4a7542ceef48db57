/// The requests of a run, serialized before it starts and shared read-only by every event loop:
/// one template for a plain `run`, or the distinct shapes of an OpenAI workload.
///
/// Allocated once, written before the loops start and freed after they are joined, which is what
/// makes the `@unchecked Sendable` true.
final class RequestSet: @unchecked Sendable {
    struct Template {
        let bytes: UnsafeRawBufferPointer
        /// Where the request number goes (12 ASCII digits), or -1.
        let counterOffset: Int
        let inputTokens: Int
        let outputTokens: Int
    }

    let templates: [Template]
    /// Check response bodies as OpenAI answers (valid JSON, a choice, tokens).
    let validatesOpenAI: Bool
    private let storage: [UnsafeMutableRawBufferPointer]

    init(_ sources: [RequestTemplate], validatesOpenAI: Bool) {
        var storage: [UnsafeMutableRawBufferPointer] = []
        var templates: [Template] = []
        for source in sources {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.bytes.count, 1), alignment: 64)
            source.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            storage.append(buffer)
            templates.append(Template(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<source.bytes.count]),
                                      counterOffset: source.counterOffset ?? -1,
                                      inputTokens: source.inputTokens, outputTokens: source.outputTokens))
        }
        self.storage = storage
        self.templates = templates
        self.validatesOpenAI = validatesOpenAI
    }

    deinit {
        for buffer in storage { buffer.deallocate() }
    }
}
