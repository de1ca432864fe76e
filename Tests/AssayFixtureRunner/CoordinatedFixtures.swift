import Assay
import Foundation

/// Coordinated tests exercising the harness: a passing exchange, and
/// participants that throw, crash, hang or time out in a wait. Run with
/// `<parallel=task|thread|process>` to pick the mode.
enum CoordinatedFixtures {
    struct Ready: Codable, Sendable {
        var path: String
        var size: Int
    }

    static func threadID() -> Int { Int(bitPattern: UInt(pthread_self())) }

    static func placementReport(_ p: ParticipantContext) -> JSONValue {
        let own = CPUAffinity.current() ?? []
        // A thread started by the participant (as NIO starts its event-loop thread).
        let child = ChildCPUs()
        Thread { child.record() }.start()
        child.done.wait()
        return .object([
            "cpus": .array(own.map { .int($0) }), "childCPUs": .array(child.cpus.map { .int($0) }),
            "pid": .int(Int(getpid())),
        ])
    }

    /// What a started thread saw; written once before `done` is signalled, read after.
    final class ChildCPUs: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private(set) var cpus: [Int] = []
        func record() {
            cpus = CPUAffinity.current() ?? []
            done.signal()
        }
    }

    static let suite = Suite("coordinated", category: "fixtures", description: "coordinated tests, good and bad") {
        CoordinatedTest(
            "exchange", matrix: .inline(["size": [1, 3]]),
            roles: [
                Role("server") { p in
                    let before = threadID()
                    try await p.emit(
                        "ready",
                        Ready(
                            path: p.scratchDirectory.appendingPathComponent("sock").path,
                            size: try p.int("size")))
                    let sums = try await p.awaitAll("client", "sum", as: Int.self, timeout: .seconds(20))
                    try await p.barrier("end", timeout: .seconds(20))
                    p.report([
                        "sums": .array(sums.map { .int($0) }), "mode": .string(p.mode.rawValue),
                        "clients": .int(p.count(of: "client")), "threadBefore": .int(before), "threadAfter": .int(threadID()),
                        "scratch": .string(p.scratchDirectory.path), "pid": .int(Int(getpid())),
                    ])
                },
                Role("client", count: 2) { p in
                    let before = threadID()
                    let ready = try await p.awaitOne("server", "ready", as: Ready.self, timeout: .seconds(20))
                    try require(FileManager.default.fileExists(atPath: p.scratchDirectory.path), "scratch directory exists")
                    try await p.emit("sum", p.index * ready.size)
                    try await p.barrier("end", timeout: .seconds(20))
                    p.report([
                        "path": .string(ready.path), "threadBefore": .int(before), "threadAfter": .int(threadID()),
                        "pid": .int(Int(getpid())),
                    ])
                },
            ], timeout: 30)

        // <placement=split>: each participant reports the CPUs it may run on — its own thread's, and
        // (thread mode) those of a thread it starts, which must inherit the pinning.
        CoordinatedTest(
            "placement",
            roles: [
                Role("server") { p in p.report(placementReport(p)) },
                Role("client-host") { p in p.report(placementReport(p)) },
            ], timeout: 30)

        CoordinatedTest(
            "participant throws",
            roles: [
                Role("server") { _ in
                    try await Task.sleep(for: .milliseconds(100))
                    throw FixtureError(assayCategory: "listen")
                },
                Role("client") { p in
                    p.report(["scratch": .string(p.scratchDirectory.path)])
                    try await p.awaitOne("server", "ready", timeout: .seconds(120))
                },
            ], timeout: 60, gracefulTimeout: 5)

        CoordinatedTest(
            "participant crashes",
            roles: [
                Role("victim") { p in
                    try await p.emit("started")
                    try await Task.sleep(for: .milliseconds(100))
                    fatalError("deliberate participant crash")
                },
                Role("bystander", count: 2) { p in
                    p.report(["scratch": .string(p.scratchDirectory.path), "pid": .int(Int(getpid())), "ppid": .int(Int(getppid()))])
                    try await p.awaitOne("victim", "never", timeout: .seconds(120))
                },
            ], parallel: .process, timeout: 60, gracefulTimeout: 5)

        CoordinatedTest(
            "participant hangs",
            roles: [
                Role("sleeper") { p in
                    p.report(["scratch": .string(p.scratchDirectory.path), "pid": .int(Int(getpid())), "ppid": .int(Int(getppid()))])
                    while true { usleep(20_000) }  // ignores cancellation
                },
                Role("waiter") { p in
                    try await p.awaitOne("sleeper", "never", timeout: .seconds(120))
                },
            ], parallel: .process, timeout: 2, gracefulTimeout: 1)

        CoordinatedTest(
            "wait times out",
            roles: [
                Role("quiet") { p in try await p.barrier("never reached", timeout: .seconds(30)) },
                Role("impatient") { p in try await p.awaitOne("quiet", "hello", timeout: .milliseconds(300)) },
            ], timeout: 30, gracefulTimeout: 2)

        // The coordinator (suite worker) itself dies: a participant kills it.
        // Participants note their pid, parent and scratch directory in
        // $ASSAY_FIXTURE_NOTES (reports cannot reach a dead coordinator).
        CoordinatedTest(
            "coordinator dies",
            roles: [
                Role("assassin") { p in
                    note(p)
                    try await p.barrier("noted", timeout: .seconds(30))
                    kill(getppid(), SIGKILL)
                    try await Task.sleep(for: .seconds(60))
                },
                Role("bystander") { p in
                    note(p)
                    try await p.barrier("noted", timeout: .seconds(30))
                    try await p.awaitOne("assassin", "never", timeout: .seconds(120))
                },
            ], parallel: .process, timeout: 60)

        CoordinatedTest(
            "skips at run time",
            roles: [
                Role("server") { p in
                    try await p.awaitOne("client", "never", timeout: .seconds(60))
                },
                Role("client") { _ in throw SkipTest("no network (fixture)") },
            ], timeout: 30)

        CoordinatedTest(
            "failed expectation",
            roles: [
                Role("checker") { p in expectEqual(p.index, 1, "index") },
                Role("other") { _ in },
            ], timeout: 30)
    }

    static func note(_ p: ParticipantContext) {
        guard let dir = ProcessInfo.processInfo.environment["ASSAY_FIXTURE_NOTES"] else { return }
        let text = "\(getpid()) \(getppid()) \(p.scratchDirectory.path)"
        try? text.write(toFile: dir + "/\(p.role)-\(p.index)", atomically: true, encoding: .utf8)
    }
}
