// libFuzzer target: echo-server's request parser (the bytes any client sends it), fed the input
// whole and as a prefix cut at a point taken from its first byte. The server parses again as
// more bytes arrive, so once a prefix yields a head or an error the whole input must yield the
// same. A head's body is scanned for the fields echo-server answers with. Built by bench/fuzz.sh.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = parse(bytes)
    if case .head(let head) = whole {
        precondition(head.headerBytes <= size && head.contentLength >= 0, "head outside the input")
        let end = min(size, head.headerBytes + head.contentLength)
        let fields = RequestBodyFields(UnsafeRawBufferPointer(rebasing: bytes[head.headerBytes..<end]))
        if let model = fields.model { precondition(model.upperBound <= end - head.headerBytes, "model outside the body") }
    }
    if size > 1 {
        let cut = 1 + Int(bytes[0]) % (size - 1)
        let prefix = parse(UnsafeRawBufferPointer(rebasing: bytes[..<cut]))
        if prefix != .incomplete, prefix != whole { fatalError("prefix of \(cut) bytes gives \(prefix), whole gives \(whole)") }
    }
    return 0
}

private enum Outcome: Equatable {
    case incomplete
    case head(Summary)
    case refused(String)
}

private struct Summary: Equatable {
    var route: String, isHead: Bool, keepAlive: Bool, contentLength: Int, headerBytes: Int
}

private func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
    do throws(RequestError) {
        guard let head = try parseRequestHead(bytes, maxHeaderBytes: 4096, maxHeaderCount: 32, maxBodyBytes: 1 << 20) else {
            return .incomplete
        }
        return .head(Summary(route: "\(head.route)", isHead: head.isHead, keepAlive: head.keepAlive,
                             contentLength: head.contentLength, headerBytes: head.headerBytes))
    } catch {
        return .refused("\(error)")
    }
}
