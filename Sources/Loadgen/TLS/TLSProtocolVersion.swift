/// A TLS version a context may be limited to. loadgen never goes below TLS 1.2 (RFC 8996
/// deprecates 1.0 and 1.1).
package enum TLSProtocolVersion: Sendable, Equatable {
    case tls12
    case tls13

    /// The wire value OpenSSL's min/max version controls take.
    var wireValue: Int {
        switch self {
        case .tls12: OpenSSLConstant.TLS1_2_VERSION
        case .tls13: OpenSSLConstant.TLS1_3_VERSION
        }
    }
}
