/// One `/metrics` answer in the Prometheus text exposition format 0.0.4, parsed: the metric
/// families in the order the server wrote them, each with its samples.
///
/// Built by `PrometheusTextParser`; nothing here knows what any metric means (that is
/// `ServerMetric`'s job), so names loadgen does not know are kept as they came.
struct PrometheusExposition: Sendable, Equatable {
    var families: [MetricFamily]

    init(families: [MetricFamily] = []) { self.families = families }

    /// Every sample of every family, in order.
    var samples: [MetricSample] { families.flatMap(\.samples) }

    /// The family declared (or first seen) under `name`, e.g. `vllm:num_requests_running`.
    func family(named name: String) -> MetricFamily? { families.first { $0.name == name } }
}

/// The `# TYPE` of a family. A family with no TYPE line is `untyped`, as the format says.
enum MetricType: String, Sendable, Equatable {
    case counter, gauge, histogram, summary, untyped
}

/// The samples under one metric name, with the family's TYPE and HELP text.
///
/// A histogram family `x` holds the samples `x_bucket{le=...}`, `x_sum` and `x_count`; a summary
/// `x` holds `x{quantile=...}`, `x_sum` and `x_count`. Everything else holds samples named
/// exactly like the family (for a counter, prometheus_client names both `x_total`).
struct MetricFamily: Sendable, Equatable {
    var name: String
    var type: MetricType
    var help: String?
    var samples: [MetricSample]

    init(name: String, type: MetricType, help: String? = nil, samples: [MetricSample] = []) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
    }
}

/// A label pair of a sample: `engine="0"`.
struct MetricLabel: Sendable, Hashable, Comparable {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    static func < (lhs: MetricLabel, rhs: MetricLabel) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value < rhs.value
    }
}

/// One line of samples: a name, its labels, a value and the optional timestamp.
struct MetricSample: Sendable, Equatable {
    var name: String
    /// In the order written. `SeriesKey` sorts them so two spellings of one series compare equal.
    var labels: [MetricLabel]
    /// NaN, +Inf and -Inf are legal values.
    var value: Double
    /// Milliseconds since the Unix epoch, when the server wrote one (vLLM does not).
    var timestampMilliseconds: Int64?

    init(name: String, labels: [MetricLabel] = [], value: Double, timestampMilliseconds: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The value of label `name`, if the sample has it.
    func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }

    static func == (lhs: MetricSample, rhs: MetricSample) -> Bool {
        // NaN == NaN here: two parses of the same text are equal.
        lhs.name == rhs.name && lhs.labels == rhs.labels && lhs.timestampMilliseconds == rhs.timestampMilliseconds
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}
