import Foundation
import Testing
@testable import Assay
@testable import AssayResults

/// `runner --shard K/N`: disjoint shards whose union is the plan, balanced, deterministic.
@Suite("--shard K/N")
struct ShardingTests {
    static let filter = "fixtures/{basics,serial,spread,trivial,xpass}"

    static func dryRun(_ extra: [String], filters: [String] = ["-f", filter]) throws -> (Fixture.Run, [String]) {
        let r = try Fixture.run(filters + ["--dry-run", "--verbosity", "5"] + extra)
        return (r, Binaries.plannedIDs(r.stdout))
    }

    @Test("for N = 1…4 the shards are disjoint and together exactly the plan; a .serialized suite stays whole", arguments: [1, 2, 3, 4])
    func partition(n: Int) throws {
        let (full, all) = try Self.dryRun([])
        #expect(full.status == 0)
        #expect(all.count == 29 + 200 + 200 + 1000 + 1)
        var union: [String] = []
        for k in 1...n {
            let (r, ids) = try Self.dryRun(["--shard", "\(k)/\(n)"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("shard \(k)/\(n): \(ids.count) of \(all.count) cases"), "\(r.stdout.prefix(200))")
            let serial = ids.filter { $0.hasPrefix("fixtures/serial/") }.count
            #expect(serial == 0 || serial == 200, "shard \(k)/\(n) has \(serial) of the 200 serialized cases")
            if n > 1 { #expect(ids.count < all.count) }
            union += ids
        }
        #expect(union.count == all.count, "disjoint")
        #expect(Set(union) == Set(all), "union is the plan")
    }

    @Test("balanced by case count: no shard is more than one chunk above the ideal share")
    func balance() throws {
        let big = Suite("big", category: "t") { MatrixTest("m", matrix: .inline(["n": (0..<1000).map { AssayValue.int($0) }])) { _ in } }
        let small = Suite("small", category: "t") {
            Test("a") { _ in }; Test("b") { _ in }
        }
        let p = try plan([big, small])
        let shards = Sharding.assign(p, count: 4, durations: nil)
        let sizes = shards.map { $0.reduce(0) { $0 + $1.cases.count } }
        #expect(sizes.reduce(0, +) == 1002)
        // Chunks cost at most a quarter of the ideal 250.5 cases.
        #expect(sizes.max()! - sizes.min()! <= 63, "\(sizes)")
    }

    @Test("--durations balances by recorded time: four slow cases go to four different shards")
    func durations() throws {
        let s = Suite("s", category: "t") { MatrixTest("m", matrix: .inline(["n": (0..<100).map { AssayValue.int($0) }])) { _ in } }
        let p = try plan([s])
        let ids = p.suites[0].cases.map(\.id)
        // Cases 0, 16, 32 and 48 took 10 s each, the rest 0.01 s. (By case count, every 16th case
        // lands in the same chunk: these four would share a shard.)
        let slow: Set = [0, 16, 32, 48]
        var d: [String: Double] = [:]
        for (i, id) in ids.enumerated() { d[id] = slow.contains(i) ? 10 : 0.01 }
        let shards = Sharding.assign(p, count: 4, durations: d)
        let slowPerShard = shards.map { $0.flatMap(\.cases).filter { slow.contains($0) }.count }
        #expect(slowPerShard == [1, 1, 1, 1], "\(slowPerShard)")
        let costs = shards.map { $0.reduce(0) { $0 + $1.cost } }
        #expect(costs.max()! - costs.min()! < 0.5, "\(costs)")
        // By case count the same plan puts neighbouring (slow) cases together.
        let byCount = Sharding.assign(p, count: 4, durations: nil).map { $0.flatMap(\.cases).filter { slow.contains($0) }.count }
        #expect(byCount != [1, 1, 1, 1], "the durations file is what spreads them: \(byCount)")
        // Deterministic: the same inputs give the same assignment.
        #expect(Sharding.assign(p, count: 4, durations: d).map { $0.map(\.cases) } == shards.map { $0.map(\.cases) })
    }

    @Test("--durations FILE through the CLI, and ASSAY_SHARD / ASSAY_DURATIONS")
    func durationsFile() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prev = try Fixture.run(["-f", "fixtures/{spread,xpass}", "--json", dir + "/prev.json", "--verbosity", "0"])
        #expect(prev.status == 1)  // xpass fails on purpose
        let (a, ids) = try Self.dryRun(["--shard", "1/2", "--durations", dir + "/prev.json"], filters: ["-f", "fixtures/{spread,xpass}"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("balanced by durations"), "\(a.stdout.prefix(300))")
        let env = try Fixture.run(
            ["-f", "fixtures/{spread,xpass}", "--dry-run", "--verbosity", "5"],
            env: ["ASSAY_SHARD": "1/2", "ASSAY_DURATIONS": dir + "/prev.json"])
        #expect(Binaries.plannedIDs(env.stdout) == ids)
    }

    @Test(
        "bad --shard / --durations exit 2 with a message",
        arguments: [
            (["--shard", "0/4"], "K must be 1…N"), (["--shard", "5/4"], "K must be 1…N"), (["--shard", "2"], "takes K/N"),
            (["--shard", "1/0"], "N must be"), (["--durations", "x.json"], "needs --shard"),
            (["--shard", "1/2", "--durations", "/nonexistent/prev.json"], "cannot read"),
        ])
    func badInput(args: [String], message: String) throws {
        let r = try Fixture.run(["-f", "fixtures/basics", "--dry-run"] + args)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("more shards than cases: the empty shard runs nothing and succeeds")
    func emptyShard() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Fixture.run(["-f", "fixtures/xpass", "--shard", "2/3", "--json", dir + "/e.json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.lastLine == "0 passed, 0 failed, 0 skipped")
        #expect(try Binaries.results(dir + "/e.json").cases.isEmpty)
    }
}
