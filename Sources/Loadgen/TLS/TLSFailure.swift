import Glibc

/// Why one TLS connection failed (handshake, verification, or a record it could not read).
///
/// Captured as numbers at the moment of failure, so nothing builds a `String` on the I/O path;
/// the text (`reason`, for the `tls` failure class's example) is made only when asked for.
/// Capturing drains OpenSSL's per-thread error queue: `SSL_get_error` is only reliable with an
/// empty queue, and loadgen never clears it before each read (a thread-local lookup per call),
/// so every failure must leave it empty.
package struct TLSFailure: Equatable, Sendable {
    /// `SSL_get_error`'s verdict: `SSL_ERROR_SSL` (protocol or verification) or `SSL_ERROR_SYSCALL`.
    let sslError: Int32
    /// The earliest code on OpenSSL's error queue (usually the root cause), 0 if it was empty.
    let errorCode: UInt
    /// The certificate verification result when the failure is a verification failure, else 0.
    let verifyResult: Int
    /// `errno` when the socket itself failed (`SSL_ERROR_SYSCALL` with an empty queue).
    let systemErrno: Int32
    /// The failure came before the handshake completed.
    let duringHandshake: Bool

    init(sslError: Int32, errorCode: UInt, verifyResult: Int, systemErrno: Int32, duringHandshake: Bool) {
        self.sslError = sslError
        self.errorCode = errorCode
        self.verifyResult = verifyResult
        self.systemErrno = systemErrno
        self.duringHandshake = duringHandshake
    }

    /// Records why `ssl` failed and empties the error queue. Also makes a later `SSL_shutdown`
    /// quiet: OpenSSL forbids sending close_notify after a fatal error.
    static func capture(_ ssl: OpaquePointer, sslError: Int32, api: UnsafePointer<OpenSSLFunctions>) -> TLSFailure {
        let systemErrno = errno
        let first = OpenSSLErrorQueue.takeFirst(api)
        api.pointee.SSL_set_quiet_shutdown(ssl, 1)
        let isVerification = Self.libraryReason(first) == OpenSSLConstant.SSL_R_CERTIFICATE_VERIFY_FAILED
        return TLSFailure(
            sslError: sslError, errorCode: first,
            verifyResult: isVerification ? api.pointee.SSL_get_verify_result(ssl) : OpenSSLConstant.X509_V_OK,
            systemErrno: sslError == OpenSSLConstant.SSL_ERROR_SYSCALL ? systemErrno : 0,
            duringHandshake: api.pointee.SSL_is_init_finished(ssl) != 1)
    }

    /// The socket itself failed (a reset, a broken pipe), with no OpenSSL error: for a load
    /// generator the same as a plain-HTTP connection closing, not a TLS problem.
    var isSocketError: Bool {
        sslError == OpenSSLConstant.SSL_ERROR_SYSCALL && errorCode == 0 && systemErrno != 0
    }

    /// The peer closed the TCP connection without TLS's close_notify (OpenSSL 3 reports it as an
    /// error; HTTP servers commonly do it after a response framed by the close).
    var isUnexpectedEOF: Bool {
        Self.libraryReason(errorCode) == OpenSSLConstant.SSL_R_UNEXPECTED_EOF_WHILE_READING
            || (sslError == OpenSSLConstant.SSL_ERROR_SYSCALL && errorCode == 0 && systemErrno == 0)
    }

    /// OpenSSL's text, e.g. "error:0A000086:SSL routines::certificate verify failed: unable to get
    /// local issuer certificate", or the socket's error.
    var reason: String {
        guard errorCode != 0 || systemErrno != 0 else {
            guard sslError == OpenSSLConstant.SSL_ERROR_SYSCALL else { return "TLS failed (SSL_get_error \(sslError))" }
            return duringHandshake ? "the peer closed the connection during the TLS handshake" : "the peer closed the connection without TLS close_notify"
        }
        guard errorCode != 0 else {
            let stage = duringHandshake ? "TLS handshake" : "TLS connection"
            return "\(stage) failed: \(SystemError.message(for: systemErrno)) (errno \(systemErrno))"
        }
        guard let api = OpenSSL.loadedAPI else { return "TLS error \(errorCode)" }
        var reason = OpenSSLErrorQueue.text(errorCode, api)
        if verifyResult != OpenSSLConstant.X509_V_OK, let detail = api.pointee.X509_verify_cert_error_string(verifyResult) {
            reason += ": " + String(cString: detail)
        }
        return reason
    }

    /// The SSL library's reason number of an error code, nil for system errors and other libraries.
    private static func libraryReason(_ code: UInt) -> UInt? {
        guard code != 0, code & OpenSSLConstant.ERR_SYSTEM_FLAG == 0,
              (code >> OpenSSLConstant.ERR_LIB_OFFSET) & OpenSSLConstant.ERR_LIB_MASK == OpenSSLConstant.ERR_LIB_SSL
        else { return nil }
        return code & OpenSSLConstant.ERR_REASON_MASK
    }
}
