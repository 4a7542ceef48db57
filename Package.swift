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
        // The command-line tool: flags and printing only (and `loadgen echo-server`, the bundled peer).
        .executableTarget(name: "loadgen", dependencies: ["Loadgen", "EchoServer"]),
        // The deterministic OpenAI-shaped peer for benchmarks and tests, as a library: the
        // standalone echo-server below and `loadgen echo-server` run the same code, so
        // `swift run loadgen validate` on a fresh clone needs no second product built.
        .target(name: "EchoServer", dependencies: ["Loadgen"], path: "bench/echo-server", exclude: ["main"]),
        .executableTarget(name: "echo-server", dependencies: ["EchoServer"], path: "bench/echo-server/main"),
        // The per-request path over in-memory bytes, timed (bench/hotpath; run it release-built).
        .executableTarget(name: "hotpath", dependencies: ["Loadgen", "HTTPWire"], path: "bench/hotpath"),
        // The tokenizer's encode speed and exact-prompt building, timed (bench/tokenizer.sh).
        .executableTarget(name: "tokenizer-speed", dependencies: ["Loadgen"], path: "bench/tokenizer-speed"),
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"]),
        // Depends on the executables so `swift test` builds them: engine and end-to-end tests drive
        // the real echo-server and loadgen binaries on loopback.
        .testTarget(name: "LoadgenTests", dependencies: ["Loadgen", "HTTPWire", "EchoServer", "echo-server", "loadgen"]),
    ],
    swiftLanguageModes: [.v6]
)
