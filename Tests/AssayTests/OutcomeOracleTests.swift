import Foundation
import Testing
@testable import AssayResults
#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The outcome oracle: every outcome a test can have (pass, failed check,
/// thrown error, thrown cancellation, crash, hang, skip, expected failure,
/// unexpected pass — fixtures in Tests/AssayFixtureRunner/OracleFixtures.swift)
/// in every execution mode, read back from the three places a run reports it:
/// the console (the closing lines and the per-case line), the JSON results
/// file and the JUnit file. Each must say the expected status, and the three
/// must agree with each other — per case and in their counts.
@Suite("outcome oracle")
struct OutcomeOracleTests {
    enum Mode: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case isolated, noIsolation = "no-isolation", task, thread, process
        var testDescription: String { rawValue }

        /// The filter selecting one outcome's case in this mode.
        func filter(_ outcome: String) -> String {
            switch self {
            case .isolated, .noIsolation: return "fixtures/oracle/\(outcome)"
            case .task, .thread, .process: return "fixtures/oracle-coordinated/\(outcome)<parallel=\(rawValue)>"
            }
        }

        var arguments: [String] { self == .noIsolation ? ["--no-isolation"] : [] }

        /// The outcomes this mode can contain. Under --no-isolation a crash
        /// takes the runner down: `noIsolationCrash` tests that defined behaviour.
        var outcomes: [String] {
            Self.allOutcomes.filter { !(self == .noIsolation && $0 == "crash") }
        }

        static let allOutcomes = ["pass", "fail", "throw", "cancel", "crash", "hang", "skip", "xfail", "xpass"]
    }

    /// What each outcome must be reported as, in every mode.
    static let expected: [String: CaseStatus] = [
        "pass": .passed, "fail": .failed, "throw": .failed, "cancel": .failed, "crash": .crashed,
        "hang": .timedOut, "skip": .skipped, "xfail": .expectedFail, "xpass": .unexpectedPass,
    ]

    /// One case as each report tells it.
    struct Reading: Equatable, CustomStringConvertible {
        var closingLine: CaseStatus?
        var caseLine: CaseStatus?
        var json: CaseStatus?
        var junit: CaseStatus?
        var agreed: CaseStatus? {
            Set([closingLine, caseLine, json, junit]).count == 1 ? json : nil
        }
        var description: String {
            "console \(closingLine?.rawValue ?? "?")/\(caseLine?.rawValue ?? "?") · JSON \(json?.rawValue ?? "?") · JUnit \(junit?.rawValue ?? "?")"
        }
    }

    /// The table (outcome × mode), filled as the modes run; printed by each mode.
    static func row(_ mode: Mode, _ outcome: String, _ r: Reading) -> String {
        let e = expected[outcome]!
        let mark = r.agreed == e ? "ok  " : "FAIL"
        return
            "\(mark) \(mode.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(outcome.padding(toLength: 7, withPad: " ", startingAt: 0)) expected \(e.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)) \(r)"
    }

    @Test("each outcome alone: console, JSON and JUnit say the expected status", arguments: Mode.allCases)
    func eachOutcome(mode: Mode) throws {
        var table: [String] = []
        for outcome in mode.outcomes {
            let id = Self.caseID(mode, outcome)
            let run = try OracleRun(mode.arguments + ["-f", mode.filter(outcome)])
            let reading = Reading(
                closingLine: run.singleStatusFromClosingLines(), caseLine: run.caseLineStatus(id),
                json: run.results.cases.first { $0.id == id }?.status, junit: run.junitStatus(id))
            table.append(Self.row(mode, outcome, reading))
            #expect(run.results.cases.count == 1, "\(mode) \(outcome): \(run.results.cases.map(\.id))")
            #expect(reading.agreed == Self.expected[outcome], "\(mode) \(outcome): \(reading)\n\(run.stdout)\n\(run.stderr)")
            #expect(run.status == (Self.expected[outcome]!.isFailure ? 1 : 0), "\(mode) \(outcome): exit \(run.status)")
            run.expectCountsAgree("\(mode) \(outcome)")
        }
        print("outcome oracle, mode \(mode.rawValue):\n" + table.joined(separator: "\n"))
    }

    @Test("all outcomes in one run: per-case statuses and the three reports' counts agree", arguments: Mode.allCases)
    func allTogether(mode: Mode) throws {
        let filter: [String]
        switch mode {
        case .isolated: filter = ["-f", "fixtures/oracle"]
        case .noIsolation: filter = ["-f", "fixtures/oracle", "--skip", "fixtures/oracle/crash"]
        default: filter = ["-f", "fixtures/oracle-coordinated/*<parallel=\(mode.rawValue)>"]
        }
        let run = try OracleRun(mode.arguments + filter)
        #expect(run.results.cases.count == mode.outcomes.count)
        for outcome in mode.outcomes {
            let id = Self.caseID(mode, outcome)
            let r = Reading(
                closingLine: run.results.cases.first { $0.id == id }?.status, caseLine: run.caseLineStatus(id),
                json: run.results.cases.first { $0.id == id }?.status, junit: run.junitStatus(id))
            #expect(r.agreed == Self.expected[outcome], "\(mode) \(outcome): \(r)")
        }
        run.expectCountsAgree("\(mode) together")
        #expect(run.status == 1)
    }

    @Test("--no-isolation: a crash ends the run with the crash's signal and writes no results file")
    func noIsolationCrash() throws {
        let json = Fixture.tempPath("crash.json"), junit = Fixture.tempPath("crash.xml")
        let r = try Fixture.run([
            "--no-isolation", "-f", "fixtures/oracle/{pass,crash}", "--json", json, "--junit", junit,
            "--verbosity", "5",
        ])
        // Foundation's Process reports a signal death as its number with reason uncaughtSignal;
        // Swift's fatalError is SIGILL (x86-64) or SIGTRAP (arm64).
        #expect([SIGILL, SIGTRAP].contains(r.status), "status \(r.status)\n\(r.stdout)\n\(r.stderr)")
        #expect(r.signaled)
        #expect(r.stdout.contains("PASS  fixtures/oracle/pass"))
        #expect(r.stderr.contains("oracle crash"))
        #expect(!FileManager.default.fileExists(atPath: json))
        #expect(!FileManager.default.fileExists(atPath: junit))
    }

    @Test("a suite failure (wrapper exits 99 after a passing case) is one more JUnit test case, so errors never exceed tests")
    func suiteFailureCounts() throws {
        let script = Fixture.tempPath("wrap99.sh")
        defer { try? FileManager.default.removeItem(atPath: script) }
        try "#!/bin/sh\n\"$@\"\nexit 99\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let run = try OracleRun(["-f", "fixtures/oracle/{pass,skip}", "--wrapper", script])
        #expect(run.results.totals.suiteFailures == 1)
        #expect(run.lines.last == "1 passed, 1 failed, 1 skipped")
        #expect(run.junitStatus("fixtures/oracle/pass") == .passed)
        #expect(run.testcases().contains { $0.attribute(forName: "name")?.stringValue == "(worker)" })
        run.expectCountsAgree("suite failure")
    }

    static func caseID(_ mode: Mode, _ outcome: String) -> String {
        switch mode {
        case .isolated, .noIsolation: return "fixtures/oracle/\(outcome)"
        default: return "fixtures/oracle-coordinated/\(outcome)<parallel=\(mode.rawValue)>"
        }
    }
}

/// One fixture-runner run with its three reports.
struct OracleRun {
    let status: Int32
    let stdout: String
    let stderr: String
    let results: RunResults
    let junit: XMLDocument

    init(_ args: [String], env: [String: String] = [:]) throws {
        let json = Fixture.tempPath("oracle.json"), xml = Fixture.tempPath("oracle.xml")
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: xml)
        }
        let r = try Fixture.run(args + ["--json", json, "--junit", xml, "--verbosity", "5"], env: env)
        status = r.status
        stdout = r.stdout
        stderr = r.stderr
        results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        junit = try XMLDocument(contentsOf: URL(fileURLWithPath: xml))
    }

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// The closing line `P passed, F failed, S skipped` and the breakdown line above it.
    func closingCounts() -> (passed: Int, failed: Int, skipped: Int, extra: [String: Int])? {
        guard let last = lines.last else { return nil }
        let nums = last.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ") }
        guard nums.count == 3, nums.allSatisfy({ $0.count == 2 }),
            nums.map({ String($0[1]) }) == ["passed", "failed", "skipped"],
            let p = Int(nums[0][0]), let f = Int(nums[1][0]), let s = Int(nums[2][0])
        else { return nil }
        var extra: [String: Int] = [:]
        let suffix = " (failed counts all but expected-fail)"
        if lines.count >= 2, lines[lines.count - 2].hasSuffix(suffix) {
            for part in lines[lines.count - 2].dropLast(suffix.count).split(separator: ",") {
                let w = part.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
                if w.count == 2, let n = Int(w[0]) { extra[String(w[1])] = n }
            }
        }
        return (p, f, s, extra)
    }

    /// For a one-case run: the status the closing lines describe (nil when they describe anything else).
    func singleStatusFromClosingLines() -> CaseStatus? {
        guard let c = closingCounts() else { return nil }
        let x = c.extra
        switch (c.passed, c.failed, c.skipped) {
        case (1, 0, 0) where x.isEmpty: return .passed
        case (0, 0, 1) where x.isEmpty: return .skipped
        case (0, 0, 0) where x == ["expected-fail": 1]: return .expectedFail
        case (0, 1, 0) where x.isEmpty: return .failed
        case (0, 1, 0) where x == ["crashed": 1]: return .crashed
        case (0, 1, 0) where x == ["timed-out": 1]: return .timedOut
        case (0, 1, 0) where x == ["unexpected-pass": 1]: return .unexpectedPass
        default: return nil
        }
    }

    /// The status label on the case's own console line (verbosity 5).
    func caseLineStatus(_ id: String) -> CaseStatus? {
        let labels: [String: CaseStatus] = [
            "PASS ": .passed, "FAIL ": .failed, "SKIP ": .skipped, "XFAIL": .expectedFail,
            "XPASS": .unexpectedPass, "TIME ": .timedOut, "CRASH": .crashed,
        ]
        let hits = lines.compactMap { line -> CaseStatus? in
            guard line.count > 6, let s = labels[String(line.prefix(5))] else { return nil }
            let rest = line.dropFirst(6)
            guard rest == id || rest.hasPrefix(id + " (") || rest.hasPrefix(id + " —") else { return nil }
            return s
        }
        return hits.count == 1 ? hits[0] : nil
    }

    func testcases() -> [XMLElement] {
        (try? junit.nodes(forXPath: "//testcase"))?.compactMap { $0 as? XMLElement } ?? []
    }

    /// The case's status as the JUnit file tells it: the child element and its type.
    func junitStatus(_ id: String) -> CaseStatus? {
        let parts = id.split(separator: "/", maxSplits: 2).map(String.init)
        let hits = testcases().filter { $0.attribute(forName: "name")?.stringValue == parts[2] }
        guard hits.count == 1, let tc = hits.first else { return nil }
        let children = (tc.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.name != "system-out" && $0.name != "system-err" }
        guard children.count <= 1 else { return nil }
        guard let child = children.first else { return .passed }
        let type = child.attribute(forName: "type")?.stringValue
        switch (child.name, type) {
        case ("skipped", nil): return .skipped
        case ("skipped", "expected-fail"?): return .expectedFail
        case ("failure", "failed"?): return .failed
        case ("failure", "unexpected-pass"?): return .unexpectedPass
        case ("error", "timed-out"?): return .timedOut
        case ("error", "crashed"?): return .crashed
        default: return nil
        }
    }

    func junitCount(_ name: String) -> Int? {
        junit.rootElement()?.attribute(forName: name)?.stringValue.flatMap { Int($0) }
    }

    /// The closing line, the JSON totals and the JUnit counters describe the same run.
    func expectCountsAgree(_ what: String) {
        guard let c = closingCounts() else {
            Issue.record("\(what): no closing line in\n\(stdout)")
            return
        }
        let t = results.totals
        #expect(t.cases == results.cases.count, "\(what)")
        #expect(c.passed == t.passed && c.failed == t.failures && c.skipped == t.skipped, "\(what): console \(c) vs JSON \(t)")
        #expect((c.extra["expected-fail"] ?? 0) == t.expectedFail, "\(what)")
        #expect(
            (c.extra["crashed"] ?? 0) == t.crashed && (c.extra["timed-out"] ?? 0) == t.timedOut
                && (c.extra["unexpected-pass"] ?? 0) == t.unexpectedPass, "\(what): \(c.extra) vs \(t)")
        guard let tests = junitCount("tests"), let failures = junitCount("failures"), let errors = junitCount("errors"),
            let skipped = junitCount("skipped")
        else {
            Issue.record("\(what): JUnit root counters missing")
            return
        }
        #expect(tests == testcases().count, "\(what): JUnit tests=\(tests) but \(testcases().count) <testcase>")
        #expect(errors + failures <= tests, "\(what)")
        #expect(tests - failures - errors - skipped == c.passed, "\(what): JUnit passed ≠ console")
        #expect(failures + errors == c.failed, "\(what): JUnit failures+errors ≠ console failed")
        #expect(skipped == c.skipped + (c.extra["expected-fail"] ?? 0), "\(what): JUnit skipped ≠ console skipped + expected-fail")
    }
}
