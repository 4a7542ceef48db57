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
    /// symbols, the template after it (each empty once `offset` has passed it).
    @inline(__always)
    private func withPieces<Result>(_ request: UnsafeRawBufferPointer, counterOffset start: Int, from offset: Int,
                                    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Result) -> Result {
        let end = start + PromptHeader.numberSymbols
        return withUnsafeBytes(of: symbols) { symbols in
            let number = UnsafeRawBufferPointer(rebasing: symbols[0..<PromptHeader.numberSymbols])
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
