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

    /// A 64-bit hash of the bytes, as 16 hex digits (`contentHash`).
    var hash: String { Self.contentHash(bytes) }

    /// Eight bytes at a time: each little-endian word is mixed in by a multiply and a shift
    /// (the step of splitmix64's finalizer), the tail bytes as one last word, then the length.
    /// Not cryptographic, but it tells two files apart, at several GB/s (FNV-1a's byte-at-a-time
    /// multiply was 7% of preparing a 460 MB ShareGPT file). `bench/datasets/hash.py` computes
    /// the same value, to check a file by hand.
    static func contentHash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0x6C6F_6164_6765_6E00
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for index in 0..<words {
                hash = mix(hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
            }
            var tail: UInt64 = 0
            for (shift, byte) in raw[(words * 8)...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
            hash = mix(hash ^ tail)
        }
        hash = mix(hash ^ UInt64(bytes.count))
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let z = (value ^ (value >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return z ^ (z >> 29)
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
