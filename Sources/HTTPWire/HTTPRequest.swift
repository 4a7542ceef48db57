/// One request header.
public struct HTTPHeader: Sendable, Equatable {
    /// The header name as sent (HTTP compares names case-insensitively).
    public var name: String
    /// The value, without the surrounding spaces.
    public var value: String
    /// A header `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP/1.1 request, serialized once into bytes that every connection then sends as they are.
public struct HTTPRequest: Sendable, Equatable {
    /// The request method, e.g. `GET` or `POST`.
    public var method: String
    /// The request target: a path with an optional query, e.g. `/v1/chat/completions`.
    public var target: String
    /// The Host header value, e.g. `127.0.0.1:8080`.
    public var host: String
    /// Extra headers in order. A Host, Content-Length or Connection here replaces the generated one.
    public var headers: [HTTPHeader]
    /// The body, sent with a Content-Length (also `0` for an empty POST, PUT or PATCH).
    public var body: [UInt8]
    /// `Connection: keep-alive` (the default) or `Connection: close`.
    public var keepAlive: Bool

    /// A request to serialize with `serialized()`; nothing is checked until then.
    public init(method: String = "GET", target: String = "/", host: String, headers: [HTTPHeader] = [],
                body: [UInt8] = [], keepAlive: Bool = true) {
        self.method = method
        self.target = target
        self.host = host
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The header lines in wire order, generated ones included.
    private var headerLines: [(name: String, value: String)] {
        func userHas(_ lowercased: String) -> Bool { headers.contains { $0.name.lowercased() == lowercased } }
        var lines: [(String, String)] = []
        if !userHas("host") { lines.append(("Host", host)) }
        for header in headers { lines.append((header.name, header.value)) }
        let method = method.uppercased()
        if !userHas("content-length"), !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            lines.append(("Content-Length", String(body.count)))
        }
        if !userHas("connection") { lines.append(("Connection", keepAlive ? "keep-alive" : "close")) }
        return lines
    }

    /// Exact number of bytes `serialize(into:)` writes.
    public var serializedCount: Int { Self.count(of: self, lines: headerLines) }

    private static func count(of request: HTTPRequest, lines: [(name: String, value: String)]) -> Int {
        var count = request.method.utf8.count + 1 + request.target.utf8.count + " HTTP/1.1\r\n".utf8.count
        for line in lines { count += line.name.utf8.count + 2 + line.value.utf8.count + 2 }
        return count + 2 + request.body.count
    }

    /// Writes the request into a caller-owned buffer and returns the bytes written.
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        try validateFields()
        return try write(lines: headerLines, into: buffer)
    }

    /// The header lines are made once per call (they lower-case names): a dataset's templates
    /// are serialized by the 100,000 before a run, and that time counts in its preparation.
    private func write(lines: [(name: String, value: String)], into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let needed = Self.count(of: self, lines: lines)
        guard buffer.count >= needed else { throw .bufferTooSmall(needed: needed) }
        var offset = 0
        func put(_ text: String) {
            for byte in text.utf8 {
                buffer[offset] = byte
                offset += 1
            }
        }
        put(method)
        put(" ")
        put(target)
        put(" HTTP/1.1\r\n")
        for line in lines {
            put(line.name)
            put(": ")
            put(line.value)
            put("\r\n")
        }
        put("\r\n")
        // Bodies are most of the bytes (a dataset's prompts): one copy.
        body.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { (buffer.baseAddress! + offset).copyMemory(from: source, byteCount: bytes.count) }
        }
        offset += body.count
        return offset
    }

    /// The serialized bytes. Allocates: call once per distinct request, never per send.
    public func serialized() throws(WireError) -> [UInt8] {
        try validateFields()
        let lines = headerLines
        var bytes = [UInt8](repeating: 0, count: Self.count(of: self, lines: lines))
        let outcome = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(WireError) -> Int in try write(lines: lines, into: buffer) }
        }
        let written = try outcome.get()
        if written < bytes.count { bytes.removeLast(bytes.count - written) }
        return bytes
    }

    private func validateFields() throws(WireError) {
        func clean(_ text: String) -> Bool {
            !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        }
        // Bytes, not Characters: a Character search walks grapheme breaks.
        func has(_ text: String, _ byte: UInt8) -> Bool { text.utf8.contains(byte) }
        guard !method.isEmpty, clean(method), !has(method, 0x20), !target.isEmpty, clean(target),
              !has(target, 0x20), clean(host) else { throw .invalidHeaderField }
        for header in headers {
            guard !header.name.isEmpty, clean(header.name), !has(header.name, UInt8(ascii: ":")), !has(header.name, 0x20),
                  clean(header.value) else { throw .invalidHeaderField }
        }
    }
}
