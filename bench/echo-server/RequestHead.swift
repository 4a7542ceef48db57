import Glibc

/// One HTTP/1.1 request as echo-server sees it: route, framing and the fields it echoes.
struct RequestHead {
    enum Route { case chatCompletions, completions, health, models, stats, metrics, notFound }

    var route: Route = .notFound
    var isHead = false
    var keepAlive = true
    var contentLength = 0
    /// Bytes of the request line and headers, including the blank line.
    var headerBytes = 0
}

/// Why a request is refused before it is answered normally.
enum RequestError: Error {
    /// 400: a request line or header that is not HTTP/1.1.
    case malformed
    /// 431: header section or header count over the caps.
    case headersTooLarge
    /// 413: Content-Length over --max-body-bytes.
    case bodyTooLarge
    /// 411: a chunked request body (this server reads Content-Length bodies only).
    case lengthRequired
}

/// Parses a request head from the start of `bytes`. Returns nil while the head is incomplete.
/// Bounded: a head longer than `maxHeaderBytes` fails as soon as that many bytes are buffered.
func parseRequestHead(_ bytes: UnsafeRawBufferPointer, maxHeaderBytes: Int, maxHeaderCount: Int,
                      maxBodyBytes: Int) throws(RequestError) -> RequestHead? {
    let limit = min(bytes.count, maxHeaderBytes)
    var lineStart = 0
    var lineNumber = 0
    var head = RequestHead()
    var http10 = false
    var sawContentLength = false
    var connectionClose = false
    var connectionKeepAlive = false
    var index = 0
    while index < limit {
        guard bytes[index] == UInt8(ascii: "\n") else {
            index += 1
            continue
        }
        var lineEnd = index
        if lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
        if lineNumber == 0 {
            http10 = try parseRequestLine(line, into: &head)
        } else if line.isEmpty {
            head.headerBytes = index + 1
            if http10 { head.keepAlive = connectionKeepAlive && !connectionClose } else { head.keepAlive = !connectionClose }
            if head.contentLength > maxBodyBytes { throw .bodyTooLarge }
            return head
        } else {
            if lineNumber > maxHeaderCount { throw .headersTooLarge }
            try parseHeader(line, head: &head, sawContentLength: &sawContentLength,
                            close: &connectionClose, keepAlive: &connectionKeepAlive)
        }
        lineNumber += 1
        index += 1
        lineStart = index
    }
    if bytes.count >= maxHeaderBytes { throw .headersTooLarge }
    return nil
}

private func parseRequestLine(_ line: UnsafeRawBufferPointer, into head: inout RequestHead) throws(RequestError) -> Bool {
    guard let firstSpace = line.firstIndex(of: UInt8(ascii: " ")), firstSpace > 0 else { throw .malformed }
    let rest = line[(firstSpace + 1)...]
    guard let secondSpace = rest.firstIndex(of: UInt8(ascii: " ")), secondSpace > firstSpace + 1 else { throw .malformed }
    let method = UnsafeRawBufferPointer(rebasing: line[0..<firstSpace])
    let target = UnsafeRawBufferPointer(rebasing: line[(firstSpace + 1)..<secondSpace])
    let version = UnsafeRawBufferPointer(rebasing: line[(secondSpace + 1)...])
    guard version.count == 8, equals(UnsafeRawBufferPointer(rebasing: version[0..<7]), "HTTP/1."),
          version[7] == UInt8(ascii: "1") || version[7] == UInt8(ascii: "0") else { throw .malformed }
    for byte in method where !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) { throw .malformed }
    for byte in target where byte <= 0x20 || byte == 0x7F { throw .malformed }
    // Route on the path alone; a query string does not change the answer.
    let pathEnd = target.firstIndex(of: UInt8(ascii: "?")) ?? target.count
    let path = UnsafeRawBufferPointer(rebasing: target[0..<pathEnd])
    let isPost = equals(method, "POST")
    let isGet = equals(method, "GET")
    head.isHead = equals(method, "HEAD")
    if isPost, equals(path, "/v1/chat/completions") {
        head.route = .chatCompletions
    } else if isPost, equals(path, "/v1/completions") {
        head.route = .completions
    } else if isGet || head.isHead, equals(path, "/health") {
        head.route = .health
    } else if isGet || head.isHead, equals(path, "/v1/models") {
        head.route = .models
    } else if isGet, equals(path, "/stats") {
        head.route = .stats
    } else if isGet || head.isHead, equals(path, "/metrics") {
        head.route = .metrics
    } else {
        head.route = .notFound
    }
    return version[7] == UInt8(ascii: "0")
}

private func parseHeader(_ line: UnsafeRawBufferPointer, head: inout RequestHead, sawContentLength: inout Bool,
                         close: inout Bool, keepAlive: inout Bool) throws(RequestError) {
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw .malformed }
    let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
    for byte in name where byte <= 0x20 || byte >= 0x7F { throw .malformed }
    var valueStart = colon + 1
    var valueEnd = line.count
    while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
    while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
    let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
    if equalsIgnoringCase(name, "content-length") {
        guard !value.isEmpty, value.count <= 18 else { throw .malformed }
        var length = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformed }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
        }
        if sawContentLength, length != head.contentLength { throw .malformed }
        sawContentLength = true
        head.contentLength = length
    } else if equalsIgnoringCase(name, "transfer-encoding") {
        throw .lengthRequired
    } else if equalsIgnoringCase(name, "connection") {
        if containsIgnoringCase(value, "close") { close = true }
        if containsIgnoringCase(value, "keep-alive") { keepAlive = true }
    }
}

/// `bytes` is exactly `literal`. memcmp rather than `elementsEqual(_.utf8)`: that generic walk
/// was 3% of echo-server's CPU at 2,000 connections (perf), and this runs for every request.
func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    return bytes.isEmpty || memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
}

func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    let expected = lowercase.utf8Start
    for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] { return false }
    return true
}

private func containsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
    let needle = lowercase.utf8CodeUnitCount
    guard bytes.count >= needle else { return false }
    for start in 0...(bytes.count - needle) {
        if equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + needle)]), lowercase) { return true }
    }
    return false
}
