import Glibc
import Loadgen

/// The HTTPS flags every command that connects shares: how the server is verified and how the
/// client identifies itself. `--insecure` is vLLM's (and curl's `-k`) name.
struct TLSOptions {
    private var certificateAuthorities: String?
    private var insecure = false
    private var certificate: String?
    private var key: String?
    /// The flags given, to refuse them with an http:// URL by name.
    private(set) var given: [String] = []

    static let help = """
    HTTPS (https:// URLs; the system's OpenSSL 3, loaded at run time):
          --cacert FILE           trust the CAs in this PEM file instead of the system's store
          --insecure, -k          do not verify the server's certificate or name (vLLM's name)
          --cert FILE             client certificate (PEM, chain allowed) for mTLS
          --key FILE              its private key (PEM, unencrypted; default: in --cert's file)
    """

    /// Takes `argument` (and its value) if it is one of these flags; false if it is not.
    mutating func consume(_ argument: String, _ cursor: inout ArgumentCursor) throws(UsageError) -> Bool {
        switch argument {
        case "--cacert": certificateAuthorities = try Self.file(try cursor.value(for: argument), argument)
        case "--insecure", "-k": insecure = true
        case "--cert": certificate = try Self.file(try cursor.value(for: argument), argument)
        case "--key": key = try Self.file(try cursor.value(for: argument), argument)
        default: return false
        }
        given.append(argument)
        return true
    }

    /// The configuration for `target`; refuses the flags for an http:// target, where they
    /// would silently do nothing.
    func configuration(for target: HTTPTarget) throws(UsageError) -> TLSClientConfiguration {
        if target.scheme == .http, let first = given.first {
            throw UsageError("\(first) applies to https:// URLs, but the server is \(target.url)")
        }
        if insecure, certificateAuthorities != nil { throw UsageError("give --cacert or --insecure, not both") }
        if key != nil, certificate == nil { throw UsageError("--key needs --cert (the certificate it belongs to)") }
        let verification: TLSClientConfiguration.Verification
        if insecure {
            verification = .none
        } else if let certificateAuthorities {
            verification = .certificateAuthorities(file: certificateAuthorities)
        } else {
            verification = .systemTrustStore
        }
        return TLSClientConfiguration(verification: verification, certificateFile: certificate, privateKeyFile: key)
    }

    /// A file flag's value must name a readable file: a typo is one line now, not a TLS error
    /// on every connection later.
    private static func file(_ path: String, _ flag: String) throws(UsageError) -> String {
        guard !path.isEmpty else { throw UsageError("\(flag) needs a file name") }
        guard access(path, R_OK) == 0 else { throw UsageError("\(flag) '\(path)': \(SystemError.message(for: errno))") }
        return path
    }
}
