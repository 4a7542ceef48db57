import HTTPWire

// libFuzzer target: the HTTP response parser, fed the input whole and then split in two at a
// point taken from its first byte; both must agree (or both fail). Built by bench/fuzz.sh.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = run([bytes])
    if size > 1 {
        let cut = 1 + Int(bytes[0]) % (size - 1)
        let split = run([UnsafeRawBufferPointer(rebasing: bytes[..<cut]), UnsafeRawBufferPointer(rebasing: bytes[cut...])])
        if whole != split { fatalError("split at \(cut) disagrees: \(whole) vs \(split)") }
    }
    return 0
}

/// Messages completed, body bytes, and the error if any.
private func run(_ pieces: [UnsafeRawBufferPointer]) -> String {
    var parser = ResponseParser()
    var messages = 0
    var bodyBytes = 0
    for piece in pieces {
        var offset = 0
        var steps = 0
        while true {
            steps += 1
            if steps > 4 * piece.count + 16 { fatalError("no progress") }
            do throws(WireError) {
                switch try parser.parse(piece, offset: &offset) {
                case .needMoreInput: break
                case .headComplete: continue
                case .body(let range):
                    precondition(!range.isEmpty && range.upperBound <= piece.count)
                    bodyBytes += range.count
                    continue
                case .messageComplete:
                    messages += 1
                    parser.reset()
                    continue
                }
            } catch {
                return "\(messages) \(bodyBytes) \(error)"
            }
            break
        }
    }
    return "\(messages) \(bodyBytes)"
}
