/// OpenSSL's per-thread queue of error codes: taken when something fails, turned into text.
enum OpenSSLErrorQueue {
    /// Removes every queued error and returns the earliest (usually the root cause), or 0.
    static func takeFirst(_ api: UnsafePointer<OpenSSLFunctions>) -> UInt {
        let first = api.pointee.ERR_get_error()
        while api.pointee.ERR_get_error() != 0 {}
        return first
    }

    /// OpenSSL's text for a code, e.g. "error:0A000086:SSL routines::certificate verify failed".
    static func text(_ code: UInt, _ api: UnsafePointer<OpenSSLFunctions>) -> String {
        guard code != 0 else { return "no reason given by OpenSSL" }
        var text = [CChar](repeating: 0, count: 256)
        api.pointee.ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
