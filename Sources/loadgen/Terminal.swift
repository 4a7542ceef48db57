import Glibc

/// Output to the terminal with write(2): stdout/stderr are mutable C globals Swift 6 won't touch.
enum Terminal {
    static func out(_ text: String) { write(1, text + "\n") }
    static func error(_ text: String) { write(2, text + "\n") }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 {
                    if n < 0, errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Rewrites the current line of stderr (a live progress line).
    static func progress(_ text: String) { write(2, "\r\u{1B}[2K" + text) }
    static func clearProgress() { write(2, "\r\u{1B}[2K") }
}
