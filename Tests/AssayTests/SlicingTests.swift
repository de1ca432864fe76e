import Foundation
import Testing
@testable import Assay
@testable import AssayResults

/// `-j N` splits a large suite's cases over N workers, except suites that declare a trait.
@Suite("-j: a large suite's cases across workers")
struct SlicingTests {
    static func pids(_ r: RunResults, suite: String) -> [Int] {
        r.cases.filter { $0.suite == suite }.compactMap { c -> Int? in
            guard case .object(let o)? = c.data.first, case .int(let p)? = o["pid"] else { return nil }
            return p
        }
    }

    @Test("-j 2 runs a 200-case suite in two workers at once; results in plan order, one suite entry")
    func splits() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = try Fixture.run(["-f", "fixtures/spread", "-j", "1", "--json", dir + "/1.json"])
        let two = try Fixture.run(["-f", "fixtures/spread", "-j", "2", "--json", dir + "/2.json"])
        #expect(one.status == 0 && two.status == 0, "\(two.stdout)\(two.stderr)")
        #expect(two.lastLine == "200 passed, 0 failed, 0 skipped")
        let r1 = try Binaries.results(dir + "/1.json"), r2 = try Binaries.results(dir + "/2.json")
        #expect(r2.cases.map(\.id) == r1.cases.map(\.id), "same cases, same (plan) order")
        #expect(r2.suites.count == 1)
        #expect(r1.suites[0].workers == 1)
        #expect(r2.suites[0].workers == 2)
        let byPid = Dictionary(grouping: Self.pids(r2, suite: "spread"), by: { $0 }).mapValues(\.count)
        #expect(byPid.count == 2, "two worker processes ran the cases: \(byPid)")
        #expect(byPid.values.sorted() == [100, 100])
        #expect(two.stdout.components(separatedBy: "ok   fixtures/spread: 200 passed").count == 2, "the suite is reported once: \(two.stdout)")
    }

    @Test(".serialized keeps a suite's cases in one worker, in order, under -j 2")
    func serialized() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Fixture.run(["-f", "fixtures/{serial,spread}", "-j", "2", "--json", dir + "/r.json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.lastLine == "400 passed, 0 failed, 0 skipped")
        let results = try Binaries.results(dir + "/r.json")
        #expect(Set(Self.pids(results, suite: "serial")).count == 1)
        #expect(results.suites.first { $0.name == "serial" }?.workers == 1)
    }

    @Test("-j defaults to the number of CPUs (ASSAY_JOBS and -j still win)")
    func defaultJobs() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        _ = try Fixture.run(["-f", "fixtures/spread", "--json", dir + "/d.json", "--verbosity", "0"])
        #expect(try Binaries.results(dir + "/d.json").run.options["jobs"] == .int(cpus))
        #expect(try Binaries.results(dir + "/d.json").suites[0].workers == min(cpus, 200 / ParallelSchedule.minCasesPerSlice))
        _ = try Fixture.run(["-f", "fixtures/spread", "--json", dir + "/e.json", "--verbosity", "0"], env: ["ASSAY_JOBS": "1"])
        #expect(try Binaries.results(dir + "/e.json").run.options["jobs"] == .int(1))
        #expect(try Binaries.results(dir + "/e.json").suites[0].workers == 1)
    }

    @Test("the schedule: slices only for large, trait-free suites; dealt round-robin")
    func units() throws {
        let big = Suite("big", category: "t") { MatrixTest("m", matrix: .inline(["n": (0..<100).map { AssayValue.int($0) }])) { _ in } }
        let small = Suite("small", category: "t") { MatrixTest("m", matrix: .inline(["n": (0..<40).map { AssayValue.int($0) }])) { _ in } }
        let serial = Suite("serial", category: "t", traits: [.serialized]) {
            MatrixTest("m", matrix: .inline(["n": (0..<100).map { AssayValue.int($0) }])) { _ in }
        }
        let bench = Suite("bench", category: "t", traits: [.exclusive]) {
            MatrixTest("m", matrix: .inline(["n": (0..<100).map { AssayValue.int($0) }])) { _ in }
        }
        let p = try plan([big, small, serial, bench])
        let one = ParallelSchedule.units(p, jobs: 1)
        #expect(one.map(\.suite) == [0, 1, 2, 3])
        let four = ParallelSchedule.units(p, jobs: 4)
        // 100 runnable cases / 32 per slice: 3 slices; the others stay whole.
        #expect(four.map(\.suite) == [0, 0, 0, 1, 2, 3])
        #expect(four[0].cases.prefix(3) == [0, 3, 6] && four[1].cases.prefix(3) == [1, 4, 7])
        #expect(four.prefix(3).map(\.cases.count) == [34, 33, 33])
        #expect(Set(four.prefix(3).flatMap(\.cases)).count == 100)
    }
}
