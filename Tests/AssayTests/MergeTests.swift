import Foundation
import Testing
@testable import AssayResults

/// `analyzer merge`: shard results → one results file, independent of input order; refusals.
@Suite("analyzer merge")
struct MergeTests {
    static let filter = "fixtures/{basics,serial,spread,xpass}"

    /// An unsharded run and its three shards, written into `dir`.
    static func runShards(_ dir: String, n: Int = 3) throws {
        let full = try Fixture.run(["-f", filter, "--json", dir + "/full.json", "--verbosity", "0"])
        #expect(full.status == 1)  // basics and xpass fail on purpose
        for k in 1...n {
            let r = try Fixture.run([
                "-f", filter, "--shard", "\(k)/\(n)", "--json", dir + "/s\(k).json",
                "--junit", dir + "/s\(k).xml", "--verbosity", "0",
            ])
            #expect(r.status <= 1, "\(r.stderr)")
        }
    }

    static func merge(_ dir: String, _ inputs: [String], _ extra: [String] = []) throws -> Fixture.Run {
        try Binaries.run(Binaries.analyzer, ["merge"] + inputs.map { dir + "/" + $0 } + extra)
    }

    @Test("3 shards merged = the unsharded run (ids, order, statuses, totals); same bytes in any input order; JUnit totals")
    func mergeEqualsUnsharded() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runShards(dir)
        let a = try Self.merge(dir, ["s1.json", "s2.json", "s3.json"], ["-o", dir + "/m1.json", "--junit", dir + "/m1.xml"])
        let b = try Self.merge(dir, ["s3.json", "s1.json", "s2.json"], ["-o", dir + "/m2.json", "--junit", dir + "/m2.xml"])
        #expect(a.status == 1 && b.status == 1, "merged run has the fixtures' failures: \(a.stdout)\(a.stderr)")
        #expect(a.stdout.contains("merged 3 files: 430 cases"), "\(a.stdout)")
        let m1 = try Data(contentsOf: URL(fileURLWithPath: dir + "/m1.json"))
        let m2 = try Data(contentsOf: URL(fileURLWithPath: dir + "/m2.json"))
        #expect(m1 == m2, "byte-for-byte independent of the input order")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/m1.xml")) == Data(contentsOf: URL(fileURLWithPath: dir + "/m2.xml")))
        let merged = try RunResults.decode(m1), full = try Binaries.results(dir + "/full.json")
        #expect(merged.cases.map(\.id) == full.cases.map(\.id), "same cases in the same (plan) order")
        #expect(merged.cases.map(\.status) == full.cases.map(\.status))
        #expect(merged.totals == full.totals)
        #expect(merged.suites.map(\.name) == full.suites.map(\.name))
        #expect(merged.run.options["shard"] == nil)
        guard case .array(let from)? = merged.run.options["mergedFrom"] else { Issue.record("no mergedFrom"); return }
        #expect(from.count == 3)
        let xml = try String(contentsOfFile: dir + "/m1.xml", encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"assay\" tests=\"\(full.totals.cases)\""), "\(xml.prefix(200))")
    }

    @Test("refused: a missing shard, a repeated shard, another filter set, another commit; --force overrides what it may")
    func refusals() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.runShards(dir)
        let missing = try Self.merge(dir, ["s1.json", "s3.json"], ["-o", dir + "/x.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("shards missing: 2/3"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.json"))
        let forced = try Self.merge(dir, ["s1.json", "s3.json"], ["-o", dir + "/x.json", "--force"])
        #expect(forced.status <= 1, "\(forced.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/x.json"))

        let twice = try Self.merge(dir, ["s1.json", "s1.json", "s2.json", "s3.json"], ["-o", dir + "/x.json", "--force"])
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("are both shard 1/3"), "\(twice.stderr)")

        let other = try Fixture.run(["-f", "fixtures/spread", "--shard", "2/3", "--json", dir + "/other2.json", "--verbosity", "0"])
        #expect(other.status == 0)
        let filters = try Self.merge(dir, ["s1.json", "other2.json", "s3.json"], ["-o", dir + "/x.json"])
        #expect(filters.status == 2)
        #expect(filters.stderr.contains("different filter sets"), "\(filters.stderr)")

        var foreign = try Binaries.results(dir + "/s2.json")
        foreign.run.gitRevision = "0000000000000000000000000000000000000000"
        try foreign.write(to: dir + "/foreign2.json")
        let commits = try Self.merge(dir, ["s1.json", "foreign2.json", "s3.json"], ["-o", dir + "/x.json"])
        #expect(commits.status == 2)
        #expect(commits.stderr.contains("different commits"), "\(commits.stderr)")
        #expect(commits.stderr.contains("--force"))
        let forcedCommits = try Self.merge(dir, ["s1.json", "foreign2.json", "s3.json"], ["-o", dir + "/x.json", "--force"])
        #expect(forcedCommits.status <= 1)

        let notResults = try Self.merge(dir, ["s1.xml"], ["-o", dir + "/x.json"])
        #expect(notResults.status == 2)
        #expect(notResults.stderr.contains("not a readable results file"), "\(notResults.stderr)")
    }

    /// Shards of a 3-case plan; `drop` leaves cases out of shard 2 (a shard stopped by -x or SIGTERM).
    static func shards(drop: Int = 0, interrupted: Bool = false, repeat times: Int = 1) -> [ResultsMerge.Input] {
        let plan = [(1, ["a", "c"]), (2, ["b"])]
        return plan.map { shard, names in
            var cs: [CaseResult] = []
            for r in 1...times {
                for n in names {
                    var c = CaseResult(
                        id: "c/s/\(n)", category: "c", suite: "s", test: n, kind: "simple", status: .passed, duration: 1,
                        planIndex: ["a": 0, "b": 1, "c": 2][n])
                    c.repetition = times > 1 ? r : nil
                    cs.append(c)
                }
            }
            if shard == 2 { cs.removeLast(min(drop, cs.count)) }
            var meta = RunMetadata(
                startTime: Date(timeIntervalSince1970: 100), host: "h\(shard)", os: "linux", gitRevision: "abc", commandLine: ["runner"],
                options: ["filters": ["c"], "shard": ["index": .int(shard), "count": 2, "planCases": 3, "planDigest": "d"]])
            if shard == 2 && interrupted { meta.interrupted = true }
            return .init(
                name: "s\(shard).json",
                results: RunResults(run: meta, totals: Totals(counting: cs, suiteFailures: 0), suites: [], cases: cs))
        }
    }

    @Test("refused: a shard holding fewer cases than its share of the plan, or one marked interrupted (-x, SIGTERM)")
    func incompleteShardsAreRefused() throws {
        #expect(try ResultsMerge.merge(Self.shards(), commandLine: []).cases.count == 3)
        // Repetitions (runner --repeat 2): 6 results of the plan's 3 cases.
        #expect(try ResultsMerge.merge(Self.shards(repeat: 2), commandLine: []).cases.count == 6)
        do {
            _ = try ResultsMerge.merge(Self.shards(drop: 1), commandLine: [])
            Issue.record("a shard with a case missing was merged")
        } catch let e as MergeError {
            #expect(e.message.contains("the shards hold 2 of the plan's 3 cases (missing plan positions: 1)"), "\(e.message)")
            #expect(e.message.contains("--force merges anyway"))
        }
        do {
            _ = try ResultsMerge.merge(Self.shards(drop: 1, interrupted: true), commandLine: [])
            Issue.record("an interrupted shard was merged")
        } catch let e as MergeError {
            #expect(e.message.contains("s2.json (shard 2/2) is incomplete: its run was interrupted (-x or a signal)"), "\(e.message)")
        }
        // Interrupted in the second round of --repeat 2: every id is there, a repetition is not.
        #expect(throws: MergeError.self) { try ResultsMerge.merge(Self.shards(drop: 1, interrupted: true, repeat: 2), commandLine: []) }
        #expect(try ResultsMerge.merge(Self.shards(drop: 1, interrupted: true), force: true, commandLine: []).cases.count == 2)
    }

    @Test("refused even with --force: a planIndex outside the plan (1e18, -7), a repetition below 1")
    func impossibleIndicesAreRefused() throws {
        for (index, text) in [(1_000_000_000_000_000_000, "1000000000000000000"), (-7, "-7"), (3, "3")] {
            var inputs = Self.shards()
            inputs[1].results.cases[0].planIndex = index
            #expect(throws: MergeError.self) { try ResultsMerge.merge(inputs, force: true, commandLine: []) }
            do { _ = try ResultsMerge.merge(inputs, force: true, commandLine: []) } catch let e as MergeError {
                #expect(e.message == "s2.json: case c/s/b has planIndex \(text), outside the plan's positions (0…2)")
            }
        }
        var inputs = Self.shards(repeat: 2)
        inputs[1].results.cases[0].repetition = 0
        #expect(throws: MergeError.self) { try ResultsMerge.merge(inputs, force: true, commandLine: []) }
    }

    @Test("merge keeps suite failures and sums suite durations; unit-level canonical order")
    func library() throws {
        func run(_ shard: Int, start: Double, cases: [(String, CaseStatus, Int)], failure: String? = nil) -> ResultsMerge.Input {
            let cs = cases.map {
                CaseResult(id: "c/s/\($0.0)", category: "c", suite: "s", test: $0.0, kind: "simple", status: $0.1, duration: 1, planIndex: $0.2)
            }
            let meta = RunMetadata(
                startTime: Date(timeIntervalSince1970: start), endTime: Date(timeIntervalSince1970: start + 5), duration: 5,
                host: "h\(shard)", os: "linux", gitRevision: "abc", commandLine: ["runner"],
                options: ["filters": ["c"], "shard": ["index": .int(shard), "count": 2, "planCases": 3, "planDigest": "d"]])
            let suite = SuiteResult(
                category: "c", name: "s", slug: "s", description: nil, status: failure == nil ? "passed" : "failed",
                duration: 2, workers: 1, failure: failure)
            return .init(
                name: "s\(shard)",
                results: RunResults(
                    run: meta, totals: Totals(counting: cs, suiteFailures: failure == nil ? 0 : 1),
                    suites: [suite], cases: cs))
        }
        let one = run(1, start: 100, cases: [("a", .passed, 0), ("c", .failed, 2)])
        let two = run(2, start: 90, cases: [("b", .passed, 1)], failure: "worker exited with status 99")
        let m = try ResultsMerge.merge([two, one], commandLine: ["analyzer", "merge"])
        #expect(m.cases.map(\.test) == ["a", "b", "c"])
        #expect(m.suites.count == 1 && m.suites[0].duration == 4 && m.suites[0].workers == 2)
        #expect(m.suites[0].failure == "worker exited with status 99")
        #expect(m.totals.suiteFailures == 1 && m.totals.failed == 1 && m.totals.passed == 2)
        #expect(m.run.startTime == Date(timeIntervalSince1970: 90))
        #expect(m.run.host == "h1,h2")
        #expect(try m.encoded() == ResultsMerge.merge([one, two], commandLine: ["analyzer", "merge"]).encoded())
    }
}
