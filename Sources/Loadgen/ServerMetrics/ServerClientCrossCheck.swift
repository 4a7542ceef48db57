/// What loadgen itself counted in a window, to hold the server's figures against.
struct ClientWindowFigures: Sendable, Equatable {
    /// Sums of `usage.prompt_tokens` and `usage.completion_tokens` over successful responses
    /// (the warmup's among them when the window counts the warmup).
    var promptTokens: UInt64
    var generationTokens: UInt64
    /// How much of those the warmup's answers gave (0 unless the window counts the warmup).
    var warmupPromptTokens: UInt64 = 0
    var warmupGenerationTokens: UInt64 = 0
    /// The client's mean time to first token, in seconds (nil: not streamed).
    var meanTimeToFirstTokenSeconds: Double?
    /// Requests that failed: the server may have spent tokens on them that no usage reported.
    var failedRequests: UInt64
    /// Successful responses without a `usage` object: their tokens are missing from the counts.
    var responsesWithoutUsage: UInt64

    init(promptTokens: UInt64, generationTokens: UInt64, meanTimeToFirstTokenSeconds: Double? = nil,
                failedRequests: UInt64 = 0, responsesWithoutUsage: UInt64 = 0) {
        self.promptTokens = promptTokens
        self.generationTokens = generationTokens
        self.meanTimeToFirstTokenSeconds = meanTimeToFirstTokenSeconds
        self.failedRequests = failedRequests
        self.responsesWithoutUsage = responsesWithoutUsage
    }

    /// A level's figures as `LoadRun` measured them; `includingWarmup` adds the warmup's tokens
    /// (for a window whose counted span holds the warmup, `MetricsWindow.countsWarmup`).
    init(_ result: RunResult, includingWarmup: Bool = false) {
        self.init(promptTokens: result.promptTokens, generationTokens: result.completionTokens,
                  meanTimeToFirstTokenSeconds: result.timeToFirstToken.count > 0 ? result.timeToFirstToken.meanNanoseconds / 1e9 : nil,
                  failedRequests: result.failed, responsesWithoutUsage: result.responsesWithoutUsage)
        if includingWarmup {
            warmupPromptTokens = result.warmupPromptTokens
            warmupGenerationTokens = result.warmupCompletionTokens
            promptTokens += warmupPromptTokens
            generationTokens += warmupGenerationTokens
        }
    }
}

/// The server's token counters against loadgen's counts, and its queue + prefill time against
/// loadgen's TTFT, over one window, each with a verdict and a plain sentence for reports.
///
/// Tokens should agree exactly when the window is bracketed by scrapes taken while the server
/// served only loadgen's measured requests; over `ServerMetricsPolicy.tokenAgreementTolerance`
/// (2%) the sentence says they disagree, and an unaligned window says it cannot be compared
/// rather than printing a number. The TTFT comparison has no verdict: the client's TTFT also
/// holds HTTP, tokenization and detokenization, so it should exceed the engine's queue +
/// prefill; the difference is that overhead, reported as such.
struct ServerClientCrossCheck: Sendable {
    enum Verdict: String, Sendable {
        case agrees
        case differs
        /// The scrapes do not bracket the window (see the statement for which replica and why).
        case notAlignable = "not_alignable"
        /// The server exposes no such counter (or the client counted nothing to compare).
        case unavailable
    }

    struct TokenComparison: Sendable {
        var quantity: String
        var server: Double?
        var client: UInt64
        /// (server - client) / client; nil when either side is missing or the client counted 0.
        var differenceFraction: Double?
        var verdict: Verdict
        var statement: String
    }

    struct TimeToFirstTokenComparison: Sendable {
        var serverQueueMeanSeconds: Double?
        var serverPrefillMeanSeconds: Double?
        var clientMeanSeconds: Double?
        /// Client mean TTFT minus the server's mean queue + prefill time.
        var differenceSeconds: Double?
        var statement: String
    }

    let promptTokens: TokenComparison
    let generationTokens: TokenComparison
    let timeToFirstToken: TimeToFirstTokenComparison

    /// True when tokens disagree or the window cannot be aligned: the report should flag it.
    var needsAttention: Bool {
        [promptTokens.verdict, generationTokens.verdict].contains { $0 == .differs || $0 == .notAlignable }
    }

    /// The sentences, tokens first.
    var statements: [String] { [generationTokens.statement, promptTokens.statement, timeToFirstToken.statement] }

    init(_ summary: ServerMetricsSummary, client: ClientWindowFigures) {
        let unaligned = summary.replicas.filter { !$0.alignment.isAligned }
        let alignmentProblem: String? = summary.replicas.isEmpty ? "no metrics endpoint was scraped"
            : unaligned.isEmpty ? nil
            : unaligned.map { "\($0.url): \($0.alignment.problem ?? "")" }.joined(separator: "; ")
        var caveats: [String] = []
        if client.failedRequests > 0 { caveats.append("\(Format.grouped(client.failedRequests)) requests failed and reported no usage") }
        if client.responsesWithoutUsage > 0 {
            caveats.append("\(Format.grouped(client.responsesWithoutUsage)) responses carried no usage")
        }
        if let baseline = summary.replicas.compactMap(\.alignment.baselineLagSeconds).max(),
           let final = summary.replicas.compactMap(\.alignment.finalLagSeconds).max(), baseline + final > 0.5 {
            caveats.append("the scrapes include \(Self.seconds(baseline)) before and \(Self.seconds(final)) after the window")
        }
        generationTokens = Self.compare("generation tokens", server: summary.total(.generationTokens), client: client.generationTokens,
                                        warmup: client.warmupGenerationTokens, countsWarmup: summary.window.countsWarmup,
                                        alignmentProblem: alignmentProblem, caveats: caveats)
        promptTokens = Self.compare("prompt tokens", server: summary.total(.promptTokens), client: client.promptTokens,
                                    warmup: client.warmupPromptTokens, countsWarmup: summary.window.countsWarmup,
                                    alignmentProblem: alignmentProblem, caveats: caveats)

        let queue = summary.histogram(.queueTime)?.mean
        let prefill = summary.histogram(.prefillTime)?.mean
        let clientTTFT = client.meanTimeToFirstTokenSeconds
        var statement: String
        var difference: Double?
        if let alignmentProblem {
            statement = "TTFT: cannot compare with the server's queue and prefill times: \(alignmentProblem)."
        } else if let queue, let prefill, let clientTTFT {
            let engine = queue + prefill
            difference = clientTTFT - engine
            statement = "TTFT: loadgen's mean \(Self.milliseconds(clientTTFT)) against the server's mean queue + prefill "
                + "\(Self.milliseconds(engine)) (queue \(Self.milliseconds(queue)), prefill \(Self.milliseconds(prefill))): "
            if engine > 0, clientTTFT < engine * (1 - ServerMetricsPolicy.tokenAgreementTolerance) {
                statement += "the client's TTFT is SHORTER than the engine's own time, so the two did not time the same requests."
            } else {
                statement += "\(Self.milliseconds(clientTTFT - engine)) outside the engine's queue and prefill "
                    + "(HTTP, tokenization, first-token detokenization)."
            }
        } else if clientTTFT == nil {
            statement = "TTFT: loadgen measured no TTFT in this window (not streamed), nothing to compare."
        } else {
            statement = "TTFT: the server exposes no \(queue == nil ? "queue" : "prefill") time histogram, nothing to compare."
        }
        timeToFirstToken = TimeToFirstTokenComparison(serverQueueMeanSeconds: queue, serverPrefillMeanSeconds: prefill,
                                                      clientMeanSeconds: clientTTFT, differenceSeconds: difference, statement: statement)
    }

    private static func compare(_ quantity: String, server: Double?, client: UInt64, warmup: UInt64 = 0, countsWarmup: Bool = false,
                                alignmentProblem: String?, caveats: [String]) -> TokenComparison {
        if let alignmentProblem {
            return TokenComparison(quantity: quantity, server: nil, client: client, differenceFraction: nil, verdict: .notAlignable,
                                   statement: "\(quantity): CANNOT be compared, the window is not aligned: \(alignmentProblem).")
        }
        guard let server else {
            return TokenComparison(quantity: quantity, server: nil, client: client, differenceFraction: nil, verdict: .unavailable,
                                   statement: "\(quantity): the server exposes no counter of them, nothing to compare.")
        }
        var counts = "server \(Format.grouped(server)), loadgen \(Format.grouped(client))"
        if countsWarmup { counts += " (\(Format.grouped(client - warmup)) measured + \(Format.grouped(warmup)) warmup, sent back to back with no scrape between)" }
        let fraction: Double? = client > 0 ? (server - Double(client)) / Double(client) : (server == 0 ? 0 : nil)
        let agrees = fraction.map { abs($0) <= ServerMetricsPolicy.tokenAgreementTolerance } ?? false
        var statement: String
        if agrees {
            statement = "\(quantity): \(counts)" + (server == Double(client) ? ", exactly equal." : " (\(Self.percent(fraction!))), within 2%.")
        } else {
            let by = fraction.map { " (\(Self.percent($0)))" } ?? ""
            statement = "\(quantity) DISAGREE: \(counts)\(by), more than 2% apart"
            statement += server > Double(client)
                ? ": the server counted work loadgen did not (warmup or other clients' requests, or requests outside the window)."
                : ": the server counted less than loadgen was told in usage, so the counts are not of the same requests."
        }
        if !caveats.isEmpty, server != Double(client) { statement += " Note: " + caveats.joined(separator: "; ") + "." }
        return TokenComparison(quantity: quantity, server: server, client: client, differenceFraction: fraction,
                               verdict: agrees ? .agrees : .differs, statement: statement)
    }

    static func percent(_ fraction: Double) -> String {
        (fraction >= 0 ? "+" : "") + Format.fixed(fraction * 100, decimals: 2) + "%"
    }

    static func milliseconds(_ seconds: Double) -> String { Format.fixed(seconds * 1000, decimals: 1) + " ms" }

    static func seconds(_ seconds: Double) -> String { Format.fixed(seconds, decimals: 2) + " s" }
}
