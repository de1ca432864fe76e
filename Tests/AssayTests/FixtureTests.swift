import Foundation
import Testing
@testable import AssayResults

/// Scoped fixtures (Tests/AssayFixtureRunner/ScaleFixtures.swift): a peer set up once per worker,
/// reused, replaced when broken, torn down at the end, and never inherited from a crashed worker.
@Suite("fixtures: worker- and suite-scoped values")
struct FixtureTests {
    struct Seen { var worker: Int; var peer: Int; var serial: Int; var running: Bool }

    static func seen(_ r: RunResults, _ test: String) -> [Seen] {
        (r.cases.first { $0.test == test }?.data ?? []).compactMap { d in
            guard case .object(let o) = d, case .int(let w)? = o["worker"], case .int(let p)? = o["peer"],
                case .int(let s)? = o["serial"], case .bool(let run)? = o["running"]
            else { return nil }
            return Seen(worker: w, peer: p, serial: s, running: run)
        }
    }

    static func log(_ path: String) -> [[String]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    static func alive(_ pid: Int) -> Bool {
        // A zombie still answers kill(0); /proc tells: gone or state Z counts as dead.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }

    @Test("a worker's peer is set up once, reused, replaced when broken, torn down at the end; a crash does not leak it")
    func lifecycle() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/fixture.log"
        let r = try Fixture.run(["-f", "fixtures/fixture-lifecycle", "--json", dir + "/r.json"], env: ["ASSAY_FIXTURE_LOG": log])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let res = try Binaries.results(dir + "/r.json")
        func status(_ t: String) -> CaseStatus? { res.cases.first { $0.test == t }?.status }
        #expect(status("crashes") == .crashed)
        #expect(status("set-up failure fails the case") == .failed)
        #expect(
            res.cases.first { $0.test == "set-up failure fails the case" }?.message?
                .contains("fixture 'broken' could not be set up: deliberate set-up failure") == true)
        for t in ["first", "reuses", "concurrent users share one", "breaks it", "gets a working one", "after the crash"] {
            #expect(status(t) == .passed, "\(t)")
        }
        let first = try #require(Self.seen(res, "first").first)
        let reuses = try #require(Self.seen(res, "reuses").first)
        let concurrent = try #require(Self.seen(res, "concurrent users share one").first)
        let broke = try #require(Self.seen(res, "breaks it").first)
        let fresh = try #require(Self.seen(res, "gets a working one").first)
        let after = try #require(Self.seen(res, "after the crash").first)
        // Set up once, then reused by the next cases of the worker.
        #expect(first.serial == 1 && first.running)
        #expect(reuses.peer == first.peer && concurrent.peer == first.peer && broke.peer == first.peer)
        // A broken peer (killed by the case before) is replaced, not handed on.
        #expect(fresh.worker == first.worker && fresh.peer != first.peer && fresh.running && fresh.serial == 2)
        // After the crash: a new worker, a new peer.
        #expect(after.worker != first.worker && after.peer != fresh.peer && after.running && after.serial == 1)

        let events = Self.log(log)
        let setups = events.filter { $0.first == "setup" }, teardowns = events.filter { $0.first == "teardown" }
        #expect(setups.count == 3, "\(events)")  // first, its replacement, the new worker's
        // Torn down: the broken one (when replaced) and the last worker's (at its end). The crashed
        // worker's peer had no tear-down, but it died with the worker's process group.
        #expect(Set(teardowns.map { $0[3] }) == [String(first.peer), String(after.peer)], "\(events)")
        for s in setups { #expect(!Self.alive(Int(s[3])!), "peer \(s[3]) outlived its worker: \(events)") }
    }

    @Test("--no-isolation: a suite-scoped value ends with its suite, a worker-scoped one with the run")
    func scopes() throws {
        let dir = try Binaries.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/fixture.log"
        let r = try Fixture.run(["-f", "fixtures/fixture-scope-{a,b}", "--no-isolation"], env: ["ASSAY_FIXTURE_LOG": log])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let events = Self.log(log).map { "\($0[0]) \($0[1])" }
        #expect(events == ["setup suite", "setup worker", "teardown suite", "setup suite", "teardown suite", "teardown worker"], "\(events)")
        // Isolated, each suite is its own worker: both scopes end with it.
        let isolated = dir + "/isolated.log"
        let r2 = try Fixture.run(["-f", "fixtures/fixture-scope-{a,b}"], env: ["ASSAY_FIXTURE_LOG": isolated])
        #expect(r2.status == 0)
        let perWorker = Dictionary(grouping: Self.log(isolated), by: { $0[2] }).mapValues { $0.map { "\($0[0]) \($0[1])" } }
        #expect(perWorker.count == 2)
        for (_, events) in perWorker {
            #expect(events == ["setup suite", "setup worker", "teardown worker", "teardown suite"], "\(perWorker)")
        }
    }
}
