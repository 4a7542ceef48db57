import Foundation
import Testing
@testable import Loadgen

@Suite("Result file names")
struct ResultFilesTests {
    @Test("a second result in the same second gets _2, a third _3, instead of replacing the first")
    func sameSecondNamesDoNotCollide() throws {
        let directory = NSTemporaryDirectory() + "loadgen-stems-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let when = 1_790_000_000.0
        let first = ResultFiles.freshStem("latency", wallSeconds: when, directory: directory)
        #expect(first == "latency_" + ResultFiles.timestamp(when))
        try TextFile.writeAtomically("{}", to: directory + "/" + first + ".json")
        let second = ResultFiles.freshStem("latency", wallSeconds: when, directory: directory)
        #expect(second == first + "_2")
        try TextFile.writeAtomically("{}", to: directory + "/" + second + ".json")
        #expect(ResultFiles.freshStem("latency", wallSeconds: when, directory: directory + "/") == first + "_3")
        #expect(ResultFiles.freshStem("sweep", wallSeconds: when, directory: directory) == "sweep_" + ResultFiles.timestamp(when))
    }
}
