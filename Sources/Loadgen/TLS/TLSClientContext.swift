/// The TLS settings of one run's client side: verification, client certificate, ALPN, versions,
/// and the hook that keeps sessions for resumption. One per run, shared by its event loops
/// (OpenSSL allows `SSL_new` on one `SSL_CTX` from many threads); each connection is a
/// `TLSConnection` made from it.
final class TLSClientContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured in init and only read afterwards (OpenSSL locks
    // its reference count and session hooks itself).

    let openSSL: OpenSSL
    let configuration: TLSClientConfiguration
    let context: OpaquePointer
    /// False with `--insecure`: then no host name is set for checking either.
    let verifiesPeer: Bool

    /// Sets up a client context, loading OpenSSL if needed; throws naming the file or library.
    init(_ configuration: TLSClientConfiguration) throws(TLSError) {
        let openSSL = try OpenSSL.system()
        let api = openSSL.api
        let setup = try TLSContextSetup.make(api: api, server: false, maximumVersion: nil)
        let context = setup.context
        do throws(TLSError) {
            try setup.check(api.pointee.SSL_CTX_set_alpn_protos(context, alpnHTTP11, UInt32(alpnHTTP11.count)) == 0, "setting ALPN")
            switch configuration.verification {
            case .systemTrustStore:
                try setup.check(api.pointee.SSL_CTX_set_default_verify_paths(context) == 1, "loading the system's CA store")
            case .certificateAuthorities(let file):
                try setup.trustCertificateAuthorities(file)
            case .none:
                break
            }
            let verifiesPeer = configuration.verification != .none
            api.pointee.SSL_CTX_set_verify(context, verifiesPeer ? OpenSSLConstant.SSL_VERIFY_PEER : OpenSSLConstant.SSL_VERIFY_NONE, nil)
            if let certificateFile = configuration.certificateFile {
                try setup.useCertificate(certificateFile, key: configuration.privateKeyFile ?? certificateFile)
            } else if let keyFile = configuration.privateKeyFile {
                throw TLSError.configuration(step: "loading the private key '\(keyFile)'", reason: "a key needs its certificate (--cert)")
            }
            // Client-side caching only calls the new-session hook (TLSSessionCache keeps the
            // session); OpenSSL's own store would be one more shared, locked table.
            _ = api.pointee.SSL_CTX_ctrl(context, OpenSSLConstant.SSL_CTRL_SET_SESS_CACHE_MODE,
                                         OpenSSLConstant.SSL_SESS_CACHE_CLIENT | OpenSSLConstant.SSL_SESS_CACHE_NO_INTERNAL_STORE, nil)
            api.pointee.SSL_CTX_sess_set_new_cb(context, TLSSessionCache.keepNewSession)
            self.verifiesPeer = verifiesPeer
        } catch {
            api.pointee.SSL_CTX_free(context)
            throw error
        }
        api.pointee.ERR_clear_error()
        self.openSSL = openSSL
        self.configuration = configuration
        self.context = context
    }

    deinit { openSSL.api.pointee.SSL_CTX_free(context) }
}
