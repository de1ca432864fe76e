import Foundation
import Testing
@testable import AssayResults

/// Coordinated tests end to end, through the fixture runner.
@Suite("coordinated tests")
struct CoordinatedTests {
    static func runJSON(_ args: [String], env: [String: String] = [:]) throws -> (Fixture.Run, RunResults) {
        let json = Fixture.tempPath("results.json")
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try Fixture.run(args + ["--json", json], env: env)
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        return (r, results)
    }

    static func int(_ v: JSONValue?) -> Int? { if case .int(let i)? = v { return i }; return nil }
    static func str(_ v: JSONValue?) -> String? { if case .string(let s)? = v { return s }; return nil }
    static func obj(_ v: JSONValue) -> [String: JSONValue] { if case .object(let o) = v { return o }; return [:] }

    /// Per report: role, index and the participant's own object.
    static func reports(_ c: CaseResult) -> [(role: String, index: Int, data: [String: JSONValue])] {
        c.data.map { entry in
            let o = obj(entry)
            return (str(o["role"]) ?? "?", int(o["index"]) ?? -1, obj(o["data"] ?? .null))
        }
    }

    static func alive(_ pid: Int) -> Bool { kill(pid_t(pid), 0) == 0 }

    /// No participant process, socket directory or scratch directory left behind.
    static func expectNoLeftovers(_ c: CaseResult) {
        for r in reports(c) {
            if let pid = int(r.data["pid"]), pid != 0 { #expect(!alive(pid), "\(r.role)[\(r.index)] pid \(pid) still alive") }
            if let dir = str(r.data["scratch"]) { #expect(!FileManager.default.fileExists(atPath: dir), "scratch \(dir) left") }
            if let ppid = int(r.data["ppid"]) {
                let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("assay-c\(ppid)-") }
                #expect(left.isEmpty, "socket directory left: \(left)")
            }
        }
    }

    @Test("the same participants pass in task, thread and process mode", arguments: ["task", "thread", "process"])
    func exchange(mode: String) throws {
        let (r, results) = try Self.runJSON(["-f", "fixtures/coordinated/exchange[size=3]<parallel=\(mode),client=3>"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let c = try #require(results.cases.first)
        #expect(c.id == "fixtures/coordinated/exchange[size=3]<parallel=\(mode),client=3>")
        #expect(c.kind == "coordinated" && c.status == .passed)
        #expect(c.participants == CoordinatedParticipants(mode: mode, counts: ["server": 1, "client": 3]))
        let reps = Self.reports(c)
        #expect(reps.count == 4)
        let server = try #require(reps.first { $0.role == "server" })
        #expect(server.data["sums"] == .array([0, 3, 6]))
        #expect(Self.str(server.data["mode"]) == mode)
        #expect(Set(reps.filter { $0.role == "client" }.map(\.index)) == [0, 1, 2])
        let pids = Set(reps.compactMap { Self.int($0.data["pid"]) })
        #expect(pids.count == (mode == "process" ? 4 : 1))
        if mode == "thread" {
            // Each participant on its own thread, and it stays there across awaits.
            let threads = reps.compactMap { Self.int($0.data["threadBefore"]) }
            #expect(Set(threads).count == 4)
            for rep in reps { #expect(rep.data["threadBefore"] == rep.data["threadAfter"]) }
        }
        if let dir = Self.str(server.data["scratch"]) { #expect(!FileManager.default.fileExists(atPath: dir)) }
    }

    @Test("a participant that throws fails the test by name and releases the others", arguments: ["task", "thread", "process"])
    func throwing(mode: String) throws {
        let (_, results) = try Self.runJSON(["-f", "fixtures/coordinated/participant throws<parallel=\(mode)>"])
        let c = try #require(results.cases.first)
        #expect(c.status == .failed)
        #expect(c.message?.contains("server[0] threw FixtureError") == true, "\(c.message ?? "")")
        // The client waited up to 120 s; it was released, far inside the test's 60 s timeout.
        #expect(c.duration < 60)
        Self.expectNoLeftovers(c)
    }

    @Test("a participant process that crashes makes the case crashed; no process or socket file is left")
    func crash() throws {
        let (_, results) = try Self.runJSON(["-f", "fixtures/coordinated/participant crashes<parallel=process,bystander=2>"])
        let c = try #require(results.cases.first)
        #expect(c.status == .crashed)
        #expect(c.message?.contains("victim[0] crashed") == true, "\(c.message ?? "")")
        #expect(c.message?.contains("deliberate participant crash") == true)
        #expect(c.duration < 60)
        #expect(Self.reports(c).filter { $0.role == "bystander" }.count == 2)
        Self.expectNoLeftovers(c)
    }

    @Test("a hung participant times the test out and is killed after the graceful timeout (process mode)")
    func hangProcess() throws {
        let (_, results) = try Self.runJSON(["-f", "fixtures/coordinated/participant hangs<parallel=process>"])
        let c = try #require(results.cases.first)
        #expect(c.status == .timedOut)
        #expect(c.message?.contains("killed after the graceful timeout of 1 s: sleeper[0]") == true, "\(c.message ?? "")")
        Self.expectNoLeftovers(c)
    }

    @Test("a hung task is abandoned; the worker is replaced and later cases still run")
    func hangTask() throws {
        let (_, results) = try Self.runJSON([
            "-f", "fixtures/coordinated/participant hangs<parallel=task>",
            "-f", "fixtures/coordinated/failed expectation<parallel=thread>",
        ])
        let hang = try #require(results.cases.first { $0.test == "participant hangs" })
        #expect(hang.status == .timedOut)
        #expect(hang.message?.contains("abandoned") == true && hang.message?.contains("sleeper[0]") == true)
        let next = try #require(results.cases.first { $0.test == "failed expectation" })
        #expect(next.status == .failed && next.message?.contains("index") == true)
        #expect(results.suites.first?.workers == 2)
    }

    @Test(
        "a wait that times out fails the test with the waiter's name; a failed expectation fails it too",
        arguments: ["task", "process"])
    func waitTimeout(mode: String) throws {
        let (_, results) = try Self.runJSON([
            "-f", "fixtures/coordinated/wait times out<parallel=\(mode)>",
            "-f", "fixtures/coordinated/failed expectation<parallel=\(mode)>",
        ])
        let w = try #require(results.cases.first { $0.test == "wait times out" })
        #expect(w.status == .failed)
        #expect(w.message?.contains("impatient[0]") == true && w.message?.contains("'hello' from quiet[0]") == true)
        let e = try #require(results.cases.first { $0.test == "failed expectation" })
        #expect(e.status == .failed)
        #expect(e.issues.contains { $0.message.contains("index") })
    }

    @Test("when the coordinator itself dies, its participants exit and its socket and scratch directories are removed")
    func coordinatorDies() throws {
        let notes = Fixture.tempPath("notes")
        try FileManager.default.createDirectory(atPath: notes, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: notes) }
        let (_, results) = try Self.runJSON(["-f", "fixtures/coordinated/coordinator dies"], env: ["ASSAY_FIXTURE_NOTES": notes])
        let c = try #require(results.cases.first)
        #expect(c.status == .crashed)
        let entries = try FileManager.default.contentsOfDirectory(atPath: notes)
        #expect(entries.count == 2)
        for name in entries {
            let f = try String(contentsOfFile: notes + "/" + name, encoding: .utf8).split(separator: " ")
            let pid = Int(f[0])!, worker = Int(f[1])!, scratch = String(f[2])
            // Participants notice their parent is gone within about a second.
            var waited = 0
            while Self.alive(pid) && waited < 50 { usleep(100_000); waited += 1 }
            #expect(!Self.alive(pid), "\(name) pid \(pid) is an orphan")
            #expect(!FileManager.default.fileExists(atPath: scratch))
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("assay-c\(worker)-") }
            #expect(left.isEmpty, "socket directory left: \(left)")
        }
    }

    @Test("a participant that throws SkipTest skips the case and releases the others", arguments: ["task", "process"])
    func skip(mode: String) throws {
        let (r, results) = try Self.runJSON(["-f", "fixtures/coordinated/skips at run time<parallel=\(mode)>"])
        #expect(r.status == 0)
        let c = try #require(results.cases.first)
        #expect(c.status == .skipped && c.message == "no network (fixture)")
        #expect(c.duration < 30)
    }

    @Test("a bad coordinated selector is a usage error naming the allowed values")
    func usage() throws {
        let mode = try Fixture.run(["-f", "fixtures/coordinated/exchange<parallel=fiber>"])
        #expect(mode.status == 2)
        #expect(mode.stderr.contains("allowed values: task, thread, process"))
        let role = try Fixture.run(["-f", "fixtures/coordinated/exchange<servers=2>"])
        #expect(role.status == 2)
        #expect(role.stderr.contains("allowed keys: parallel, placement, server, client"))
        let count = try Fixture.run(["-f", "fixtures/coordinated/exchange<client=many>"])
        #expect(count.status == 2)
    }

    @Test("--wrapper applies to participant processes")
    func wrapper() throws {
        let log = Fixture.tempPath("wrapper.log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let r = try Fixture.run([
            "-f", "fixtures/coordinated/exchange[size=1]<parallel=process>",
            "--wrapper", "env ASSAY_WRAP_LOG=\(log) /bin/sh -c 'echo x >> \"$ASSAY_WRAP_LOG\"; exec \"$@\"' wrap",
        ])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.count == 4)  // the suite worker and three participants
    }
}
