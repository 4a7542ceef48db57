import Loadgen

/// A warmup: a duration (`5s`, `500ms`, `2m`: a unit is required) or a request count (`10`).
/// The same spelling for every command that has one; a bare number is a count, as
/// `vllm bench serve --num-warmups` and the seeds' warmup requests count them.
enum WarmupSpec: Equatable {
    case seconds(Double)
    case requests(Int)

    static func parse(_ text: String, flag: String) throws(UsageError) -> WarmupSpec {
        let problem = UsageError("\(flag) must be a request count like 10 or a duration with a unit like 5s or 500ms, got '\(text)'")
        if let count = Int(text.replacingUnderscores()) {
            guard count >= 0, count <= 100_000_000 else { throw problem }
            return .requests(count)
        }
        guard text.last?.isLetter == true, let seconds = ArgumentCursor.parseSeconds(text), seconds >= 0, seconds <= 86_400 else { throw problem }
        return .seconds(seconds)
    }

    var description: String {
        switch self {
        case .seconds(let seconds): "\(Format.fixed(seconds, decimals: 3, trimZeros: true)) s"
        case .requests(let count): "\(count) request\(count == 1 ? "" : "s")"
        }
    }
}

extension ArgumentCursor {
    mutating func warmup(for flag: String) throws(UsageError) -> WarmupSpec {
        try WarmupSpec.parse(try value(for: flag), flag: flag)
    }
}
