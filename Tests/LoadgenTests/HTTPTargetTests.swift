import Testing
@testable import Loadgen

@Suite("URL parsing")
struct HTTPTargetTests {
    @Test("host, port and path are split; the default port is 80")
    func parsesParts() throws {
        let target = try HTTPTarget(url: "http://127.0.0.1:8080/v1/chat/completions?x=1")
        #expect(target.host == "127.0.0.1")
        #expect(target.port == 8080)
        #expect(target.path == "/v1/chat/completions?x=1")
        #expect(target.hostHeader == "127.0.0.1:8080")
        let plain = try HTTPTarget(url: "http://localhost")
        #expect(plain.port == 80)
        #expect(plain.path == "/")
        #expect(plain.hostHeader == "localhost")
    }

    @Test("IPv6 literals keep their brackets in the Host header only")
    func ipv6() throws {
        let target = try HTTPTarget(url: "http://[::1]:9000/x")
        #expect(target.host == "::1")
        #expect(target.hostHeader == "[::1]:9000")
    }

    @Test("anything but http:// is refused with a reason", arguments: [
        "https://example.com/", "ftp://x/", "127.0.0.1:80", "http://", "http://host:0/", "http://host:70000/", "http://[::1/",
    ])
    func refusesOtherURLs(url: String) {
        #expect(throws: LoadgenError.self) { try HTTPTarget(url: url) }
    }
}
