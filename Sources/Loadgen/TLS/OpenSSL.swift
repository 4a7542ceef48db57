import Glibc

/// The system's OpenSSL 3, loaded at run time with `dlopen`, never linked.
///
/// Loaded at most once per process, on the first HTTPS use (`OpenSSL.system()`); a plain-HTTP run
/// never touches it, so loadgen builds and runs with no OpenSSL installed. The libraries are never
/// closed: the function table lives as long as the process, so a connection can keep a bare
/// pointer to it (no reference counting per call). OpenSSL 3 is required: 1.1.1 is out of support
/// and lacks functions used here (`SSL_get0_peer_certificate`).
struct OpenSSL: @unchecked Sendable {
    // @unchecked: the table is immutable after loading and points only at library code.

    /// The resolved functions.
    let api: UnsafePointer<OpenSSLFunctions>

    /// libssl and the libcrypto it was built with, tried in order. The unversioned names (present
    /// where the development package is installed) are a fallback, checked to be version 3.
    static let libraryCandidates: [(ssl: String, crypto: String)] = [
        ("libssl.so.3", "libcrypto.so.3"),
        ("libssl.so", "libcrypto.so"),
    ]

    /// The process's OpenSSL, loaded on first use; the same value (or error) every call.
    static func system() throws(TLSError) -> OpenSSL {
        try systemOpenSSL.get()
    }

    /// The loaded table for C callbacks, which cannot capture it; nil only if loading failed,
    /// and callbacks are registered only after it succeeded.
    static var loadedAPI: UnsafePointer<OpenSSLFunctions>? {
        if case .success(let openSSL) = systemOpenSSL { return openSSL.api }
        return nil
    }

    /// Opens the first pair of `candidates` that loads, resolves every function, and checks the
    /// version. Not cached: `system()` is the one to use; this is for tests of the failure paths.
    static func open(candidates: [(ssl: String, crypto: String)]) throws(TLSError) -> OpenSSL {
        var firstError: TLSError?
        for candidate in candidates {
            do throws(TLSError) {
                let crypto = try OpenSSLLibraryHandle(opening: candidate.crypto)
                let ssl = try OpenSSLLibraryHandle(opening: candidate.ssl)
                let functions = try OpenSSLFunctions(ssl: ssl, crypto: crypto)
                let version = functions.OpenSSL_version_num()
                guard version >= 0x3000_0000 else {
                    throw TLSError.libraryUnavailable(library: candidate.ssl, reason: "it is OpenSSL \(Self.versionText(version)); loadgen needs OpenSSL 3")
                }
                let api = UnsafeMutablePointer<OpenSSLFunctions>.allocate(capacity: 1)
                api.initialize(to: functions)
                return OpenSSL(api: UnsafePointer(api))
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? .libraryUnavailable(library: "libssl", reason: "no library name to try")
    }

    /// The library's version, e.g. "3.0.19" (for reports).
    var version: String { Self.versionText(api.pointee.OpenSSL_version_num()) }

    /// OpenSSL 3's version number is 0xMNN00PP0: major, minor, patch.
    static func versionText(_ number: UInt) -> String {
        "\((number >> 28) & 0xF).\((number >> 20) & 0xFF).\((number >> 4) & 0xFF)"
    }
}

/// The single load attempt of the process (a global is initialised once, thread-safely).
private let systemOpenSSL = Result { () throws(TLSError) -> OpenSSL in
    try OpenSSL.open(candidates: OpenSSL.libraryCandidates)
}

/// One `dlopen`ed shared library, never closed, and the lookup of its symbols.
struct OpenSSLLibraryHandle {
    let name: String
    private let handle: UnsafeMutableRawPointer

    init(opening name: String) throws(TLSError) {
        // RTLD_LOCAL: OpenSSL's symbols stay out of the global namespace, so nothing else in the
        // process binds to them by accident.
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw .libraryUnavailable(library: name, reason: reason)
        }
        self.name = name
        self.handle = handle
    }

    /// The function named `symbol`, as the C function type `T`.
    func symbol<T>(_ symbol: String, as type: T.Type = T.self) throws(TLSError) -> T {
        guard let address = dlsym(handle, symbol) else {
            throw .symbolMissing(symbol: symbol, library: name)
        }
        precondition(MemoryLayout<T>.size == MemoryLayout<UnsafeMutableRawPointer>.size, "\(T.self) is not a C function pointer")
        return unsafeBitCast(address, to: T.self)
    }
}
