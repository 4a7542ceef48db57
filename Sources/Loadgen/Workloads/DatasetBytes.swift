import Glibc

/// A dataset or trace file's bytes, read whole before a run (sized first, one allocation), with
/// a hash of them for the results: a run can be reproduced only from the same file.
struct DatasetBytes {
    let path: String
    let bytes: [UInt8]

    /// Larger files are refused rather than read until memory runs out (the 100,000-conversation
    /// ShareGPT of bench/datasets.sh is about 200 MB; vLLM's ShareGPT V3 file is 670 MB).
    static let maximumBytes = 4 << 30

    init(path: String) throws(DatasetError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError(path: path, problem: "cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw DatasetError(path: path, problem: "cannot read: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw DatasetError(path: path, problem: "not a regular file") }
        let size = Int(status.st_size)
        guard size <= Self.maximumBytes else { throw DatasetError(path: path, problem: "larger than 4 GiB: refused") }
        var failure: Int32 = 0
        bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let result = retryingInterrupts { Glibc.read(fd, buffer.baseAddress! + count, size - count) }
                guard case .done(let n) = result, n > 0 else {
                    if case .failed(let code) = result { failure = code }
                    return
                }
                count += n
            }
        }
        if failure != 0 { throw DatasetError(path: path, problem: "cannot read: \(String(cString: strerror(failure)))") }
        guard bytes.count == size else { throw DatasetError(path: path, problem: "changed size while it was read") }
    }

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// FNV-1a (64-bit) of the bytes, as 16 hex digits: not cryptographic, but it tells two
    /// files apart, and at ~1 GB/s it costs little next to tokenizing them.
    var hash: String { Self.fnv1a64(bytes) }

    static func fnv1a64(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The 1-based line of byte `offset`.
    func line(at offset: Int) -> Int {
        var line = 1
        bytes.withUnsafeBufferPointer { buffer in
            for index in 0..<min(offset, buffer.count) where buffer[index] == 0x0A { line += 1 }
        }
        return line
    }
}
