/// How a command asks for the server's own metrics (issue 18): `--metrics-url`,
/// `--no-metrics` and `--metrics-interval` as a plain value. No plan (`--no-metrics`) scrapes
/// nothing.
package struct ServerMetricsPlan: Sendable, Equatable {
    package enum Endpoints: Sendable, Equatable {
        /// `/metrics` of the server driven (`defaultEndpoint`), used only when it answers with
        /// Prometheus text: a server without one (echo-server, a plain web server) is then left
        /// alone without a word.
        case automatic
        /// These endpoints, one per replica behind a router, scraped whatever they answer: a
        /// typo or a dead replica shows in the reports as failed scrapes, never stops the load.
        case given([HTTPTarget])
    }

    package var endpoints: Endpoints
    /// Time between scheduled scrapes (deliberate ones bracket every level besides).
    package var intervalSeconds: Double
    package var timeoutSeconds: Double

    package init(endpoints: Endpoints = .automatic, intervalSeconds: Double = ServerMetricsPolicy.defaultIntervalSeconds,
                 timeoutSeconds: Double = ServerMetricsPolicy.defaultTimeoutSeconds) {
        self.endpoints = endpoints
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
    }

    /// `/metrics` beside the OpenAI routes of `base` (a base URL, with or without `/v1`):
    /// vLLM and SGLang serve it at their root, and a proxy prefix in front (`http://gw/llm/v1`)
    /// is kept (`http://gw/llm/metrics`), as it is for `/v1/models`. A plain HTTP run's URL is
    /// an endpoint, not a base: give it with the path "/" for the server's root.
    package static func defaultEndpoint(forBase base: HTTPTarget) -> HTTPTarget {
        var endpoint = base
        endpoint.path = base.openAIBasePath + "/metrics"
        return endpoint
    }
}
