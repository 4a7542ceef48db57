// swift-tools-version:6.0
// loadgen: a native load generator for OpenAI-compatible LLM servers.
// No package dependencies by design: Glibc and the Swift standard library only.
import PackageDescription

let package = Package(
    name: "loadgen",
    products: [
        .library(name: "Loadgen", targets: ["Loadgen"]),
        .executable(name: "loadgen", targets: ["loadgen"]),
        .executable(name: "echo-server", targets: ["echo-server"]),
    ],
    targets: [
        // Syscalls Swift cannot reach cleanly: epoll (packed epoll_event), eventfd, timerfd, sockets.
        .target(name: "CEpoll"),
        // HTTP/1.1 bytes: request serialization, incremental response parser, SSE framing.
        .target(name: "HTTPWire"),
        // The library: event loops, connections, scheduling, statistics, workloads, reports.
        .target(name: "Loadgen", dependencies: ["CEpoll", "HTTPWire"]),
        // The command-line tool: flags and printing only.
        .executableTarget(name: "loadgen", dependencies: ["Loadgen"]),
        // The deterministic OpenAI-shaped peer for benchmarks and tests.
        .executableTarget(name: "echo-server", dependencies: ["Loadgen"], path: "bench/echo-server"),
        // The per-request path over in-memory bytes, timed (bench/hotpath; run it release-built).
        .executableTarget(name: "hotpath", dependencies: ["Loadgen", "HTTPWire"], path: "bench/hotpath"),
        // The tokenizer's encode speed and exact-prompt building, timed (bench/tokenizer.sh).
        .executableTarget(name: "tokenizer-speed", dependencies: ["Loadgen"], path: "bench/tokenizer-speed"),
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"]),
        // Depends on the executables so `swift test` builds them: engine and end-to-end tests drive
        // the real echo-server and loadgen binaries on loopback.
        .testTarget(name: "LoadgenTests", dependencies: ["Loadgen", "HTTPWire", "echo-server", "loadgen"]),
    ],
    swiftLanguageModes: [.v6]
)
