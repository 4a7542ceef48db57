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

    @Test("https:// URLs keep their scheme, default to port 443 and leave :443 out of the Host header")
    func https() throws {
        let target = try HTTPTarget(url: "HTTPS://gateway.example/llm/v1")
        #expect(target.scheme == .https)
        #expect(target.port == 443)
        #expect(target.hostHeader == "gateway.example")
        #expect(target.url == "https://gateway.example/llm/v1")
        #expect(target.openAIBasePath == "/llm")
        let other = try HTTPTarget(url: "https://[::1]:8443/")
        #expect(other.hostHeader == "[::1]:8443")
        #expect(other.url(path: "/v1/models") == "https://[::1]:8443/v1/models")
        // Port 80 is not the default of https, so it is named.
        #expect(try HTTPTarget(url: "https://h:80/").hostHeader == "h:80")
        #expect(try HTTPTarget(url: "http://h/").scheme == .http)
    }

    @Test("anything but http:// and https:// is refused with a reason", arguments: [
        "ftp://x/", "httpx://x/", "127.0.0.1:80", "http://", "https://", "http://host:0/", "http://host:70000/", "http://[::1/",
    ])
    func refusesOtherURLs(url: String) {
        #expect(throws: LoadgenError.self) { try HTTPTarget(url: url) }
    }

    @Test("a URL with a space or a control character is refused with the reason", arguments: [
        ("http://127.0.0.1/a b", "space"), ("http://127.0.0.1/a\tb", "control character"), ("http://127.0.0.1/a\r\nX: y", "control character"),
    ])
    func refusesSpacesAndControls(url: String, reason: String) {
        #expect {
            try HTTPTarget(url: url)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("a fragment is dropped (it is never sent, as curl does) and the scheme is case-insensitive")
    func fragmentAndSchemeCase() throws {
        let target = try HTTPTarget(url: "HTTP://127.0.0.1:8080/health?x=1#frag")
        #expect(target.path == "/health?x=1")
        #expect(try HTTPTarget(url: "Http://h/#top").path == "/")
        #expect(try HTTPTarget(url: "http://h#top").path == "/")
        #expect(try HTTPTarget(url: "HTTPS://h/#top").url == "https://h/")
        #expect(throws: LoadgenError.self) { try HTTPTarget(url: "FTP://h/") }
    }

    @Test("an OpenAI base URL with or without /v1 (the OpenAI SDK's form) gives the same base path",
          arguments: [("http://h:8000", ""), ("http://h:8000/", ""), ("http://h:8000/v1", ""), ("http://h:8000/v1/", ""),
                      ("http://gw/llm/v1", "/llm"), ("http://gw/llm/", "/llm"), ("http://gw/llm/v1?key=1", "/llm")])
    func openAIBasePath(url: String, base: String) throws {
        let target = try HTTPTarget(url: url)
        #expect(target.openAIBasePath == base)
        // The paths asked for are clean: no /v1v1/models, no /v1/v1/chat/completions.
        var plan = LoadPlan(target: target)
        plan.workload = OpenAIWorkload(model: "m")
        let request = String(decoding: try plan.requestTemplates()[0].bytes, as: UTF8.self)
        #expect(request.hasPrefix("POST \(base)/v1/chat/completions HTTP/1.1\r\n"), "\(request.prefix(60))")
    }
}
