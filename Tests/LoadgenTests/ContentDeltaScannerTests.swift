import Testing
@testable import Loadgen

@Suite("Content delta scanner")
struct ContentDeltaScannerTests {
    private func carriesText(_ text: String, splitAt cut: Int? = nil) -> Bool {
        var scanner = ContentDeltaScanner()
        let bytes = Array(text.utf8)
        let cut = min(cut ?? bytes.count, bytes.count)
        bytes[0..<cut].withUnsafeBytes { scanner.scan($0) }
        bytes[cut...].withUnsafeBytes { scanner.scan($0) }
        return scanner.carriesText
    }

    @Test("events with text are tokens; role-only, empty and usage events are not", arguments: [
        (#"{"choices":[{"delta":{"content":"Hi"}}]}"#, true),
        (#"{"choices":[{"delta":{"reasoning_content":"think"}}]}"#, true),
        (#"{"choices":[{"index":0,"text":" world"}]}"#, true),
        (#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#, false),
        (#"{"choices":[{"delta":{"content":null}}]}"#, false),
        (#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#, false),
        (#"{"choices":[{"delta":{"content" : "x"}}]}"#, true),
        (#"{"context":"x","texts":"y"}"#, false),
    ])
    func detection(event: String, expected: Bool) {
        for cut in 0...event.utf8.count {
            #expect(carriesText(event, splitAt: cut) == expected, "split at \(cut)")
        }
    }
}
