import Glibc
import HTTPWire
import Loadgen

// bench/hotpath: the client's per-request user-space work over in-memory bytes, no syscalls.
//
// Per iteration: copy the pre-serialized request into a send buffer (what `send` is handed),
// parse a canned echo-server response with the incremental parser, scan its body for usage
// tokens, read the clock and record the latency. Prints nanoseconds per request; target <= 100.
//
// usage: swift run -c release hotpath [ITERATIONS]

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 5_000_000 : 5_000_000

let request = try HTTPRequest(
    method: "POST", target: "/v1/chat/completions", host: "127.0.0.1:8080",
    headers: [HTTPHeader("Content-Type", "application/json")],
    body: Array(#"{"model":"echo","messages":[{"role":"user","content":"Explain in detail: the client is not the bottleneck."}],"max_tokens":100}"#.utf8)
).serialized()

let responseBody = #"{"id":"chatcmpl-echo-1","object":"chat.completion","created":0,"model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo echo"},"finish_reason":"length"}],"usage":{"prompt_tokens":34,"completion_tokens":100,"total_tokens":134}}"#
let response = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(responseBody.utf8.count)\r\nConnection: keep-alive\r\n\r\n\(responseBody)".utf8)

/// The per-request state a connection and its loop hold, and the work done per response.
struct HotPath {
    let request: [UInt8]
    let received: UnsafeRawBufferPointer
    let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
    var parser = ResponseParser()
    var usage = UsageScanner()
    var histogram = LatencyHistogram()
    var completionTokens = 0
    var checksum = 0

    init(request: [UInt8], response: [UInt8]) {
        self.request = request
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
        response.withUnsafeBytes { readBuffer.copyMemory(from: $0) }
        received = UnsafeRawBufferPointer(rebasing: readBuffer[0..<response.count])
    }

    @inline(never)
    mutating func oneRequest() {
        request.withUnsafeBytes { sendBuffer.copyMemory(from: $0) }
        checksum &+= Int(sendBuffer[request.count - 1])
        parser.reset()
        usage.reset()
        var offset = 0
        loop: while true {
            let event: ResponseEvent
            do { event = try parser.parse(received, offset: &offset) } catch { fatalError("canned response failed to parse: \(error)") }
            switch event {
            case .body(let range): usage.scan(UnsafeRawBufferPointer(rebasing: received[range]))
            case .messageComplete: break loop
            case .needMoreInput: fatalError("canned response incomplete")
            case .headComplete: continue
            }
        }
        completionTokens &+= usage.completionTokens ?? 0
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        histogram.record(nanoseconds: 1_000_000 &+ (nanoseconds & 0xFFFF))
    }

    mutating func measure(_ count: Int) -> Double {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        for _ in 0..<count { oneRequest() }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let elapsed = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
        return elapsed / Double(count)
    }
}

var bench = HotPath(request: request, response: response)
_ = bench.measure(iterations / 10)  // warm caches and branch predictors
var samples: [Double] = []
for _ in 0..<5 { samples.append(bench.measure(iterations / 5)) }
samples.sort()
guard bench.completionTokens > 0, bench.checksum != 0 else { fatalError("benchmark did no work") }
print("hotpath: request \(request.count) B, response \(response.count) B, \(iterations) iterations")
print("hotpath: ns/request median \(Format.fixed(samples[2], decimals: 1)), min \(Format.fixed(samples[0], decimals: 1)), max \(Format.fixed(samples[4], decimals: 1)) (target <= 100)")
