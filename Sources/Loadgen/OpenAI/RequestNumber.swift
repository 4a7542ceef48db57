/// A request's number as the ASCII digits patched into a unique-prompt template (see
/// `OpenAIWorkload.counterWidth`), kept per connection so the template itself is never copied or
/// written: the request goes out as the template before the number, the number, and the rest of
/// the template, in one sendmsg.
struct RequestNumber {
    private var digits: (UInt64, UInt64) = (0, 0)

    /// Writes `number` as `OpenAIWorkload.counterWidth` digits (zero-padded; higher digits dropped).
    @inline(__always)
    mutating func set(_ number: Int) {
        var value = number
        withUnsafeMutableBytes(of: &digits) { digits in
            for position in stride(from: OpenAIWorkload.counterWidth - 1, through: 0, by: -1) {
                digits[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
    }

    /// Sends `request` from byte `offset` on, with the digits in place of the template's bytes at
    /// `counterOffset`.
    @inline(__always)
    func send(_ request: UnsafeRawBufferPointer, counterOffset start: Int, from offset: Int,
              on fd: FileDescriptor) -> IOOutcome {
        withPieces(request, counterOffset: start, from: offset) { head, middle, tail in fd.send(head, middle, tail) }
    }

    /// The same bytes through a TLS session, gathered in `scratch` into one record.
    @inline(__always)
    func write(_ request: UnsafeRawBufferPointer, counterOffset start: Int, from offset: Int,
               on session: TLSConnection, through scratch: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        withPieces(request, counterOffset: start, from: offset) { head, middle, tail in
            session.write(head, middle, tail, through: scratch)
        }
    }

    /// The request from byte `offset` on as three pieces: the template before the number, the
    /// digits, the template after it (each empty once `offset` has passed it).
    @inline(__always)
    private func withPieces<Result>(_ request: UnsafeRawBufferPointer, counterOffset start: Int, from offset: Int,
                                    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Result) -> Result {
        let end = start + OpenAIWorkload.counterWidth
        return withUnsafeBytes(of: digits) { digits in
            let number = UnsafeRawBufferPointer(rebasing: digits[0..<OpenAIWorkload.counterWidth])
            let head = UnsafeRawBufferPointer(rebasing: request[min(offset, start)..<start])
            let middle = UnsafeRawBufferPointer(rebasing: number[min(max(offset - start, 0), number.count)...])
            let tail = UnsafeRawBufferPointer(rebasing: request[max(offset, end)...])
            return body(head, middle, tail)
        }
    }
}

/// The numbers one loop gives its requests: loop + loops * k, unique across the run without any
/// shared counter.
struct RequestNumbering {
    let loop: Int
    let loops: Int
    private var sequence = 0

    init(loop: Int, loops: Int) {
        self.loop = loop
        self.loops = loops
    }

    @inline(__always)
    mutating func next() -> Int {
        let number = loop &+ loops &* sequence
        sequence &+= 1
        return number
    }
}
