/// Where requests go: an `http://host[:port]/path` URL split into its parts.
public struct HTTPTarget: Sendable, Equatable {
    /// Host name or address literal, without brackets for IPv6.
    public var host: String
    public var port: UInt16
    /// Request target: path and query, at least "/".
    public var path: String

    public init(host: String, port: UInt16, path: String = "/") {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `http://HOST[:PORT][/PATH]`. Other schemes (https included) are refused with a reason.
    public init(url: String) throws(LoadgenError) {
        let prefix = "http://"
        guard url.hasPrefix(prefix) else {
            if url.hasPrefix("https://") {
                throw .invalidURL(url, reason: "https is not supported; loadgen speaks plain HTTP/1.1 (use http://)")
            }
            throw .invalidURL(url, reason: "only http:// URLs are supported")
        }
        let rest = url.dropFirst(prefix.count)
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
        var port: UInt16 = 80
        if let portPart {
            guard let value = UInt16(portPart), value > 0 else {
                throw .invalidURL(url, reason: "port must be a number from 1 to 65535")
            }
            port = value
        }
        self.init(host: String(hostPart), port: port, path: path)
    }

    /// The Host header value: the host, bracketed for IPv6, with the port unless it is 80.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// The URL again, normalised.
    public var url: String { "http://\(hostHeader)\(path)" }
}
