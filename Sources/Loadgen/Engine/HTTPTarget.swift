/// Where requests go: an `http://` or `https://` URL split into its parts.
public struct HTTPTarget: Sendable, Equatable {
    /// Plain HTTP or HTTPS (TLS through the system's OpenSSL, loaded at run time).
    public enum Scheme: String, Sendable, Equatable {
        case http
        /// TLS (the system's OpenSSL, loaded when first needed), HTTP/1.1 inside.
        case https

        /// 80 or 443.
        public var defaultPort: UInt16 { self == .http ? 80 : 443 }
    }

    /// http or https.
    public var scheme: Scheme
    /// Host name or address literal, without brackets for IPv6.
    public var host: String
    /// The TCP port (80 or 443 when the URL gives none).
    public var port: UInt16
    /// Request target: path and query, at least "/".
    public var path: String

    /// A target from its parts; `path` starts with `/`.
    public init(scheme: Scheme = .http, host: String, port: UInt16, path: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `http://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]`, or the same with `https://` (port
    /// 443 by default). The scheme is case-insensitive (`HTTP://` too); a fragment is dropped, as
    /// curl does, since it names a part of the document for the client and is never sent. Other
    /// schemes, spaces and control characters are refused with a reason.
    public init(url: String) throws(LoadgenError) {
        let schemeText = url.prefix(while: { $0 != ":" }).lowercased()
        guard let scheme = Scheme(rawValue: schemeText), url.dropFirst(schemeText.count).hasPrefix("://") else {
            throw .invalidURL(url, reason: "only http:// and https:// URLs are supported")
        }
        if url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalidURL(url, reason: "it contains a control character (a tab, line break or NUL)")
        }
        if url.contains(" ") { throw .invalidURL(url, reason: "it contains a space (write it as %20)") }
        var rest = url.dropFirst(schemeText.count + 3)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty else { throw .invalidURL(url, reason: "missing host") }
        guard !authority.contains("@") else { throw .invalidURL(url, reason: "user information is not supported") }

        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "unclosed '[' in IPv6 address") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(url, reason: "unexpected text after IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { throw .invalidURL(url, reason: "missing host") }
        var port = scheme.defaultPort
        if let portPart {
            guard let value = UInt16(portPart), value > 0 else {
                throw .invalidURL(url, reason: "port must be a number from 1 to 65535")
            }
            port = value
        }
        self.init(scheme: scheme, host: String(hostPart), port: port, path: path)
    }

    /// The Host header value: the host, bracketed for IPv6, with the port unless it is the
    /// scheme's default (80 for http, 443 for https).
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? name : "\(name):\(port)"
    }

    /// The URL again, normalised.
    public var url: String { "\(scheme.rawValue)://\(hostHeader)\(path)" }

    /// The same server with another path (e.g. /v1/models under a base URL), as a URL.
    public func url(path: String) -> String { "\(scheme.rawValue)://\(hostHeader)\(path)" }

    /// The path under which an OpenAI-compatible server's `/v1/...` routes live, taking the
    /// target as a base URL the way users write one: `http://host:8000`, `http://host:8000/`, or
    /// the OpenAI SDK's `http://host:8000/v1` all give "" (the root); a proxy prefix
    /// (`http://gw/llm/v1`) gives "/llm". Never ends in "/", so `openAIBasePath + "/v1/models"`
    /// is always one clean path (appending to "/v1" asked for `/v1/v1/models`).
    public var openAIBasePath: String {
        var base = Substring(path)
        if let query = base.firstIndex(of: "?") { base = base[..<query] }
        while base.hasSuffix("/") { base = base.dropLast() }
        if base.hasSuffix("/v1") { base = base.dropLast(3) }
        while base.hasSuffix("/") { base = base.dropLast() }
        return String(base)
    }
}
