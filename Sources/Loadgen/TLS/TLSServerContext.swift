/// The TLS settings of a server (echo-server's `--tls-cert`/`--tls-key`, and the tests' peer):
/// its certificate and key, optionally a CA that client certificates must chain to (mTLS), and
/// ALPN that accepts "http/1.1". Shared by the server's threads, like `TLSClientContext`.
package final class TLSServerContext: @unchecked Sendable {
    // @unchecked: configured in init, only read afterwards.

    let openSSL: OpenSSL
    let context: OpaquePointer

    /// - Parameters:
    ///   - clientCertificateAuthorities: a PEM file of CAs; when given, clients must present a
    ///     certificate that chains to one of them or the handshake fails.
    ///   - maximumVersion: caps the version (tests of TLS 1.2 behaviour); nil allows TLS 1.3.
    package init(certificateFile: String, privateKeyFile: String, clientCertificateAuthorities: String? = nil,
                 maximumVersion: TLSProtocolVersion? = nil) throws(TLSError) {
        let openSSL = try OpenSSL.system()
        let api = openSSL.api
        let setup = try TLSContextSetup.make(api: api, server: true, maximumVersion: maximumVersion)
        let context = setup.context
        do throws(TLSError) {
            try setup.useCertificate(certificateFile, key: privateKeyFile)
            if let clientCertificateAuthorities {
                try setup.trustCertificateAuthorities(clientCertificateAuthorities)
                api.pointee.SSL_CTX_set_verify(context, OpenSSLConstant.SSL_VERIFY_PEER | OpenSSLConstant.SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            }
            // Resumption with client certificates requires a session id context (OpenSSL refuses
            // to resume without one when it verifies peers); the name only has to be stable.
            let name = Array("loadgen".utf8)
            try setup.check(api.pointee.SSL_CTX_set_session_id_context(context, name, UInt32(name.count)) == 1, "setting the session id context")
            api.pointee.SSL_CTX_set_alpn_select_cb(context, selectHTTP11, nil)
        } catch {
            api.pointee.SSL_CTX_free(context)
            throw error
        }
        api.pointee.ERR_clear_error()
        self.openSSL = openSSL
        self.context = context
    }

    deinit { openSSL.api.pointee.SSL_CTX_free(context) }
}

/// Picks "http/1.1" from the client's ALPN list; a client that offers only other protocols
/// (h2 alone) gets no ALPN answer rather than a failed handshake, as nginx does.
private let selectHTTP11: OpenSSLFunctions.ALPNSelect = { _, out, outLength, offered, offeredLength, _ in
    guard let offered, let out, let outLength else { return OpenSSLConstant.SSL_TLSEXT_ERR_NOACK }
    var index = 0
    let total = Int(offeredLength)
    while index < total {
        let length = Int(offered[index])
        let start = index + 1
        guard start + length <= total else { break }
        if length == alpnHTTP11.count - 1, (0..<length).allSatisfy({ offered[start + $0] == alpnHTTP11[1 + $0] }) {
            out.pointee = offered + start
            outLength.pointee = UInt8(length)
            return OpenSSLConstant.SSL_TLSEXT_ERR_OK
        }
        index = start + length
    }
    return OpenSSLConstant.SSL_TLSEXT_ERR_NOACK
}
