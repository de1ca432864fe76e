import Foundation
import Testing
@testable import Assay
@testable import AssayResults

/// `runner --repeat N`: every case N times, in interleaved rounds, each repetition recorded.
@Suite("repetitions")
struct RepeatTests {
    @Test("repeated plans run in rounds; skipped cases stay once")
    func rounds() throws {
        let p = try plan([sample], ["unit/stream-contract/round trip"]).repeated(3)
        let cases = p.suites[0].cases
        let runnable = cases.filter { $0.skipReason == nil }
        #expect(cases.count - runnable.count == 1)  // transport=unix,size=16384: skipped once
        #expect(runnable.count == 5 * 3)
        // Round r holds every runnable case once, in plan order, before round r + 1 starts.
        for r in 0..<3 {
            let round = runnable[(r * 5)..<(r * 5 + 5)]
            #expect(round.allSatisfy { $0.repetition == r + 1 })
            #expect(round.map(\.id) == runnable[0..<5].map(\.id))
        }
        let once = try plan([sample], ["unit/stream-contract/round trip"]).repeated(1)
        #expect(once.suites[0].cases.allSatisfy { $0.repetition == nil })
    }

    @Test("each repetition is its own result; the run fails when any repetition fails")
    func endToEnd() throws {
        let (r, results) = try CoordinatedTests.runJSON(["-f", "fixtures/repeat", "--repeat", "3"])
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(results.cases.map(\.test) == ["steady", "fails the second time", "steady", "fails the second time", "steady", "fails the second time"])
        #expect(results.cases.map(\.repetition) == [1, 1, 2, 2, 3, 3])
        let flaky = results.cases.filter { $0.test == "fails the second time" }
        #expect(flaky.map(\.status) == [.passed, .failed, .passed])
        #expect(results.totals.passed == 5 && results.totals.failed == 1)
        #expect(results.run.options["repeat"] == .int(3))
        let steady = try CoordinatedTests.runJSON(["-f", "fixtures/repeat/steady", "--repeat", "2"])
        #expect(steady.0.status == 0)
        #expect(steady.1.cases.map(\.repetition) == [1, 2])
    }

    @Test("--repeat below 1 is a usage error; ASSAY_REPEAT sets it")
    func usage() throws {
        #expect(try Fixture.run(["-f", "fixtures/repeat/steady", "--repeat", "0"]).status == 2)
        let (r, results) = try CoordinatedTests.runJSON(["-f", "fixtures/repeat/steady"], env: ["ASSAY_REPEAT": "2"])
        #expect(r.status == 0)
        #expect(results.cases.count == 2)
    }

    @Test("the results file records what the run used")
    func machineFacts() throws {
        let (_, results) = try CoordinatedTests.runJSON(["-f", "fixtures/repeat/steady"])
        let e = results.run.extra
        #expect(Int(e["cpuCount"] ?? "") == ProcessInfo.processInfo.activeProcessorCount)
        #expect(e["cpuModel"]?.isEmpty == false)
        for k in ["loadAverageStart", "loadAverageEnd"] {
            #expect(e[k]?.split(separator: " ").count == 3, "\(k): \(e[k] ?? "missing")")
        }
    }
}
