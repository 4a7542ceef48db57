import CEpoll

/// An IPv4 or IPv6 socket address (host and port), resolved once before a run.
public struct SocketAddress: Sendable, CustomStringConvertible {
    package var storage: CEpoll_address

    /// Resolves `host` (a numeric address or a name) and `port`.
    public init(host: String, port: UInt16) throws(AddressError) {
        var address = CEpoll_address()
        let rc = CEpoll_address_resolve(host, port, &address)
        guard rc == 0 else { throw AddressError.unresolvable(host: host) }
        storage = address
    }

    package init(storage: CEpoll_address) { self.storage = storage }

    package var family: Int32 { withUnsafePointer(to: storage) { CEpoll_address_family($0) } }

    /// "HOST:PORT", or "[HOST]:PORT" for IPv6.
    public var description: String {
        var text = [CChar](repeating: 0, count: 80)
        let rc = withUnsafePointer(to: storage) { CEpoll_address_format($0, &text, text.count) }
        guard rc == 0 else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A host that cannot be turned into an address.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    case unresolvable(host: String)

    /// The error as one line.
    public var description: String {
        switch self {
        case .unresolvable(let host): "cannot resolve host '\(host)'"
        }
    }
}
