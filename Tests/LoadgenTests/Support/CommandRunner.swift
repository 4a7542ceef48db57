import Foundation

/// Runs a built executable to completion (bounded by a timeout) and captures its output.
struct CommandRun {
    /// The exit code, or the signal number when `signalled`.
    var status: Int32
    /// The process was ended by a signal it did not handle (not an exit).
    var signalled = false
    var stdout: String
    var stderr: String

    /// Parses stdout as one JSON object.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        guard let dictionary = object as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
        return dictionary
    }
}

enum CommandRunner {
    /// Starts `executable`; `whileRunning` may act on the process (e.g. send it a signal).
    static func run(_ executable: URL, _ arguments: [String], timeoutSeconds: Double = 60,
                    whileRunning: ((Process) -> Void)? = nil) throws -> CommandRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let outData = LockedData()
        let errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        whileRunning?(process)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CommandTimedOut(arguments: arguments)
        }
        process.waitUntilExit()
        group.wait()
        return CommandRun(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                          stdout: String(decoding: outData.get(), as: UTF8.self),
                          stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

struct CommandTimedOut: Error { let arguments: [String] }

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
