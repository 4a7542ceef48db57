import CEpoll
import Glibc

/// A child process started with posix_spawn, its stdout on a pipe, stopped and reaped by PID.
///
/// The child gets its own process group, so a terminal's Ctrl-C reaches only loadgen, which then
/// stops the child itself; and an empty signal mask, since loadgen blocks SIGINT/SIGTERM for its
/// signalfd and a child would otherwise inherit that.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    private let stdoutDescriptor: Int32
    private var reaped = false
    /// The wait status once the child has exited (see `exitCode`).
    package private(set) var waitStatus: Int32?
    private var buffered: [UInt8] = []

    /// Starts `path` with `arguments` (not including argv[0]). Its stdout comes back on a pipe
    /// (`readLine`), or with `outputFile` its stdout and stderr are appended to that file.
    package init(path: String, arguments: [String], outputFile: String? = nil) throws(SystemError) {
        var pipeEnds: [Int32] = [0, 0]
        guard CEpoll_pipe_cloexec(&pipeEnds) == 0 else { throw .current("pipe2") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        Glibc.close(pipeEnds[1])
        guard rc == 0 else {
            Glibc.close(pipeEnds[0])
            throw SystemError(call: "posix_spawn(\(path))", errno: rc)
        }
        pid = child
        stdoutDescriptor = pipeEnds[0]
    }

    deinit {
        stop()
        Glibc.close(stdoutDescriptor)
    }

    /// The next line the child writes on stdout, waiting up to `timeoutMilliseconds`;
    /// nil on timeout or when the child closed stdout (e.g. it exited).
    package func readLine(timeoutMilliseconds: Int32) -> String? {
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { return nil }
            var descriptor = pollfd(fd: stdoutDescriptor, events: Int16(POLLIN), revents: 0)
            let remaining = Int32((deadline - now) / 1_000_000) + 1
            guard poll(&descriptor, 1, remaining) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(stdoutDescriptor, $0.baseAddress, $0.count) }
            if n <= 0 { return nil }
            buffered.append(contentsOf: chunk[0..<n])
        }
    }

    /// True while the child has not exited.
    package var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped = true
            waitStatus = status
            return false
        }
        return true
    }

    /// The exit code once the child has exited normally; nil while it runs or if a signal ended it.
    package var exitCode: Int32? {
        guard let waitStatus, waitStatus & 0x7f == 0 else { return nil }
        return (waitStatus >> 8) & 0xff
    }

    /// Sends SIGTERM, waits up to `graceMilliseconds`, then SIGKILL; always reaps. Idempotent.
    package func stop(graceMilliseconds: Int = 2000) {
        guard !reaped else { return }
        kill(pid, SIGTERM)
        var waited = 0
        var status: Int32 = 0
        while waited < graceMilliseconds {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                return
            }
            usleep(10_000)
            waited += 10
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        reaped = true
    }

    /// Pins the child to CPUs [first, first + count).
    package func pin(firstCPU: Int, count: Int) -> Bool {
        ProcessResources.pinProcess(pid, firstCPU: firstCPU, count: count)
    }

    /// CPU time (user + system) the child has used so far, in microseconds, from /proc.
    package var cpuMicroseconds: UInt64? { ProcessResources.cpuMicroseconds(ofProcess: pid) }
}
