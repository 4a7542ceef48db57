import Glibc

/// Whole small text files: /proc entries, request bodies, and results written atomically.
package enum TextFile {
    /// The file's contents, or nil if it cannot be read.
    package static func read(_ path: String) -> String? {
        guard let bytes = readBytes(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Files loadgen reads back (result files, bodies) are far below this; a larger one (or an
    /// endless one like /dev/zero) is refused rather than read until memory runs out.
    package static let maximumBytes = 1 << 30

    package static func readBytes(_ path: String, maximumBytes: Int = TextFile.maximumBytes) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in retryingInterrupts { Glibc.read(fd, buffer.baseAddress, buffer.count) } }
            guard case .done(let n) = result else { return nil }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maximumBytes { return nil }
        }
    }

    /// Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename.
    /// A reader sees the old file or the new one, never half of one, even if loadgen is killed.
    package static func writeAtomically(_ text: String, to path: String) throws(SystemError) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .current("open(\(temporary))") }
        var text = text
        let written = text.withUTF8 { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let remaining = bytes.count - offset
                guard case .done(let n) = retryingInterrupts({ write(fd, bytes.baseAddress! + offset, remaining) }), n > 0 else { return false }
                offset += n
            }
            return true
        }
        let error = SystemError.current("write(\(temporary))")
        guard written, fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let renameError = SystemError.current("rename(\(path))")
            unlink(temporary)
            throw renameError
        }
    }

    /// Creates `path` and its parents if missing (like mkdir -p).
    package static func makeDirectory(_ path: String) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST { throw .current("mkdir(\(current))") }
        }
    }
}
