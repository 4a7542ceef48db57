import Glibc

/// Every OpenSSL function loadgen calls, resolved once with `dlsym` from the system's libssl and
/// libcrypto (see `OpenSSL`), as C function pointers.
///
/// There is no link-time dependency: the binary builds, and runs plain HTTP, on a machine with no
/// OpenSSL at all. The fields carry the C names so each call reads as the OpenSSL manual does.
/// Many documented "functions" are macros over `SSL_ctrl`/`SSL_CTX_ctrl` (`SSL_CTX_set_mode`,
/// `SSL_set_tlsext_host_name`, `SSL_CTX_set_min_proto_version`, ...); those are called through
/// the ctrl functions with the constants in `OpenSSLConstant`, since a macro has no symbol.
/// Pointer types are spelled as what the C ABI passes (an `SSL *` is an `OpaquePointer?`).
struct OpenSSLFunctions {
    // Callback types OpenSSL calls back into.
    typealias BIOWrite = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32
    typealias BIORead = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32
    typealias BIOControl = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    typealias NewSession = @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    typealias ALPNSelect = @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?) -> Int32
    typealias Password = @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32

    // MARK: libcrypto

    let OpenSSL_version_num: @convention(c) () -> UInt
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_clear_error: @convention(c) () -> Void
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let BIO_get_new_index: @convention(c) () -> Int32
    let BIO_meth_new: @convention(c) (Int32, UnsafePointer<CChar>?) -> OpaquePointer?
    let BIO_meth_set_write: @convention(c) (OpaquePointer?, BIOWrite?) -> Int32
    let BIO_meth_set_read: @convention(c) (OpaquePointer?, BIORead?) -> Int32
    let BIO_meth_set_ctrl: @convention(c) (OpaquePointer?, BIOControl?) -> Int32
    let BIO_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let BIO_free: @convention(c) (OpaquePointer?) -> Int32
    let BIO_set_data: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void
    let BIO_get_data: @convention(c) (OpaquePointer?) -> UnsafeMutableRawPointer?
    let BIO_set_init: @convention(c) (OpaquePointer?, Int32) -> Void
    let BIO_set_flags: @convention(c) (OpaquePointer?, Int32) -> Void
    let BIO_clear_flags: @convention(c) (OpaquePointer?, Int32) -> Void

    // MARK: libssl: contexts

    let TLS_client_method: @convention(c) () -> OpaquePointer?
    let TLS_server_method: @convention(c) () -> OpaquePointer?
    let SSL_CTX_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let SSL_CTX_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_default_verify_paths: @convention(c) (OpaquePointer?) -> Int32
    let SSL_CTX_load_verify_locations: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    /// The third argument is the verify callback; loadgen always passes nil (OpenSSL's own check).
    let SSL_CTX_set_verify: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void
    let SSL_CTX_set_default_passwd_cb: @convention(c) (OpaquePointer?, Password?) -> Void
    let SSL_CTX_use_certificate_chain_file: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_PrivateKey_file: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32
    let SSL_CTX_check_private_key: @convention(c) (OpaquePointer?) -> Int32
    /// Returns 0 on success (unlike almost every other OpenSSL function).
    let SSL_CTX_set_alpn_protos: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, UInt32) -> Int32
    let SSL_CTX_set_alpn_select_cb: @convention(c) (OpaquePointer?, ALPNSelect?, UnsafeMutableRawPointer?) -> Void
    let SSL_CTX_sess_set_new_cb: @convention(c) (OpaquePointer?, NewSession?) -> Void
    let SSL_CTX_set_session_id_context: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, UInt32) -> Int32

    // MARK: libssl: connections

    let SSL_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_free: @convention(c) (OpaquePointer?) -> Void
    let SSL_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_set_bio: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Void
    let SSL_set_connect_state: @convention(c) (OpaquePointer?) -> Void
    let SSL_set_accept_state: @convention(c) (OpaquePointer?) -> Void
    let SSL_set1_host: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_get0_param: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_set_ex_data: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Int32
    let SSL_get_ex_data: @convention(c) (OpaquePointer?, Int32) -> UnsafeMutableRawPointer?
    let SSL_set_session: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let SSL_SESSION_free: @convention(c) (OpaquePointer?) -> Void
    let SSL_SESSION_is_resumable: @convention(c) (OpaquePointer?) -> Int32
    let SSL_do_handshake: @convention(c) (OpaquePointer?) -> Int32
    let SSL_read_ex: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafeMutablePointer<Int>?) -> Int32
    let SSL_write_ex: @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutablePointer<Int>?) -> Int32
    let SSL_has_pending: @convention(c) (OpaquePointer?) -> Int32
    let SSL_get_error: @convention(c) (OpaquePointer?, Int32) -> Int32
    let SSL_get_verify_result: @convention(c) (OpaquePointer?) -> Int
    let SSL_shutdown: @convention(c) (OpaquePointer?) -> Int32
    let SSL_set_quiet_shutdown: @convention(c) (OpaquePointer?, Int32) -> Void
    let SSL_is_init_finished: @convention(c) (OpaquePointer?) -> Int32
    let SSL_session_reused: @convention(c) (OpaquePointer?) -> Int32
    let SSL_get0_alpn_selected: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt32>?) -> Void
    let SSL_get_servername: @convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?
    let SSL_get_version: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    let SSL_get0_peer_certificate: @convention(c) (OpaquePointer?) -> OpaquePointer?

    /// Resolves every field from the two opened libraries, or throws naming the first missing symbol.
    init(ssl: OpenSSLLibraryHandle, crypto: OpenSSLLibraryHandle) throws(TLSError) {
        OpenSSL_version_num = try crypto.symbol("OpenSSL_version_num")
        ERR_get_error = try crypto.symbol("ERR_get_error")
        ERR_clear_error = try crypto.symbol("ERR_clear_error")
        ERR_error_string_n = try crypto.symbol("ERR_error_string_n")
        X509_verify_cert_error_string = try crypto.symbol("X509_verify_cert_error_string")
        X509_VERIFY_PARAM_set1_ip_asc = try crypto.symbol("X509_VERIFY_PARAM_set1_ip_asc")
        BIO_get_new_index = try crypto.symbol("BIO_get_new_index")
        BIO_meth_new = try crypto.symbol("BIO_meth_new")
        BIO_meth_set_write = try crypto.symbol("BIO_meth_set_write")
        BIO_meth_set_read = try crypto.symbol("BIO_meth_set_read")
        BIO_meth_set_ctrl = try crypto.symbol("BIO_meth_set_ctrl")
        BIO_new = try crypto.symbol("BIO_new")
        BIO_free = try crypto.symbol("BIO_free")
        BIO_set_data = try crypto.symbol("BIO_set_data")
        BIO_get_data = try crypto.symbol("BIO_get_data")
        BIO_set_init = try crypto.symbol("BIO_set_init")
        BIO_set_flags = try crypto.symbol("BIO_set_flags")
        BIO_clear_flags = try crypto.symbol("BIO_clear_flags")

        TLS_client_method = try ssl.symbol("TLS_client_method")
        TLS_server_method = try ssl.symbol("TLS_server_method")
        SSL_CTX_new = try ssl.symbol("SSL_CTX_new")
        SSL_CTX_free = try ssl.symbol("SSL_CTX_free")
        SSL_CTX_ctrl = try ssl.symbol("SSL_CTX_ctrl")
        SSL_CTX_set_default_verify_paths = try ssl.symbol("SSL_CTX_set_default_verify_paths")
        SSL_CTX_load_verify_locations = try ssl.symbol("SSL_CTX_load_verify_locations")
        SSL_CTX_set_verify = try ssl.symbol("SSL_CTX_set_verify")
        SSL_CTX_set_default_passwd_cb = try ssl.symbol("SSL_CTX_set_default_passwd_cb")
        SSL_CTX_use_certificate_chain_file = try ssl.symbol("SSL_CTX_use_certificate_chain_file")
        SSL_CTX_use_PrivateKey_file = try ssl.symbol("SSL_CTX_use_PrivateKey_file")
        SSL_CTX_check_private_key = try ssl.symbol("SSL_CTX_check_private_key")
        SSL_CTX_set_alpn_protos = try ssl.symbol("SSL_CTX_set_alpn_protos")
        SSL_CTX_set_alpn_select_cb = try ssl.symbol("SSL_CTX_set_alpn_select_cb")
        SSL_CTX_sess_set_new_cb = try ssl.symbol("SSL_CTX_sess_set_new_cb")
        SSL_CTX_set_session_id_context = try ssl.symbol("SSL_CTX_set_session_id_context")

        SSL_new = try ssl.symbol("SSL_new")
        SSL_free = try ssl.symbol("SSL_free")
        SSL_ctrl = try ssl.symbol("SSL_ctrl")
        SSL_set_bio = try ssl.symbol("SSL_set_bio")
        SSL_set_connect_state = try ssl.symbol("SSL_set_connect_state")
        SSL_set_accept_state = try ssl.symbol("SSL_set_accept_state")
        SSL_set1_host = try ssl.symbol("SSL_set1_host")
        SSL_get0_param = try ssl.symbol("SSL_get0_param")
        SSL_set_ex_data = try ssl.symbol("SSL_set_ex_data")
        SSL_get_ex_data = try ssl.symbol("SSL_get_ex_data")
        SSL_set_session = try ssl.symbol("SSL_set_session")
        SSL_SESSION_free = try ssl.symbol("SSL_SESSION_free")
        SSL_SESSION_is_resumable = try ssl.symbol("SSL_SESSION_is_resumable")
        SSL_do_handshake = try ssl.symbol("SSL_do_handshake")
        SSL_read_ex = try ssl.symbol("SSL_read_ex")
        SSL_write_ex = try ssl.symbol("SSL_write_ex")
        SSL_has_pending = try ssl.symbol("SSL_has_pending")
        SSL_get_error = try ssl.symbol("SSL_get_error")
        SSL_get_verify_result = try ssl.symbol("SSL_get_verify_result")
        SSL_shutdown = try ssl.symbol("SSL_shutdown")
        SSL_set_quiet_shutdown = try ssl.symbol("SSL_set_quiet_shutdown")
        SSL_is_init_finished = try ssl.symbol("SSL_is_init_finished")
        SSL_session_reused = try ssl.symbol("SSL_session_reused")
        SSL_get0_alpn_selected = try ssl.symbol("SSL_get0_alpn_selected")
        SSL_get_servername = try ssl.symbol("SSL_get_servername")
        SSL_get_version = try ssl.symbol("SSL_get_version")
        SSL_get0_peer_certificate = try ssl.symbol("SSL_get0_peer_certificate")
    }
}
