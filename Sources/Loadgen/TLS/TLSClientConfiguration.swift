/// How an HTTPS client checks servers and identifies itself: the `--cacert`, `--insecure`,
/// `--cert` and `--key` flags as one value.
///
/// Every connection offers TLS 1.2 or 1.3 and the ALPN protocol "http/1.1", and sends the
/// URL's host as SNI (not for IP literals).
public struct TLSClientConfiguration: Sendable, Equatable {
    /// How the server's certificate is checked.
    public enum Verification: Sendable, Equatable {
        /// The server's chain must lead to a CA in the system's store (OpenSSL's default paths,
        /// e.g. /etc/ssl/certs), and its certificate must name the URL's host. What curl does.
        case systemTrustStore
        /// As `systemTrustStore`, but trusting only the CAs in this PEM file (`--cacert FILE`).
        case certificateAuthorities(file: String)
        /// Any certificate for any name is accepted (`--insecure`, vLLM's name for it).
        case none
    }

    /// How the server's certificate is checked (default: against the system's trust store).
    public var verification: Verification
    /// The PEM certificate (chain) presented when a server asks for one (mTLS, `--cert FILE`).
    public var certificateFile: String?
    /// The PEM private key of `certificateFile` (`--key FILE`); nil: it is in `certificateFile`.
    /// Encrypted keys are refused rather than prompted for: a load run has no one to type.
    public var privateKeyFile: String?

    /// A configuration; the defaults verify against the system's store and present no certificate.
    public init(verification: Verification = .systemTrustStore, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.verification = verification
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
