import Synchronization

/// With `--metrics`: the counts echo-server keeps and `GET /metrics` serves as Prometheus text,
/// under vLLM 0.32's names (`vllm:prompt_tokens_total`, `vllm:generation_tokens_total`,
/// `vllm:request_success_total`, `vllm:num_requests_running` for the streams being sent,
/// `vllm:num_requests_waiting` always 0), so loadgen's server-metrics path (scrape, align,
/// cross-check, report) runs end to end on loopback without a vLLM. The counts follow echo-server's
/// own usage rule (prompt tokens = body bytes / 4, generation tokens = max_tokens), so a client
/// counting `usage` must agree exactly.
///
/// Each loop adds to its own counters (relaxed atomics nobody else writes: no contention, one
/// uncontended add per request, and none without `--metrics`); an answer to /metrics sums them.
final class EchoMetrics: Sendable {
    /// One loop's counts.
    final class LoopCounts: Sendable {
        let promptTokens = Atomic<UInt64>(0)
        let generationTokens = Atomic<UInt64>(0)
        let finishedRequests = Atomic<UInt64>(0)
        let runningStreams = Atomic<Int>(0)

        /// A completion answered whole.
        func answered(promptTokens prompt: Int, generationTokens generation: Int) {
            promptTokens.add(UInt64(prompt), ordering: .relaxed)
            generationTokens.add(UInt64(generation), ordering: .relaxed)
            finishedRequests.add(1, ordering: .relaxed)
        }

        /// A stream started: its prompt is "prefilled" now, as vLLM counts it.
        func streamStarted(promptTokens prompt: Int) {
            promptTokens.add(UInt64(prompt), ordering: .relaxed)
            runningStreams.add(1, ordering: .relaxed)
        }

        /// A stream ended after sending `tokens` tokens (all of them, or fewer when the client
        /// went away: vLLM too counts the tokens it generated for an aborted request).
        func streamEnded(generationTokens tokens: Int, finished: Bool) {
            generationTokens.add(UInt64(tokens), ordering: .relaxed)
            if finished { finishedRequests.add(1, ordering: .relaxed) }
            runningStreams.subtract(1, ordering: .relaxed)
        }
    }

    let loops: [LoopCounts]
    private let labels: String

    init(loops: Int, modelName: String) {
        self.loops = (0..<loops).map { _ in LoopCounts() }
        var escaped = ""
        for character in modelName {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        labels = "engine=\"0\",model_name=\"\(escaped)\""
    }

    /// The exposition text (format 0.0.4) of the counts summed over the loops, now.
    func exposition() -> [UInt8] {
        var prompt: UInt64 = 0, generation: UInt64 = 0, finished: UInt64 = 0, running = 0
        for loop in loops {
            prompt &+= loop.promptTokens.load(ordering: .relaxed)
            generation &+= loop.generationTokens.load(ordering: .relaxed)
            finished &+= loop.finishedRequests.load(ordering: .relaxed)
            running += loop.runningStreams.load(ordering: .relaxed)
        }
        var text = "# HELP vllm:num_requests_running Streams being sent (echo-server, in vLLM's names).\n"
        text += "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{\(labels)} \(max(running, 0))\n"
        text += "# HELP vllm:num_requests_waiting Requests waiting: echo-server never queues.\n"
        text += "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{\(labels)} 0\n"
        text += "# HELP vllm:prompt_tokens_total Prompt tokens (body bytes / 4).\n"
        text += "# TYPE vllm:prompt_tokens_total counter\nvllm:prompt_tokens_total{\(labels)} \(prompt)\n"
        text += "# HELP vllm:generation_tokens_total Generated tokens (max_tokens per answer).\n"
        text += "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total{\(labels)} \(generation)\n"
        text += "# HELP vllm:request_success_total Completions answered.\n"
        text += "# TYPE vllm:request_success_total counter\nvllm:request_success_total{\(labels),finished_reason=\"length\"} \(finished)\n"
        return Array(text.utf8)
    }
}
