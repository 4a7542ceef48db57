import HTTPWire

/// One scrape: GET the endpoint with a deadline, check the answer, parse it.
///
/// Rides on `HTTPFetch` (its own blocking socket with poll-based deadlines, a fresh
/// `Connection: close` connection per scrape), so nothing here touches the load loops' epoll or
/// connections. A fresh connection each second costs the server one accept on loopback and
/// means a stalled or broken answer can never poison the next scrape.
enum MetricsFetch {
    /// What prometheus_client serves by default; asking for it keeps servers that can also speak
    /// OpenMetrics or protobuf on the text format this parser reads.
    static let acceptHeader = HTTPHeader("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")

    /// `tls`: for an https target, the context made once by the caller (nil: the default one).
    static func scrape(_ target: HTTPTarget, timeoutSeconds: Double, maximumBodyBytes: Int,
                       cancelWhenReadable: FileDescriptor?, tls: TLSClientContext? = nil) -> Result<PrometheusExposition, ScrapeFailure>? {
        let response: HTTPFetch.Response
        do {
            response = try HTTPFetch.get(target, path: target.path, headers: [acceptHeader], timeoutSeconds: timeoutSeconds,
                                         cancelWhenReadable: cancelWhenReadable, maximumBodyBytes: maximumBodyBytes, tls: tls)
        } catch {
            switch error {
            // No signal watcher is passed, so `.interrupted` cannot happen; treat it as a stop.
            case .cancelled, .interrupted: return nil
            case .connect(_, let errno): return .failure(.connect(errno: errno))
            case .tls(_, let reason): return .failure(.tls(reason: reason))
            case .timedOut: return .failure(.timedOut(seconds: timeoutSeconds))
            case .malformed(_, let wire): return .failure(.malformedHTTP(wire))
            case .closed: return .failure(.closed)
            case .tooLarge(_, let limit): return .failure(.tooLarge(limitBytes: limit))
            }
        }
        guard response.status == 200 else { return .failure(.status(response.status)) }
        do {
            let exposition = try PrometheusTextParser.parse(response.body)
            guard exposition.families.contains(where: { !$0.samples.isEmpty }) else { return .failure(.empty) }
            return .success(exposition)
        } catch {
            return .failure(.unparsable(error))
        }
    }
}
