/// One request's prompt as prepared before the run: its text (or chat messages), the prompt
/// tokens it has by the run's tokenizer, and the output tokens it asks for.
public struct PreparedPrompt: Sendable, Equatable {
    /// A completion prompt's text, or a chat request's messages.
    public enum Content: Sendable, Equatable {
        case text(String)
        case messages([ChatMessage])
    }

    /// What the request sends.
    public var content: Content
    /// Counted as vLLM counts a prompt (`len(tokenizer(prompt).input_ids)`: with the tokens
    /// added to every sequence), so the server's count is this less those plus its template.
    public var inputTokens: Int
    /// The output tokens it asks for (`max_tokens`).
    public var outputTokens: Int
}

/// Prompts loaded from a dataset or trace, or built for shared prefixes, all tokenized and ready
/// to be serialized into request templates before the run (one template per prompt; request k
/// of the run sends prompt k modulo their count). Built once; shared read-only.
///
/// ```swift
/// var workload = OpenAIWorkload(model: "m")
/// workload.prepared = try PreparedPrompts.prepare(.shareGPT(path: "sharegpt.json"), for: workload, samples: 1000)
/// ```
public final class PreparedPrompts: Sendable, Equatable {
    /// The prompts, in the order the run sends them.
    public let prompts: [PreparedPrompt]
    /// What they were made from, for the results.
    public let record: WorkloadRecord
    /// A trace's send times in seconds from the first request (its timestamps / speed), one per
    /// prompt, in order.
    public let sendTimes: [Double]?
    let facts: PromptFacts

    init(prompts: [PreparedPrompt], record: WorkloadRecord, facts: PromptFacts, sendTimes: [Double]? = nil) {
        self.prompts = prompts
        self.record = record
        self.facts = facts
        self.sendTimes = sendTimes
    }

    /// The same prepared set (it is built once and shared).
    public static func == (lhs: PreparedPrompts, rhs: PreparedPrompts) -> Bool { lhs === rhs }

    /// vLLM's default `--num-prompts`, the sample size when a run gives no request count.
    public static let defaultSamples = 1000

    /// Loads, filters, samples and tokenizes `source` for `workload` (its model, endpoint,
    /// tokenizer, seed, nonce; its lengths for shared prefixes). `samples`: how many prompts
    /// (default `defaultSamples`; a trace sends every request); `outputTokens`: a `--max-tokens`
    /// that overrides the file's output lengths.
    public static func prepare(_ source: PromptSource, for workload: OpenAIWorkload, samples: Int? = nil,
                               outputTokens: TokenCount? = nil) throws(LoadgenError) -> PreparedPrompts {
        let started = Clock.monotonicNanoseconds()
        let startCPU = ProcessResources.cpuMicroseconds()
        var counter = try PromptTokenCounter(workload.exactPrompts, model: workload.model)
        let prepared: PreparedPrompts
        switch source {
        case .shareGPT(let path), .jsonl(let path):
            // The file's bytes are let go once parsed: for a large file they are half the memory.
            let (conversations, hash) = try dataset { () throws(DatasetError) in
                let file = try DatasetBytes(path: path)
                let conversations = source == .jsonl(path: path) ? try JSONLinesFile.read(file) : try ShareGPTFile.read(file, allTurns: false)
                return (conversations, file.hash)
            }
            prepared = try fromDataset(conversations, path: path, fileHash: hash, source: source, counter: &counter,
                                       workload: workload, samples: samples, outputTokens: outputTokens)
        case .trace(let path, let speed, let blockTokens):
            let file = try dataset { () throws(DatasetError) in try DatasetBytes(path: path) }
            let requests = try dataset { () throws(DatasetError) in try MooncakeTrace.read(file) }
            prepared = try fromTrace(requests, file: file, speed: speed, blockTokens: blockTokens,
                                     counter: &counter, workload: workload, outputTokens: outputTokens)
        case .sharedPrefix(let prefixTokens, let prefixes):
            prepared = try sharedPrefix(prefixTokens: prefixTokens, prefixes: prefixes, counter: &counter, workload: workload,
                                        samples: samples ?? defaultSamples, outputTokens: outputTokens ?? workload.outputTokens)
        }
        var record = prepared.record
        record.preparationSeconds = Double(Clock.monotonicNanoseconds() - started) / 1e9
        let endCPU = ProcessResources.cpuMicroseconds()
        record.preparationCPUSeconds = Double(endCPU.user + endCPU.system - startCPU.user - startCPU.system) / 1e6
        return PreparedPrompts(prompts: prepared.prompts, record: record, facts: prepared.facts, sendTimes: prepared.sendTimes)
    }

    private static func dataset<T>(_ body: () throws(DatasetError) -> T) throws(LoadgenError) -> T {
        do { return try body() } catch { throw .dataset(error) }
    }

    // MARK: Datasets

    /// vLLM's ShareGPT filter (`is_valid_sequence` in vllm/benchmarks/datasets.py, from the old
    /// `sample_sharegpt_requests`): prompts of 4 to 1,024 tokens, outputs of at least 4 (unless
    /// the output length is given), at most 2,048 together.
    enum ShareGPTFilter {
        static let minimumTokens = 4
        static let maximumPromptTokens = 1024
        static let maximumTotalTokens = 2048

        static func accepts(promptTokens: Int, outputTokens: Int, checksOutput: Bool) -> Bool {
            promptTokens >= minimumTokens && (!checksOutput || outputTokens >= minimumTokens)
                && promptTokens <= maximumPromptTokens && promptTokens + outputTokens <= maximumTotalTokens
        }
    }

    /// vLLM's sampling: the entries in an order shuffled with the seed, each tokenized and kept if
    /// it passes the filter, until `samples` are kept (so only as many entries are tokenized as
    /// are needed); too few, and kept ones are drawn again at random to make up the count.
    private static func fromDataset(_ conversations: [Conversation], path: String, fileHash: String, source: PromptSource,
                                    counter: inout PromptTokenCounter, workload: OpenAIWorkload, samples: Int?,
                                    outputTokens override: TokenCount?) throws(LoadgenError) -> PreparedPrompts {
        let wanted = samples ?? defaultSamples
        var record = WorkloadRecord(source: source.name)
        record.path = path
        record.fileHash = fileHash
        record.entries = conversations.count
        record.seed = workload.seed
        guard !conversations.isEmpty else {
            throw .dataset(DatasetError(path: path, problem: source == .jsonl(path: path) ? "no prompts in the file"
                : "no conversation with at least two turns"))
        }
        var generator = SeededGenerator(seed: workload.seed ^ 0x5348_4152_4547_5054)
        var order = Array(conversations.indices)
        order.shuffle(using: &generator)
        var prompts: [PreparedPrompt] = []
        prompts.reserveCapacity(wanted)
        let isShareGPT = source.name == "sharegpt"
        do {
            for index in order {
                if prompts.count >= wanted { break }
                let conversation = conversations[index]
                if isShareGPT {
                    guard let exchange = conversation.firstExchange else {
                        record.filtered += 1
                        continue
                    }
                    let input = try counter.count(exchange.prompt, addSpecialTokens: true)
                    let output: Int
                    if let override { output = override.draw(&generator) } else { output = try counter.count(exchange.answer, addSpecialTokens: false) }
                    guard ShareGPTFilter.accepts(promptTokens: input, outputTokens: output, checksOutput: override == nil) else {
                        record.filtered += 1
                        continue
                    }
                    prompts.append(PreparedPrompt(content: .text(exchange.prompt), inputTokens: input, outputTokens: output))
                } else {
                    guard let output = override.map({ $0.draw(&generator) }) ?? conversation.outputTokens else {
                        throw .dataset(DatasetError(path: path, location: "line \(conversation.index)",
                                                                problem: "no 'output_tokens', and no --max-tokens to use instead"))
                    }
                    if conversation.isPlainPrompt {
                        let text = conversation.messages[0].content
                        prompts.append(PreparedPrompt(content: .text(text), inputTokens: try counter.count(text, addSpecialTokens: true),
                                                      outputTokens: output))
                        continue
                    }
                    guard workload.endpoint == .chat else {
                        throw .dataset(DatasetError(path: path, location: "line \(conversation.index)",
                                                                problem: "chat 'messages' need chat requests (not --completions)"))
                    }
                    // A trailing assistant turn is the reference answer, not part of the request.
                    let lastUser = conversation.messages.lastIndex(where: { $0.role == "user" })!
                    let messages = Array(conversation.messages[...lastUser])
                    var input = counter.specialTokens
                    for message in messages { input += try counter.count(message.content, addSpecialTokens: false) }
                    prompts.append(PreparedPrompt(content: .messages(messages), inputTokens: input, outputTokens: output))
                }
            }
        }
        guard !prompts.isEmpty else {
            throw .dataset(DatasetError(path: path, problem: "no conversation passed vLLM's length filter (prompt \(ShareGPTFilter.minimumTokens) to "
                + "\(ShareGPTFilter.maximumPromptTokens) tokens, output at least \(ShareGPTFilter.minimumTokens), "
                + "together at most \(ShareGPTFilter.maximumTotalTokens)) of the \(conversations.count) read"))
        }
        if workload.endpoint == .chat, case .text(let text) = prompts[0].content { try counter.measureChatTemplate(on: text) }
        record.distinctSamples = prompts.count
        let distinct = prompts.count
        while prompts.count < wanted { prompts.append(prompts[Int(generator.next() % UInt64(distinct))]) }
        record.samples = prompts.count
        return PreparedPrompts(prompts: prompts, record: record, facts: counter.facts)
    }

    // MARK: Traces

    /// Prompts of a trace's blocks: each hash id is `blockTokens` tokens of `BlockText` (the
    /// last block of a request cut to its length), and input beyond its ids a unique tail. The
    /// tokens added to every sequence come off the end, so shared blocks stay whole.
    private static func fromTrace(_ requests: [TraceRequest], file: DatasetBytes, speed: Double, blockTokens: Int,
                                  counter: inout PromptTokenCounter, workload: OpenAIWorkload,
                                  outputTokens override: TokenCount?) throws(LoadgenError) -> PreparedPrompts {
        guard let first = requests.first else { throw .dataset(DatasetError(path: file.path, problem: "no requests in the trace")) }
        var record = WorkloadRecord(source: "trace")
        record.path = file.path
        record.fileHash = file.hash
        record.entries = requests.count
        record.seed = workload.seed
        record.traceSpeed = speed
        record.blockTokens = blockTokens
        let salt = workload.nonce ?? PromptHeader.nonce(seed: nil)
        var prompts: [PreparedPrompt] = []
        var sendTimes: [Double] = []
        prompts.reserveCapacity(requests.count)
        sendTimes.reserveCapacity(requests.count)
        do {
            let blocks = try BlockText(counter: &counter, salt: salt)
            // Whole blocks by id, apart for a prompt's first block (which may differ: BlockText).
            var fullBlocks: [Int: String] = [:]
            var firstBlocks: [Int: String] = [:]
            var generator = SeededGenerator(seed: workload.seed ^ 0x5452_4143_4500_0000)
            for (index, request) in requests.enumerated() {
                var remaining = max(request.inputLength - counter.specialTokens, 1)
                var text = ""
                for id in request.hashIDs where remaining > 0 {
                    let tokens = min(blockTokens, remaining)
                    let first = text.isEmpty
                    if tokens == blockTokens {
                        if let cached = first ? firstBlocks[id] : fullBlocks[id] {
                            text += cached
                        } else {
                            let block = blocks.text(id: UInt64(id), space: BlockText.traceSpace, tokens: tokens, startsPrompt: first)
                            if first { firstBlocks[id] = block } else { fullBlocks[id] = block }
                            text += block
                        }
                    } else {
                        text += blocks.text(id: UInt64(id), space: BlockText.traceSpace, tokens: tokens, startsPrompt: first)
                    }
                    remaining -= tokens
                }
                if remaining > 0 {
                    text += blocks.text(id: UInt64(index), space: BlockText.uniqueSpace, tokens: remaining, startsPrompt: text.isEmpty)
                }
                let output = override.map { $0.draw(&generator) } ?? request.outputLength
                prompts.append(PreparedPrompt(content: .text(text), inputTokens: max(request.inputLength, 1 + counter.specialTokens),
                                              outputTokens: output))
                sendTimes.append((request.timestampMilliseconds - first.timestampMilliseconds) / 1000 / speed)
            }
            try checkCounts(prompts, counter: &counter)
        }
        if workload.endpoint == .chat, case .text(let text)? = prompts.first?.content { try counter.measureChatTemplate(on: text) }
        record.samples = prompts.count
        record.distinctSamples = prompts.count
        return PreparedPrompts(prompts: prompts, record: record, facts: counter.facts, sendTimes: sendTimes)
    }

    /// With an exact tokenizer, the first prompts are re-encoded whole: a tokenizer whose pieces
    /// merge across words would give other counts, and is refused rather than mismeasured.
    private static func checkCounts(_ prompts: [PreparedPrompt], counter: inout PromptTokenCounter) throws(LoadgenError) {
        guard counter.isExact else { return }
        for prompt in prompts.prefix(4) {
            guard case .text(let text) = prompt.content else { continue }
            let counted = try counter.count(text, addSpecialTokens: true)
            guard counted == prompt.inputTokens else {
                throw .promptsNotBuilt("a prompt of blocks meant to be \(prompt.inputTokens) tokens encodes to \(counted) with this tokenizer")
            }
        }
    }

    // MARK: Shared prefixes

    /// vLLM's prefix-repetition dataset: `prefixes` texts of `prefixTokens` tokens; request i
    /// sends prefix i mod K followed by a suffix of its own of `workload.inputTokens` tokens
    /// (drawn per request). vLLM drops the remainder of num_prompts / K and decodes prefix and
    /// suffix ids together, so the prefix's text can change at the seam; here every request is
    /// kept and the prefix bytes are the same in every request of its group.
    private static func sharedPrefix(prefixTokens: Int, prefixes: Int, counter: inout PromptTokenCounter, workload: OpenAIWorkload,
                                     samples: Int, outputTokens: TokenCount) throws(LoadgenError) -> PreparedPrompts {
        var record = WorkloadRecord(source: "shared-prefix")
        record.seed = workload.seed
        record.prefixTokens = prefixTokens
        record.prefixes = prefixes
        let salt = workload.nonce ?? PromptHeader.nonce(seed: nil)
        var prompts: [PreparedPrompt] = []
        prompts.reserveCapacity(samples)
        do {
            let blocks = try BlockText(counter: &counter, salt: salt)
            let texts = (0..<prefixes).map {
                blocks.text(id: UInt64($0), space: BlockText.prefixSpace, tokens: prefixTokens, startsPrompt: true)
            }
            var generator = SeededGenerator(seed: workload.seed ^ 0x5052_4546_4958_0000)
            for index in 0..<samples {
                let suffix = max(workload.inputTokens.draw(&generator) - counter.specialTokens, 1)
                let text = texts[index % prefixes]
                    + blocks.text(id: UInt64(index), space: BlockText.uniqueSpace, tokens: suffix, startsPrompt: prefixTokens == 0)
                prompts.append(PreparedPrompt(content: .text(text), inputTokens: prefixTokens + suffix + counter.specialTokens,
                                              outputTokens: outputTokens.draw(&generator)))
            }
            try checkCounts(prompts, counter: &counter)
        }
        if workload.endpoint == .chat, case .text(let text)? = prompts.first?.content { try counter.measureChatTemplate(on: text) }
        record.samples = prompts.count
        record.distinctSamples = prompts.count
        return PreparedPrompts(prompts: prompts, record: record, facts: counter.facts)
    }
}
