/// The steps client and server contexts share, each turning OpenSSL's failure into a
/// `TLSError.configuration` that names the step and the file.
struct TLSContextSetup {
    let api: UnsafePointer<OpenSSLFunctions>
    let context: OpaquePointer

    /// A new `SSL_CTX` for `method` with the settings every loadgen context has:
    /// - TLS 1.2 at least (and at most `maximumVersion` when given);
    /// - partial writes, and retries from a moved buffer: a large write returns what went out,
    ///   like `send`, and the caller may retry a blocked write from a different address holding
    ///   the same bytes (a gathered request is re-copied into scratch space on each attempt);
    /// - read-ahead: one `read` takes everything the socket holds instead of a record header and
    ///   then its body (two syscalls per record), at the price that decrypted bytes may wait
    ///   inside OpenSSL where epoll cannot see them (see `TLSConnection.hasBufferedInput`);
    /// - no passphrase prompt: an encrypted key fails to load instead of reading the terminal.
    static func make(api: UnsafePointer<OpenSSLFunctions>, server: Bool, maximumVersion: TLSProtocolVersion?) throws(TLSError) -> TLSContextSetup {
        api.pointee.ERR_clear_error()
        let method = server ? api.pointee.TLS_server_method() : api.pointee.TLS_client_method()
        guard let context = api.pointee.SSL_CTX_new(method) else {
            throw .configuration(step: "creating the context", reason: OpenSSLErrorQueue.text(OpenSSLErrorQueue.takeFirst(api), api))
        }
        let setup = TLSContextSetup(api: api, context: context)
        do throws(TLSError) {
            try setup.control(OpenSSLConstant.SSL_CTRL_SET_MIN_PROTO_VERSION, OpenSSLConstant.TLS1_2_VERSION, "setting TLS 1.2 as the minimum version")
            if let maximumVersion {
                try setup.control(OpenSSLConstant.SSL_CTRL_SET_MAX_PROTO_VERSION, maximumVersion.wireValue, "setting the maximum version")
            }
            _ = api.pointee.SSL_CTX_ctrl(context, OpenSSLConstant.SSL_CTRL_MODE,
                                         OpenSSLConstant.SSL_MODE_ENABLE_PARTIAL_WRITE | OpenSSLConstant.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, nil)
            _ = api.pointee.SSL_CTX_ctrl(context, OpenSSLConstant.SSL_CTRL_SET_READ_AHEAD, 1, nil)
            api.pointee.SSL_CTX_set_default_passwd_cb(context, refusePassphrase)
        } catch {
            api.pointee.SSL_CTX_free(context)
            throw error
        }
        return setup
    }

    /// Runs an `SSL_CTX_ctrl` command that returns 1 on success (the min/max version setters).
    func control(_ command: Int32, _ value: Int, _ step: String) throws(TLSError) {
        try check(api.pointee.SSL_CTX_ctrl(context, command, value, nil) == 1, step)
    }

    /// Loads the certificate chain and its key, and checks that they belong together.
    func useCertificate(_ certificateFile: String, key keyFile: String) throws(TLSError) {
        try check(api.pointee.SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1,
                  "loading the certificate '\(certificateFile)'")
        try check(api.pointee.SSL_CTX_use_PrivateKey_file(context, keyFile, OpenSSLConstant.SSL_FILETYPE_PEM) == 1,
                  "loading the private key '\(keyFile)'")
        try check(api.pointee.SSL_CTX_check_private_key(context) == 1,
                  "matching the key '\(keyFile)' to the certificate '\(certificateFile)'")
    }

    /// Trusts only the CAs in a PEM file.
    func trustCertificateAuthorities(_ file: String) throws(TLSError) {
        try check(api.pointee.SSL_CTX_load_verify_locations(context, file, nil) == 1, "loading the CA file '\(file)'")
    }

    /// Throws `step` with OpenSSL's reason unless `succeeded`.
    func check(_ succeeded: Bool, _ step: String) throws(TLSError) {
        guard !succeeded else { return }
        throw .configuration(step: step, reason: OpenSSLErrorQueue.text(OpenSSLErrorQueue.takeFirst(api), api))
    }
}

/// OpenSSL's default passphrase callback reads the terminal; this one answers "no passphrase".
private let refusePassphrase: OpenSSLFunctions.Password = { _, _, _, _ in 0 }

/// The ALPN protocol list loadgen offers and accepts, in wire form (length-prefixed names).
let alpnHTTP11: [UInt8] = [8] + Array("http/1.1".utf8)
