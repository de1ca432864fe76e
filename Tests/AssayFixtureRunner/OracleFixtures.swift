import Assay
import Foundation

/// The outcome oracle's fixtures (Tests/AssayTests/OutcomeOracleTests.swift):
/// one test per outcome — pass, a failed check, a thrown plain error, a thrown
/// cancellation, a crash (signal), a hang that ignores cancellation, a run-time
/// skip, an expected failure and an unexpected pass — once as simple tests
/// (`fixtures/oracle`) and once as coordinated tests whose `actor` participant
/// does the outcome (`fixtures/oracle-coordinated`, run with `<parallel=…>`).
enum OracleFixtures {
    struct OracleError: Error, CustomStringConvertible {
        var description: String { "oracle plain error" }
    }

    /// Blocks the thread forever, ignoring cancellation (a non-cooperative hang).
    static func hangForever() -> Never {
        while true { usleep(20_000) }
    }

    static let suite = Suite("oracle", category: "fixtures", description: "one test per outcome (outcome oracle)") {
        Test("pass") { _ in expect(1 + 1 == 2) }
        Test("fail") { _ in expectEqual(2 + 2, 5, "oracle check") }
        Test("throw") { _ in throw OracleError() }
        Test("cancel") { _ in throw CancellationError() }
        Test("crash") { _ in fatalError("oracle crash") }
        Test("hang", timeout: 1) { _ in hangForever() }
        Test("skip") { _ in throw SkipTest("oracle skip") }
        Test("xfail", expectedFail: "oracle known bug") { _ in expectEqual(1, 2, "oracle check") }
        Test("xpass", expectedFail: "oracle bug that is fixed") { _ in expect(true) }
    }

    /// `actor` does the outcome after `peer` has seen it start.
    static func coordinated(
        _ name: String, timeout: Double = 30, expectedFail: String? = nil,
        _ body: @escaping ParticipantBody
    ) -> CoordinatedTest {
        CoordinatedTest(
            name,
            roles: [
                Role("actor") { p in
                    try await p.emit("started")
                    try await p.barrier("seen", timeout: .seconds(20))
                    try await body(p)
                },
                Role("peer") { p in
                    try await p.awaitOne("actor", "started", timeout: .seconds(20))
                    try await p.barrier("seen", timeout: .seconds(20))
                },
            ], timeout: timeout, gracefulTimeout: 1, expectedFail: expectedFail)
    }

    static let coordinatedSuite = Suite(
        "oracle-coordinated", category: "fixtures",
        description: "one coordinated test per outcome (outcome oracle)"
    ) {
        coordinated("pass") { _ in expect(1 + 1 == 2) }
        coordinated("fail") { _ in expectEqual(2 + 2, 5, "oracle check") }
        coordinated("throw") { _ in throw OracleError() }
        coordinated("cancel") { _ in throw CancellationError() }
        coordinated("crash") { _ in fatalError("oracle crash") }
        coordinated("hang", timeout: 2) { _ in hangForever() }
        coordinated("skip") { _ in throw SkipTest("oracle skip") }
        coordinated("xfail", expectedFail: "oracle known bug") { _ in expectEqual(1, 2, "oracle check") }
        coordinated("xpass", expectedFail: "oracle bug that is fixed") { _ in expect(true) }
    }
}

/// A case that runs for a long time (cooperatively): the interrupt test
/// sends SIGINT while it runs. Notes its pid and scratch directory in
/// $ASSAY_FIXTURE_NOTES so the test can check both are gone.
enum SlowFixture {
    static let suite = Suite("slow", category: "fixtures", description: "a long case (interrupt tests)") {
        Test("sleeps", timeout: 300) { ctx in
            let scratch = try ctx.scratchDirectory()
            if let dir = ProcessInfo.processInfo.environment["ASSAY_FIXTURE_NOTES"] {
                try "\(getpid()) \(scratch)".write(toFile: dir + "/slow", atomically: true, encoding: .utf8)
            }
            try await Task.sleep(for: .seconds(240))
        }
        // Runs only if a worker is started after the interrupt killed the first one (it must not be).
        Test("sleeps again", timeout: 300) { ctx in
            let scratch = try ctx.scratchDirectory()
            if let dir = ProcessInfo.processInfo.environment["ASSAY_FIXTURE_NOTES"] {
                try "\(getpid()) \(scratch)".write(toFile: dir + "/slow-again", atomically: true, encoding: .utf8)
            }
            try await Task.sleep(for: .seconds(240))
        }
    }
}
