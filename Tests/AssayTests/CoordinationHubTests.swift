import Foundation
import Synchronization
import Testing
@testable import Assay

@Suite("coordination hub and selector")
struct CoordinationHubTests {
    let a0 = ParticipantID(role: "a", index: 0)
    let b0 = ParticipantID(role: "b", index: 0)
    let b1 = ParticipantID(role: "b", index: 1)

    @Test("events are latched and awaited per instance")
    func latched() async throws {
        let hub = CoordinationHub(counts: ["a": 1, "b": 2])
        hub.emit(from: b1, event: "ready", value: Data("7".utf8))
        let v = try await hub.awaitEvent(by: a0, from: b1, event: "ready", timeout: 1)
        #expect(String(decoding: v, as: UTF8.self) == "7")
        async let late = hub.awaitEvent(by: a0, from: b0, event: "ready", timeout: 120)
        try await Task.sleep(for: .milliseconds(20))
        hub.emit(from: b0, event: "ready", value: Data("3".utf8))
        #expect(String(decoding: try await late, as: UTF8.self) == "3")
    }

    @Test("a finished wait's timer does not keep the hub and its latched values alive")
    func timerReleasesHub() async throws {
        weak var released: CoordinationHub?
        do {
            let hub = CoordinationHub(counts: ["a": 1, "b": 1])
            released = hub
            let waiting = Task { try await hub.awaitEvent(by: a0, from: b0, event: "ready", timeout: 120) }
            try await Task.sleep(for: .milliseconds(20))
            hub.emit(from: b0, event: "ready", value: Data(#"{"host":"127.0.0.1","port":4433,"path":"/tmp/x"}"#.utf8))
            _ = try await waiting.value
        }
        // The wait's timer (cancelled, but still queued until its deadline) held the hub strongly before.
        #expect(released == nil)
    }

    @Test("a wait times out with a message naming the waiter, the event and the instance")
    func timeout() async throws {
        let hub = CoordinationHub(counts: ["a": 1, "b": 1])
        await #expect {
            _ = try await hub.awaitEvent(by: a0, from: b0, event: "never", timeout: 0.05)
        } throws: { e in
            guard case CoordinationError.timedOut(let m) = e else { return false }
            return m.contains("a[0]") && m.contains("'never'") && m.contains("b[0]")
        }
    }

    @Test("unknown roles and indices out of range are usage errors")
    func misuse() async throws {
        let hub = CoordinationHub(counts: ["a": 1, "b": 2])
        await #expect(throws: CoordinationError.self) { _ = try await hub.awaitEvent(by: a0, from: ParticipantID(role: "c", index: 0), event: "x", timeout: 1) }
        await #expect(throws: CoordinationError.self) { _ = try await hub.awaitEvent(by: a0, from: ParticipantID(role: "b", index: 2), event: "x", timeout: 1) }
    }

    @Test("a barrier waits for every participant, and a name can be reused")
    func barrier() async throws {
        let hub = CoordinationHub(counts: ["a": 1, "b": 2])
        let ids = [a0, b0, b1]
        let counter = Counter()
        try await withThrowingTaskGroup(of: Void.self) { g in
            for p in ids {
                g.addTask {
                    for round in 0..<3 {
                        counter.add(round)
                        try await hub.barrier(by: p, name: "step", timeout: 120)
                        // Nobody passes round r before all three arrived at it.
                        #expect(counter.count(round) == 3)
                    }
                }
            }
            try await g.waitForAll()
        }
    }

    @Test("a failure releases every pending wait with the failing participant's name")
    func failReleases() async throws {
        let hub = CoordinationHub(counts: ["a": 1, "b": 1])
        let w1 = Task { _ = try await hub.awaitEvent(by: a0, from: b0, event: "never", timeout: 30) }
        let w2 = Task { try await hub.barrier(by: b0, name: "never", timeout: 30) }
        try await Task.sleep(for: .milliseconds(20))
        hub.fail("b[0] threw X")
        for r in [await w1.result, await w2.result] {
            guard case .failure(CoordinationError.aborted(let m)) = r else { Issue.record("not aborted: \(r)"); continue }
            #expect(m == "b[0] threw X")
        }
        // Later waits throw at once.
        await #expect(throws: CoordinationError.self) { _ = try await hub.awaitEvent(by: a0, from: b0, event: "x", timeout: 30) }
    }

    @Test("selector: mode and counts override defaults; bad keys and values name the allowed ones")
    func selector() throws {
        let spec = CoordinatedSpec(
            roles: [Role("server") { _ in }, Role("client-host", count: 2) { _ in }],
            parallel: .task, gracefulTimeout: 5)
        let d = try spec.resolve([])
        #expect(d.mode == .task && d.counts == ["server": 1, "client-host": 2])
        let r = try spec.resolve([(key: "parallel", value: "thread"), (key: "server", value: "2"), (key: "client-host", value: "3")])
        #expect(r.mode == .thread && r.counts == ["server": 2, "client-host": 3])
        #expect(r.participants.map(\.description) == ["server[0]", "server[1]", "client-host[0]", "client-host[1]", "client-host[2]"])
        #expect(throws: SelectorError.self) { try spec.resolve([(key: "parallel", value: "fiber")]) }
        #expect(throws: SelectorError.self) { try spec.resolve([(key: "client", value: "2")]) }
        #expect(throws: SelectorError.self) { try spec.resolve([(key: "server", value: "0")]) }
        do { _ = try spec.resolve([(key: "parallel", value: "fiber")]) } catch {
            #expect(error.description.contains("task, thread, process"))
        }
        do { _ = try spec.resolve([(key: "client", value: "1")]) } catch {
            #expect(error.description.contains("parallel, placement, server, client-host"))
        }
    }
}

/// Arrivals per round (test helper).
final class Counter: Sendable {
    private let counts = Mutex<[Int: Int]>([:])
    func add(_ round: Int) { counts.withLock { $0[round, default: 0] += 1 } }
    func count(_ round: Int) -> Int { counts.withLock { $0[round, default: 0] } }
}
