import CEpoll
import Glibc

/// Process-wide resources: descriptors, CPUs, CPU time and memory.
package enum ProcessResources {
    /// CPUs this process may run on (its affinity mask).
    package static var onlineCPUs: Int { Int(CEpoll_online_cpus()) }

    /// Raises the soft RLIMIT_NOFILE to at least `needed`, or throws a message saying how many
    /// descriptors are needed and how many the hard limit allows.
    package static func ensureDescriptors(_ needed: Int) throws(LoadgenError) {
        let granted = CEpoll_raise_nofile(needed)
        if granted >= needed { return }
        let hard = CEpoll_nofile_hard()
        throw LoadgenError.tooFewDescriptors(needed: needed, allowed: Int(max(granted, hard)))
    }

    /// Raises the soft RLIMIT_NOFILE as far as the hard limit allows (servers that accept many).
    package static func raiseDescriptorLimitToHard() {
        _ = CEpoll_raise_nofile(CEpoll_nofile_hard())
    }

    /// User and system CPU time of this process so far, in microseconds.
    package static func cpuMicroseconds() -> (user: UInt64, system: UInt64) {
        var user: UInt64 = 0
        var system: UInt64 = 0
        CEpoll_process_cpu_us(&user, &system)
        return (user, system)
    }

    /// Peak resident set size in KiB.
    package static var peakRSSKiB: Int { CEpoll_peak_rss_kib() }

    /// Pins the calling thread to CPUs [first, first + count).
    package static func pinCurrentThread(firstCPU: Int, count: Int) -> Bool {
        CEpoll_pin_thread(Int32(firstCPU), Int32(count)) == 0
    }

    /// Pins process `pid` (0 = this one) to CPUs [first, first + count); threads created later inherit it.
    package static func pinProcess(_ pid: Int32, firstCPU: Int, count: Int) -> Bool {
        CEpoll_pin_process(pid, Int32(firstCPU), Int32(count)) == 0
    }

    /// Ignores SIGPIPE: a write to a closed socket must be an error code, not process death.
    package static func ignoreSIGPIPE() { CEpoll_ignore_sigpipe() }
}

extension ProcessResources {
    /// User + system CPU time of another process in microseconds, read from /proc/PID/stat.
    package static func cpuMicroseconds(ofProcess pid: Int32) -> UInt64? {
        guard let text = TextFile.read("/proc/\(pid)/stat") else { return nil }
        // Fields after the command name (which may contain spaces) start after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after ')'.
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let ticks = UInt64(max(sysconf(Int32(_SC_CLK_TCK)), 1))
        return (user + system) * 1_000_000 / ticks
    }
}

extension ProcessResources {
    /// Sleeps the calling thread.
    package static func sleep(milliseconds: Int) -> Bool {
        usleep(UInt32(max(milliseconds, 0)) * 1000) == 0
    }

    /// Sleeps about `nanoseconds` (a signal may cut it short).
    package static func sleep(nanoseconds: UInt64) {
        var duration = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        _ = nanosleep(&duration, nil)
    }

    /// This process's resident set size now (VmRSS), in KiB; nil if /proc cannot be read.
    package static var currentRSSKiB: Int? {
        guard let status = TextFile.read("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// How many descriptors this process has open now (entries of /proc/self/fd, less the one
    /// used to list them); nil if it cannot be listed.
    package static var openDescriptors: Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(2)) }
            if name[0] == UInt8(ascii: "."), name[1] == 0 || name[1] == UInt8(ascii: ".") { continue }
            count += 1
        }
        return count - 1
    }
}

extension ProcessResources {
    /// The absolute path of the running executable (/proc/self/exe resolved), or nil.
    package static var executablePath: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Processes of process group `group` that have not exited (zombies not counted), from /proc.
    /// A group's members need not be our children (a shell's children are orphaned when the
    /// shell dies), so waitpid cannot see them; /proc can.
    package static func liveMembers(ofProcessGroup group: Int32) -> Int {
        guard let directory = opendir("/proc") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let stat = TextFile.read("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the command name: state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[2]) == group, fields[0] != "Z", fields[0] != "X" else { continue }
            count += 1
        }
        return count
    }
}
