/// Concurrency levels on the command line: "10,50,100", "500:1000:50" (start:end:step, end
/// included when the steps reach it), or both mixed: "5,10,500:1000:100".
enum LevelList {
    static func parse(_ text: String, flag: String) throws(UsageError) -> [Int] {
        let problem = UsageError("\(flag) must be positive integers like 10,50,100 or a range start:end:step like 500:1000:50, got '\(text)'")
        var levels: [Int] = []
        // An empty part ("10,,20", "10,") is a typo, not a level to skip.
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !String(part).trimmingSpaces().isEmpty else {
                throw UsageError("\(flag) has an empty level between commas in '\(text)'")
            }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
                .map { Int(String($0).trimmingSpaces().replacingUnderscores()) }
            switch fields.count {
            case 1:
                guard let level = fields[0], (1...1_000_000).contains(level) else { throw problem }
                levels.append(level)
            case 3:
                guard let start = fields[0], let end = fields[1], let step = fields[2], start >= 1, end >= start,
                      end <= 1_000_000, step >= 1, (end - start) / step < 10_000 else { throw problem }
                levels += Array(stride(from: start, through: end, by: step))
            default:
                throw problem
            }
        }
        guard !levels.isEmpty else { throw UsageError("\(flag) is empty") }
        return levels
    }
}
