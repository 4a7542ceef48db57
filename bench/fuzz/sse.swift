import HTTPWire

// libFuzzer target: SSE framing, whole against split in two; the events must agree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = events([bytes])
    if size > 1 {
        let cut = 1 + Int(bytes[0]) % (size - 1)
        let split = events([UnsafeRawBufferPointer(rebasing: bytes[..<cut]), UnsafeRawBufferPointer(rebasing: bytes[cut...])])
        if whole != split { fatalError("split at \(cut) disagrees") }
    }
    return 0
}

private func events(_ pieces: [UnsafeRawBufferPointer]) -> [[UInt8]] {
    var parser = SSEParser()
    var all: [[UInt8]] = []
    var data: [UInt8] = []
    for piece in pieces {
        var offset = 0
        var steps = 0
        loop: while true {
            steps += 1
            if steps > 4 * piece.count + 16 { fatalError("no progress") }
            switch parser.parse(piece, offset: &offset) {
            case .needMoreInput: break loop
            case .data(let range): data += piece[range]
            case .dataLineBreak: data.append(10)
            case .eventComplete:
                all.append(data)
                data = []
            }
        }
    }
    return all + [data]
}
