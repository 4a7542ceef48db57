/// The OpenSSL 3 constants loadgen uses, from the public headers (the values are ABI: they do not
/// change within a major version). Grouped by header; each `SSL_CTRL_*` is the command behind a
/// macro, named in its comment.
enum OpenSSLConstant {
    // MARK: ssl.h: SSL_ctrl / SSL_CTX_ctrl commands

    /// `SSL_CTX_set_mode(ctx, mode)`.
    static let SSL_CTRL_MODE: Int32 = 33
    /// `SSL_CTX_set_read_ahead(ctx, yes)`.
    static let SSL_CTRL_SET_READ_AHEAD: Int32 = 41
    /// `SSL_CTX_set_session_cache_mode(ctx, mode)`.
    static let SSL_CTRL_SET_SESS_CACHE_MODE: Int32 = 44
    /// `SSL_set_tlsext_host_name(ssl, name)` (SNI).
    static let SSL_CTRL_SET_TLSEXT_HOSTNAME: Int32 = 55
    /// `SSL_CTX_set_min_proto_version(ctx, version)`.
    static let SSL_CTRL_SET_MIN_PROTO_VERSION: Int32 = 123
    /// `SSL_CTX_set_max_proto_version(ctx, version)`.
    static let SSL_CTRL_SET_MAX_PROTO_VERSION: Int32 = 124

    // MARK: ssl.h: modes, cache modes, verify modes, file types

    static let SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1
    static let SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2
    static let SSL_SESS_CACHE_CLIENT = 0x1
    static let SSL_SESS_CACHE_SERVER = 0x2
    static let SSL_SESS_CACHE_NO_INTERNAL_STORE = 0x200
    static let SSL_VERIFY_NONE: Int32 = 0
    static let SSL_VERIFY_PEER: Int32 = 1
    static let SSL_VERIFY_FAIL_IF_NO_PEER_CERT: Int32 = 2
    static let SSL_FILETYPE_PEM: Int32 = 1

    // MARK: ssl.h: SSL_get_error results

    static let SSL_ERROR_NONE: Int32 = 0
    static let SSL_ERROR_SSL: Int32 = 1
    static let SSL_ERROR_WANT_READ: Int32 = 2
    static let SSL_ERROR_WANT_WRITE: Int32 = 3
    static let SSL_ERROR_SYSCALL: Int32 = 5
    static let SSL_ERROR_ZERO_RETURN: Int32 = 6

    // MARK: sslerr.h, err.h: error codes

    /// `ERR_GET_REASON(code)` is `code & ERR_REASON_MASK` (for errors that are not system errors).
    static let ERR_REASON_MASK: UInt = 0x7F_FFFF
    /// `ERR_SYSTEM_ERROR(code)`: the code carries an errno, not a library reason.
    static let ERR_SYSTEM_FLAG: UInt = 0x8000_0000
    /// `ERR_GET_LIB(code)` is `(code >> ERR_LIB_OFFSET) & ERR_LIB_MASK`.
    static let ERR_LIB_OFFSET: UInt = 23
    static let ERR_LIB_MASK: UInt = 0xFF
    static let ERR_LIB_SSL: UInt = 20
    static let SSL_R_CERTIFICATE_VERIFY_FAILED: UInt = 134
    static let SSL_R_UNEXPECTED_EOF_WHILE_READING: UInt = 294

    // MARK: tls1.h, prov_ssl.h

    static let TLSEXT_NAMETYPE_host_name: Int32 = 0
    static let SSL_TLSEXT_ERR_OK: Int32 = 0
    static let SSL_TLSEXT_ERR_NOACK: Int32 = 3
    static let TLS1_2_VERSION = 0x0303
    static let TLS1_3_VERSION = 0x0304

    // MARK: bio.h

    static let BIO_TYPE_SOURCE_SINK: Int32 = 0x0400
    static let BIO_CTRL_FLUSH: Int32 = 11
    static let BIO_FLAGS_READ: Int32 = 0x01
    static let BIO_FLAGS_WRITE: Int32 = 0x02
    static let BIO_FLAGS_IO_SPECIAL: Int32 = 0x04
    static let BIO_FLAGS_SHOULD_RETRY: Int32 = 0x08

    // MARK: x509_vfy.h

    static let X509_V_OK = 0
}
