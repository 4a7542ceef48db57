/// A request's number as the symbols patched into a unique-prompt template (the last
/// `PromptHeader.numberSymbols` of its header), kept per connection so the template itself is
/// never copied or written: the request goes out as the template before the number, the number,
/// and the rest of the template, in one sendmsg.
struct RequestNumber {
    private var symbols: UInt64 = 0

    /// Writes `number` in the header's alphabet (higher digits dropped: numbers repeat after
    /// `PromptHeader.numberValues`, four and a half billion requests).
    @inline(__always)
    mutating func set(_ number: Int) {
        withUnsafeMutableBytes(of: &symbols) { bytes in
            PromptHeader.write(UInt64(truncatingIfNeeded: number), positions: PromptHeader.nonceSymbols,
                               count: PromptHeader.numberSymbols, into: bytes, at: 0)
        }
    }

    /// Sends `request` from byte `offset` on, with the symbols in place of the template's bytes at
    /// `counterOffset`.
    @inline(__always)
    func send(_ request: UnsafeRawBufferPointer, counterOffset start: Int, from offset: Int,
              on fd: FileDescriptor) -> IOOutcome {
        let end = start + PromptHeader.numberSymbols
        return withUnsafeBytes(of: symbols) { number in
            let head = UnsafeRawBufferPointer(rebasing: request[min(offset, start)..<start])
            let middle = UnsafeRawBufferPointer(rebasing: number[min(max(offset - start, 0), number.count)...])
            let tail = UnsafeRawBufferPointer(rebasing: request[max(offset, end)...])
            return fd.send(head, middle, tail)
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
