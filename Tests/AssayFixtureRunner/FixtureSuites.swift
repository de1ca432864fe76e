import Assay
import Foundation

/// Error with a category, as JSec's error type will be.
struct FixtureError: AssayCategorizedError, CustomStringConvertible {
    let assayCategory: String
    var description: String { "fixture error (\(assayCategory))" }
}

/// Suites that exercise the harness itself. Some fail, crash or hang on
/// purpose: they live here, never in Suites/.
enum FixtureSuites {
    static let basics = Suite("basics", category: "fixtures", description: "passing, failing, skipped and expected-fail tests") {
        Test("passes") { _ in
            expect(1 + 1 == 2)
            expectEqual("a", "a")
        }
        Test("fails with values") { _ in
            expectEqual(2 + 2, 5, "arithmetic")
        }
        Test("expected to fail", expectedFail: "known bug #1") { _ in
            expectEqual(1, 2)
        }
        Test("skipped", skip: "not on this platform") { _ in fatalError("must not run") }
        Test("skips at run time") { _ in throw SkipTest("no network") }
        Test("throws categorized") { _ in
            expectThrows(category: "handshake") { throw FixtureError(assayCategory: "handshake") }
        }
        Test("reports data", tags: ["data"]) { ctx in
            ctx.report(["bytes": 42, "role": "client"])
            let dir = try ctx.scratchDirectory()
            try require(FileManager.default.fileExists(atPath: dir))
        }
        MatrixTest(
            "inline", matrix: .inline(["transport": ["tcp", "unix"], "size": [0, 1, 16384]]),
            skipCases: [.when(["transport": "unix", "size": 16384], reason: "too big for unix (fixture)")],
            ensured: [["transport": "tcp", "size": 1]]
        ) { ctx in
            let n = try ctx.int("size")
            let t = try ctx.string("transport")
            try require(n >= 0 && !t.isEmpty)
        }
        MatrixTest("named", matrix: .named("fixture-main")) { ctx in
            _ = try ctx.string("transport")
            _ = try ctx.bool("fast")
            if try !ctx.isNone("level") { _ = try ctx.int("level") }
        }
        MatrixGroup("group", matrix: .inline(["mode": ["a", "b"]])) {
            Test("first") { ctx in try expect(ctx.string("mode").count == 1) }
            Test("second", skipCases: [.predicate { c in c["mode"] == "b" ? "second skips b" : nil }]) { _ in }
        }
    }

    static let xpass = Suite("xpass", category: "fixtures") {
        Test("passes unexpectedly", expectedFail: "should fail but does not") { _ in }
    }

    static let crash = Suite("crash", category: "fixtures", description: "a case that crashes the worker") {
        Test("before") { _ in }
        Test("boom") { _ in
            let crash = ProcessInfo.processInfo.environment["ASSAY_FIXTURE_NO_CRASH"] == nil
            if crash { fatalError("deliberate crash") }
        }
        Test("after") { _ in }
    }

    static let hang = Suite("hang", category: "fixtures", description: "cases that exceed their timeouts", timeout: 1) {
        Test("cooperative sleep") { _ in try await Task.sleep(for: .seconds(600)) }
        Test("blocks") { _ in while true { usleep(50_000) } }
        Test("after") { _ in }
    }

    /// The worker stops itself (SIGSTOP): only the parent's watchdog can end it.
    static let freeze = Suite("freeze", category: "fixtures", description: "a worker that stops responding", timeout: 1) {
        Test("stops the process") { _ in raise(SIGSTOP) }
        Test("after") { _ in }
    }

    static let trivial = Suite("trivial", category: "fixtures", description: "many trivial cases (worker overhead)") {
        MatrixTest("noop", matrix: .inline(["n": (0..<1000).map { AssayValue.int($0) }])) { _ in }
    }

    /// 100 × 100 × 10 = 100,000 cases: planning speed (use with --dry-run).
    static let big = Suite("big", category: "fixtures", description: "100,000 matrix cases (planning speed)") {
        MatrixTest(
            "grid",
            matrix: .inline([
                "a": (0..<100).map { AssayValue.int($0) }, "b": (0..<100).map { AssayValue.int($0) },
                "c": ["x", "y", "z", "w", "v", "u", "t", "s", "r", "q"],
            ]), skipCases: [.when(["c": "q"], reason: "q is skipped")]
        ) { _ in }
    }

    /// `--retries`: a test that fails its first attempt in a process, one that always fails.
    static let retry = Suite("retry", category: "fixtures", description: "flaky and always-failing tests (--retries)") {
        Test("fails once") { _ in
            if AttemptCounter.shared.next("fails once") == 1 { expectEqual(1, 2, "first attempt") }
        }
        Test("always fails") { _ in expectEqual(1, 2, "every attempt") }
        Test("passes") { _ in }
    }

    static let all: [Suite] =
        [
            basics, xpass, crash, hang, freeze, trivial, big, CoordinatedFixtures.suite,
            OracleFixtures.suite, OracleFixtures.coordinatedSuite, SlowFixture.suite, RepeatFixtures.suite, retry,
        ]
        + ScaleFixtures.all
}
