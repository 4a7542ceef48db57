import Testing
@testable import Loadgen

@Suite("Number formatting")
struct FormatTests {
    @Test("thousands are grouped, and numbers past UInt64 print plainly instead of trapping")
    func groupedHandlesEveryDouble() {
        #expect(Format.grouped(1_234_567.4) == "1,234,567")
        #expect(Format.grouped(0.0) == "0")
        #expect(!Format.grouped(1e20).isEmpty)
        #expect(!Format.grouped(Double.infinity).isEmpty)
        #expect(!Format.grouped(-5.0).isEmpty)
    }
}
