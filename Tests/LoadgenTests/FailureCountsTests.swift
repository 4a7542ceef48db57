import Testing
@testable import Loadgen

@Suite("Failure classes and counts")
struct FailureCountsTests {
    @Test("every class's counter is its own place in the one list, and its key reads back as it")
    func slotsAndNamesAreTheListsInverse() {
        #expect(FailureClass.all.count == 10 + 600)
        for (index, failure) in FailureClass.all.enumerated() {
            #expect(failure.slot == index, "\(failure.name)")
            #expect(FailureClass(name: failure.name) == failure, "\(failure.name)")
        }
        #expect(Set(FailureClass.all.map(\.name)).count == FailureClass.all.count)
        #expect(FailureClass(name: "http_399") == nil && FailureClass(name: "http_1000") == nil && FailureClass(name: "refused") == nil)
    }

    @Test("counts add, merge and total across classes, and rows come in report order")
    func countsAddMergeAndListInReportOrder() {
        var first = FailureCounts()
        first.add(.cancelled)
        first.add(.httpStatus(503))
        first.add(.timeout)
        var second = FailureCounts()
        second.add(.httpStatus(503), count: 4)
        second.add(.connect)
        second.add(.httpStatus(404))
        first.merge(second)
        #expect(first.total == 9)
        #expect(first[.httpStatus(503)] == 5 && first.count(status: 503) == 5 && first[.timeout] == 1)
        #expect(first.byClass.map(\.failure.name) == ["connect", "timeout", "http_404", "http_503", "cancelled"])
        #expect(first.byClass.map(\.count) == [1, 1, 1, 5, 1])
        // The server caused the status codes; connect, timeout and cancelled were the client's timers.
        #expect(first.responses == 6)
    }

    @Test("a status code outside 400...999 is counted as 999, and asking for it by code finds none")
    func outOfRangeStatusIsClamped() {
        var counts = FailureCounts()
        counts.add(.httpStatus(1200))
        #expect(counts.count(status: 999) == 1)
        #expect(counts.count(status: 1200) == 0)
        #expect(counts.byClass.map(\.failure) == [.httpStatus(999)])
    }
}
