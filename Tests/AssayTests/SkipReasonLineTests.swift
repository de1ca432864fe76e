import Foundation
import Testing

@Suite("default verbosity says why")
struct SkipReasonLineTests {
    @Test("a suite whose cases all skipped prints `skip category/suite: N skipped — reason`, not `ok … 0 passed`")
    func allSkipped() throws {
        let one = try Fixture.run(["-f", "fixtures/oracle/skip"])
        #expect(one.status == 0)
        #expect(one.stdout.split(separator: "\n").first == "skip fixtures/oracle: 1 skipped — oracle skip", "\(one.stdout)")
        let two = try Fixture.run(["-f", "fixtures/basics/skipped", "-f", "fixtures/basics/skips at run time"])
        #expect(two.stdout.contains("skip fixtures/basics: 2 skipped — not on this platform; no network"), "\(two.stdout)")
        #expect(!two.stdout.contains("0 passed, 0 failed, 2 skipped\nok"))
        // A suite with a pass among its skips keeps its ok line.
        let mixed = try Fixture.run(["-f", "fixtures/oracle/{pass,skip}"])
        #expect(mixed.stdout.contains("ok   fixtures/oracle: 1 passed, 0 failed, 1 skipped"), "\(mixed.stdout)")
    }
}
