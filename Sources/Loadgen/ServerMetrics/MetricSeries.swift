/// One time series of a server: a sample name and its label set, as every scrape repeats it.
///
/// Labels are sorted, so `{engine="0",model_name="m"}` and `{model_name="m",engine="0"}` are one key.
struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
    let name: String
    let labels: [MetricLabel]

    init(name: String, labels: [MetricLabel]) {
        self.name = name
        self.labels = labels.sorted()
    }

    func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }

    /// `name{a="b",...}`, values escaped as the exposition format writes them.
    var description: String {
        guard !labels.isEmpty else { return name }
        let pairs = labels.map { label -> String in
            var value = ""
            for character in label.value {
                switch character {
                case "\\": value += "\\\\"
                case "\"": value += "\\\""
                case "\n": value += "\\n"
                default: value.append(character)
                }
            }
            return "\(label.name)=\"\(value)\""
        }
        return "\(name){\(pairs.joined(separator: ","))}"
    }
}

/// What the recording knows about a series: its key, its family's TYPE, and what loadgen's
/// catalogue makes of it (nil `metric` for names it does not know, which are kept all the same).
struct SeriesInfo: Sendable, Equatable {
    let key: SeriesKey
    let type: MetricType
    let metric: ServerMetric?
    let part: ServerMetric.Part
    /// A histogram bucket's upper bound (`le`, +Inf for the last); nil for other parts.
    let upperBound: Double?

    init(key: SeriesKey, type: MetricType) {
        self.key = key
        self.type = type
        let identified = ServerMetric.identify(sampleName: key.name)
        metric = identified?.metric
        part = identified?.part ?? (type == .histogram ? Self.histogramPart(of: key.name) : .value)
        if part == .bucket, let bound = key.label("le") { upperBound = Double(bound) } else { upperBound = nil }
    }

    private static func histogramPart(of name: String) -> ServerMetric.Part {
        if name.hasSuffix("_bucket") { return .bucket }
        if name.hasSuffix("_sum") { return .sum }
        if name.hasSuffix("_count") { return .count }
        return .value
    }

    /// The family the series belongs to: its own name, or a histogram's name without the suffix.
    var familyName: String { histogramIdentity?.name ?? key.name }

    /// The histogram a bucket, sum or count belongs to: the sample name without its suffix and
    /// the labels without `le`. Nil for other parts.
    var histogramIdentity: SeriesKey? {
        let suffix: String
        switch part {
        case .value: return nil
        case .bucket: suffix = "_bucket"
        case .sum: suffix = "_sum"
        case .count: suffix = "_count"
        }
        return SeriesKey(name: String(key.name.dropLast(suffix.count)), labels: key.labels.filter { $0.name != "le" })
    }
}
