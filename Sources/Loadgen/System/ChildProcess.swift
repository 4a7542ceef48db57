import CEpoll
import Glibc

/// A child process started with posix_spawn, its stdout on a pipe, stopped and reaped by PID.
///
/// The child gets its own process group, so a terminal's Ctrl-C reaches only loadgen, which then
/// stops the child itself; and an empty signal mask, since loadgen blocks SIGINT/SIGTERM for its
/// signalfd and a child would otherwise inherit that. Stopping signals the whole group: a
/// `/bin/sh -c 'vllm serve ...'` child is a shell whose server is its own child, and stopping
/// only the shell left the server holding its port (the next restart's server could not bind).
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
        if case .line(let line) = waitForLine(timeoutMilliseconds: Int(timeoutMilliseconds), signals: nil) { return line }
        return nil
    }

    /// How waiting for a line ended.
    package enum LineWait: Equatable, Sendable {
        case line(String)
        /// The child closed its stdout (it exited, or closed it) before a whole line.
        case closed
        case timedOut
        /// SIGINT or SIGTERM arrived on `signals` first.
        case signal(Int32)
    }

    /// The next line the child writes on stdout, waiting up to `timeoutMilliseconds` and, with
    /// `signals`, ending at once on SIGINT or SIGTERM.
    package func waitForLine(timeoutMilliseconds: Int, signals: SignalWatcher?) -> LineWait {
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(timeoutMilliseconds, 0)) * 1_000_000
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return .line(line)
            }
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { return .timedOut }
            let remaining = Int32(min((deadline - now) / 1_000_000 + 1, 1000))
            if let signals {
                if let signal = signals.wait(milliseconds: remaining, alsoWatching: stdoutDescriptor) { return .signal(signal) }
            }
            var descriptor = pollfd(fd: stdoutDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, signals == nil ? remaining : 0) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(stdoutDescriptor, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            if n <= 0 { return .closed }
            buffered.append(contentsOf: chunk[0..<n])
        }
    }

    /// "exited with status 1", "was killed by signal 9", or "closed its output", after waiting
    /// up to `waitingMilliseconds` for the child to end.
    package func exitDescription(waitingMilliseconds: Int) -> String {
        var waited = 0
        while isRunning, waited < waitingMilliseconds {
            usleep(10_000)
            waited += 10
        }
        guard let waitStatus else { return "closed its output" }
        if let exitCode { return "exited with status \(exitCode)" }
        return "was killed by signal \(waitStatus & 0x7f)"
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

    /// Stops the child's whole process group: SIGTERM, up to `graceMilliseconds` for every member
    /// to exit, then SIGKILL; always reaps the child. Members the child left behind (a shell's
    /// server, after the shell exited) are stopped too. Idempotent.
    package func stop(graceMilliseconds: Int = 2000) {
        // The group is the child's PID (POSIX_SPAWN_SETPGROUP 0). It lives while any member does.
        let group = pid
        guard !reaped || ProcessResources.liveMembers(ofProcessGroup: group) > 0 else { return }
        kill(-group, SIGTERM)
        var waited = 0
        while waited < graceMilliseconds {
            _ = isRunning  // reaps the child once it exits
            if reaped, ProcessResources.liveMembers(ofProcessGroup: group) == 0 { return }
            usleep(10_000)
            waited += 10
        }
        kill(-group, SIGKILL)
        if !reaped {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            reaped = true
            waitStatus = status
        }
        // SIGKILL cannot be caught; wait briefly for the kernel to end what is left.
        waited = 0
        while ProcessResources.liveMembers(ofProcessGroup: group) > 0, waited < 1000 {
            usleep(10_000)
            waited += 10
        }
    }

    /// Pins the child to CPUs [first, first + count).
    package func pin(firstCPU: Int, count: Int) -> Bool {
        ProcessResources.pinProcess(pid, firstCPU: firstCPU, count: count)
    }

    /// CPU time (user + system) the child has used so far, in microseconds, from /proc.
    package var cpuMicroseconds: UInt64? { ProcessResources.cpuMicroseconds(ofProcess: pid) }
}
