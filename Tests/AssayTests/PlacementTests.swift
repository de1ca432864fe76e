import Assay
import AssayResults
import Foundation
import Testing

/// `<placement=split>`: servers and client-hosts pinned to disjoint halves of the CPUs.
@Suite("CPU placement")
struct PlacementTests {
    static func cpus(_ v: JSONValue?) -> [Int] {
        if case .array(let a)? = v { return a.compactMap { CoordinatedTests.int($0) } }
        return []
    }

    @Test("split pins the first role and the others to disjoint CPU sets", arguments: ["thread", "process"])
    func split(mode: String) throws {
        let all = try #require(CPUAffinity.current())
        try #require(all.count >= 2, "needs 2 CPUs")
        let (r, results) = try CoordinatedTests.runJSON(["-f", "fixtures/coordinated/placement<parallel=\(mode),placement=split>"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let c = try #require(results.cases.first)
        #expect(c.coordination["placement"] == "split")
        let reps = CoordinatedTests.reports(c)
        let server = try #require(reps.first { $0.role == "server" })
        let host = try #require(reps.first { $0.role == "client-host" })
        let s = Self.cpus(server.data["cpus"]), h = Self.cpus(host.data["cpus"])
        #expect(s == Array(all[..<(all.count / 2)]))
        #expect(h == Array(all[(all.count / 2)...]))
        #expect(Set(s).isDisjoint(with: h))
        // Threads the participant starts (its event loop) inherit the mask.
        #expect(Self.cpus(server.data["childCPUs"]) == s)
        #expect(Self.cpus(host.data["childCPUs"]) == h)
    }

    @Test("without placement nothing is pinned")
    func shared() throws {
        let all = try #require(CPUAffinity.current())
        let (r, results) = try CoordinatedTests.runJSON(["-f", "fixtures/coordinated/placement<parallel=thread>"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        for rep in CoordinatedTests.reports(try #require(results.cases.first)) {
            #expect(Self.cpus(rep.data["cpus"]) == all)
        }
    }

    @Test("split in task mode and unknown placements are usage errors")
    func refused() throws {
        let task = try Fixture.run(["-f", "fixtures/coordinated/placement<parallel=task,placement=split>"])
        #expect(task.status == 2)
        #expect(task.stderr.contains("placement=split needs parallel=thread or parallel=process"))
        let bad = try Fixture.run(["-f", "fixtures/coordinated/placement<parallel=thread,placement=diagonal>"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("allowed values: shared, split"))
    }
}
