import Foundation

/// A bundled echo-server started on an ephemeral loopback port for one test, stopped by its PID.
final class EchoServerProcess: @unchecked Sendable {
    let process = Process()
    let url: String
    let port: UInt16
    private let output = Pipe()
    /// With `keepStderr`: what the server writes on stderr (its report at exit), read after `stop`.
    private let errors: Pipe?

    init(arguments: [String] = [], keepStderr: Bool = false) throws {
        process.executableURL = BuiltProducts.echoServer
        process.arguments = ["--port", "0"] + arguments
        process.standardOutput = output
        errors = keepStderr ? Pipe() : nil
        process.standardError = errors ?? FileHandle.nullDevice
        try process.run()
        // The first line on stdout is exactly http://HOST:PORT (https:// with --tls-cert) once it accepts.
        var line = Data()
        let handle = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            process.terminate()
            throw EchoServerError.noAddressLine(text)
        }
        url = text
        self.port = port
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    /// Everything written on stderr; call after `stop` (it reads to the end of the pipe).
    func stderrText() -> String {
        guard let errors else { return "" }
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit { stop() }
}

enum EchoServerError: Error { case noAddressLine(String) }
