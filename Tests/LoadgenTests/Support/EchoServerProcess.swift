import Foundation

/// A bundled echo-server started on an ephemeral loopback port for one test, stopped by its PID.
final class EchoServerProcess: @unchecked Sendable {
    let process = Process()
    let url: String
    let port: UInt16
    private let output = Pipe()

    init(arguments: [String] = []) throws {
        process.executableURL = BuiltProducts.echoServer
        process.arguments = ["--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
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

    deinit { stop() }
}

enum EchoServerError: Error { case noAddressLine(String) }
