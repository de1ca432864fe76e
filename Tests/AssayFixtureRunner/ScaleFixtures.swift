import Assay
import Foundation
import Synchronization

/// Fixtures for `-j` slicing, sharding and scoped fixtures (Tests/AssayTests/{Slicing,Sharding,Fixture}Tests).
enum ScaleFixtures {
    /// Cases run by this process so far (suite `serial`).
    static let ranHere = Atomic<Int>(0)

    /// 200 cases that must run in one process, in plan order: case n checks it is the n-th case this
    /// process ran. Without `.serialized`, `-j 2` would deal them to two workers and `--shard` would
    /// cut them into parts (200 cases are more than a quarter of a shard's share in the tests).
    static let serial = Suite(
        "serial", category: "fixtures", description: "cases that depend on running in order in one worker",
        traits: [.serialized]
    ) {
        MatrixTest("in order", matrix: .inline(["n": (0..<200).map { AssayValue.int($0) }])) { ctx in
            let n = try ctx.int("n")
            let seen = ranHere.add(1, ordering: .relaxed).oldValue
            expectEqual(seen, n, "case n must be the n-th case of its worker")
            ctx.report(["pid": .int(Int(getpid()))])
        }
    }

    /// 200 cases that report their worker's pid (the slicing tests count the workers).
    static let spread = Suite("spread", category: "fixtures", description: "independent cases that -j may split across workers") {
        MatrixTest("pid", matrix: .inline(["n": (0..<200).map { AssayValue.int($0) }])) { ctx in
            ctx.report(["pid": .int(Int(getpid()))])
        }
    }

    // MARK: scoped fixtures

    /// A stand-in for a peer server: a child process that lives as long as the fixture.
    final class Peer: Sendable {
        let process: Process
        let serial: Int
        init(serial: Int) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sleep")
            p.arguments = ["300"]
            try p.run()
            process = p
            self.serial = serial
        }
        var pid: Int { Int(process.processIdentifier) }
        var isRunning: Bool { process.isRunning }
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static let setUps = Atomic<Int>(0)

    /// One line per event in `$ASSAY_FIXTURE_LOG`: `setup|teardown <scope> <worker pid> <peer pid>`.
    static func log(_ line: String) {
        guard let path = ProcessInfo.processInfo.environment["ASSAY_FIXTURE_LOG"] else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    static let peer = Fixture<Peer>(
        "peer", scope: .worker,
        setUp: {
            let p = try Peer(serial: setUps.add(1, ordering: .relaxed).newValue)
            log("setup worker \(getpid()) \(p.pid)")
            return p
        },
        tearDown: { p in
            p.stop()
            log("teardown worker \(getpid()) \(p.pid)")
        }, isUsable: { $0.isRunning })

    static let suitePeer = Fixture<Peer>(
        "suite peer", scope: .suite,
        setUp: {
            let p = try Peer(serial: 0)
            log("setup suite \(getpid()) \(p.pid)")
            return p
        },
        tearDown: { p in
            p.stop()
            log("teardown suite \(getpid()) \(p.pid)")
        })

    static let broken = Fixture<Int>("broken", setUp: { throw FixtureSetupFailure() })
    struct FixtureSetupFailure: Error, CustomStringConvertible { var description: String { "deliberate set-up failure" } }

    static func report(_ ctx: TestContext, _ p: Peer) {
        ctx.report(["worker": .int(Int(getpid())), "peer": .int(p.pid), "serial": .int(p.serial), "running": .bool(p.isRunning)])
    }

    /// A worker-scoped peer reused by its cases, replaced when broken, gone with a crashed worker.
    static let lifecycle = Suite(
        "fixture-lifecycle", category: "fixtures", description: "a worker-scoped peer fixture",
        traits: [.serialized]
    ) {
        Test("first") { ctx in report(ctx, try await peer.value()) }
        Test("reuses") { ctx in report(ctx, try await peer.value()) }
        Test("concurrent users share one") { ctx in
            async let a = peer.value(), b = peer.value()
            let (x, y) = try await (a, b)
            expect(x === y, "two concurrent users got the same value")
            report(ctx, x)
        }
        Test("breaks it") { ctx in
            let p = try await peer.value()
            report(ctx, p)
            p.stop()
        }
        Test("gets a working one") { ctx in report(ctx, try await peer.value()) }
        Test("set-up failure fails the case") { _ in _ = try await broken.value() }
        Test("crashes") { _ in
            _ = try await peer.value()
            if ProcessInfo.processInfo.environment["ASSAY_FIXTURE_NO_CRASH"] == nil { fatalError("deliberate crash with a fixture set up") }
        }
        Test("after the crash") { ctx in report(ctx, try await peer.value()) }
    }

    /// Two suites sharing the suite-scoped and worker-scoped fixtures (`--no-isolation` shows the scopes apart).
    static let scopesA = Suite("fixture-scope-a", category: "fixtures") {
        Test("uses both") { ctx in
            report(ctx, try await suitePeer.value())
            report(ctx, try await peer.value())
        }
    }
    static let scopesB = Suite("fixture-scope-b", category: "fixtures") {
        Test("uses both") { ctx in
            report(ctx, try await suitePeer.value())
            report(ctx, try await peer.value())
        }
    }

    static let all: [Suite] = [serial, spread, lifecycle, scopesA, scopesB]
}
