/// A way to misbehave on purpose, so tests can drive loadgen into every failure class.
enum Fault: String, CaseIterable {
    /// Read the request, close without a byte of answer.
    case closeBeforeResponse = "close-before-response"
    /// Close after part of the status line and headers.
    case closeMidHeaders = "close-mid-headers"
    /// Close after the head and half of the body.
    case closeMidBody = "close-mid-body"
    /// Close with SO_LINGER 0: the client gets a TCP reset instead of an end of stream.
    case reset
    /// A status line that is not HTTP.
    case garbageStatus = "garbage-status"
    /// A chunked body whose chunk size is not hexadecimal.
    case badChunk = "bad-chunk"
    /// Content-Length larger than the body sent, then close.
    case shortBody = "short-body"
    /// An error status with an OpenAI-style JSON error body, connection kept.
    case status500 = "status-500"
    case status503 = "status-503"
    case status429 = "status-429"
    /// Read the request and never answer (the connection stays open).
    case stall
    /// The normal answer, one byte per `--drip-ms`.
    case slowDrip = "slow-drip"
    /// A header section over 64 KiB.
    case hugeHeaders = "huge-headers"
    /// The normal answer followed by a second, unrequested one.
    case pipelinedExtra = "pipelined-extra"
}

/// Which requests get which fault: `--fault KIND[:RATE]`, repeatable.
///
/// Deterministic, so tests can count outcomes exactly: with rate r, request n (counted per event
/// loop, from 0) is faulted when floor((n + 1) r + p) > floor(n r + p), i.e. exactly one request in
/// every 1/r, evenly spread. Each entry gets its own phase p so that several faults of the same
/// rate hit different requests; when two still coincide, the first listed wins.
struct FaultPlan {
    struct Entry {
        var fault: Fault
        var rate: Double
        var phase: Double
    }

    var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    /// Parses `KIND` or `KIND:RATE` (RATE in (0, 1], default 1).
    mutating func add(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let first = parts.first, let fault = Fault(rawValue: String(first)) else { return false }
        var rate = 1.0
        if parts.count == 2 {
            guard let value = Double(parts[1]), value > 0, value <= 1 else { return false }
            rate = value
        }
        entries.append(Entry(fault: fault, rate: rate, phase: 0))
        for index in entries.indices { entries[index].phase = Double(index) / Double(entries.count) }
        return true
    }

    /// The fault for request number `n`, if any.
    func fault(forRequest n: Int) -> Fault? {
        for entry in entries {
            let before = (Double(n) * entry.rate + entry.phase).rounded(.down)
            let after = (Double(n + 1) * entry.rate + entry.phase).rounded(.down)
            if after > before { return entry.fault }
        }
        return nil
    }
}
