import Foundation

/// Paths of the executables SwiftPM built next to the test bundle (.build/debug or release).
enum BuiltProducts {
    static var directory: URL {
        // The test runner lives in the products directory (…/debug/loadgenPackageTests.xctest).
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // The runner may sit inside a .xctest bundle directory.
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir
    }

    static var echoServer: URL { directory.appendingPathComponent("echo-server") }
    static var loadgen: URL { directory.appendingPathComponent("loadgen") }
}
