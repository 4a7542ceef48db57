import Glibc

/// The name a client checks the server's certificate against, and sends as SNI.
///
/// A DNS name is sent in the server_name extension and matched against the certificate's DNS
/// names; an IP literal is not sent (RFC 6066 section 3 forbids literal addresses in SNI) and is
/// matched against its IP address entries instead. Decided once per target, not per connection.
enum TLSServerName: Sendable, Equatable {
    case dnsName(String)
    case ipAddress(String)

    /// Classifies a URL's host (IPv6 without brackets). A DNS name loses one trailing dot: the
    /// absolute form "example.com." names the same host, and SNI carries no trailing dot.
    init(host: String) {
        var address = in6_addr()
        if inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1 {
            self = .ipAddress(host)
        } else if host.hasSuffix("."), host.count > 1 {
            self = .dnsName(String(host.dropLast()))
        } else {
            self = .dnsName(host)
        }
    }
}
