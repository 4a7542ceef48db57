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
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"]),
        .testTarget(name: "LoadgenTests", dependencies: ["Loadgen", "HTTPWire"]),
    ],
    swiftLanguageModes: [.v6]
)
