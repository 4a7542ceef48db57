import Foundation
import Testing
import HTTPWire

@Suite("Request serializer")
struct HTTPRequestTests {
    @Test("GET serializes with Host and keep-alive, and no Content-Length")
    func getBytes() throws {
        let request = HTTPRequest(target: "/health", host: "127.0.0.1:8080")
        let text = String(decoding: try request.serialized(), as: UTF8.self)
        #expect(text == "GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test("POST carries headers in order, Content-Length and the body")
    func postBytes() throws {
        let request = HTTPRequest(method: "POST", target: "/v1/completions", host: "h",
                                  headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Authorization", "Bearer k")],
                                  body: Array("{}".utf8), keepAlive: false)
        let text = String(decoding: try request.serialized(), as: UTF8.self)
        #expect(text == "POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nAuthorization: Bearer k\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    }

    @Test("an empty POST still says Content-Length: 0")
    func emptyPost() throws {
        let text = String(decoding: try HTTPRequest(method: "POST", host: "h").serialized(), as: UTF8.self)
        #expect(text.contains("Content-Length: 0\r\n"))
    }

    @Test("user Host, Content-Length and Connection replace the generated ones")
    func overrides() throws {
        let request = HTTPRequest(method: "POST", host: "h", headers: [HTTPHeader("host", "other"), HTTPHeader("CONNECTION", "close"), HTTPHeader("content-length", "0")])
        let text = String(decoding: try request.serialized(), as: UTF8.self)
        #expect(text == "POST / HTTP/1.1\r\nhost: other\r\nCONNECTION: close\r\ncontent-length: 0\r\n\r\n")
    }

    @Test("serializedCount equals the bytes written, and a small buffer is refused")
    func countAndBuffer() throws {
        let request = HTTPRequest(method: "POST", target: "/x", host: "h", headers: [HTTPHeader("A", "b")], body: Array(repeating: 65, count: 100))
        var buffer = [UInt8](repeating: 0, count: 1024)
        let written = try buffer.withUnsafeMutableBytes { try request.serialize(into: $0) }
        #expect(written == request.serializedCount)
        var small = [UInt8](repeating: 0, count: 10)
        #expect(throws: WireError.bufferTooSmall(needed: request.serializedCount)) {
            _ = try small.withUnsafeMutableBytes { try request.serialize(into: $0) }
        }
    }

    @Test("line breaks, NUL and empty names are refused", arguments: [
        HTTPRequest(target: "/a\r\nX: y", host: "h"),
        HTTPRequest(host: "h", headers: [HTTPHeader("X", "a\nb")]),
        HTTPRequest(host: "h", headers: [HTTPHeader("", "v")]),
        HTTPRequest(host: "h", headers: [HTTPHeader("X\0", "v")]),
        HTTPRequest(method: "GE T", host: "h"),
    ])
    func invalidFields(request: HTTPRequest) {
        #expect(throws: WireError.invalidHeaderField) { _ = try request.serialized() }
    }

    @Test("a serialized request parses back through a server-style reading of its head")
    func roundTripShape() throws {
        let bytes = try HTTPRequest(method: "POST", target: "/v1/chat/completions", host: "127.0.0.1:1", body: Array("abc".utf8)).serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2)
        #expect(parts[1] == "abc")
        #expect(parts[0].split(separator: "\r\n").first == "POST /v1/chat/completions HTTP/1.1")
    }
}
