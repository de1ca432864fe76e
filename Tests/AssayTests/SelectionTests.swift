import Foundation
import Testing
@testable import AssayResults

/// --tag, --failed-from, --last-failed and --version through the CLI.
@Suite("selection and reruns")
struct SelectionTests {
    static func ids(_ r: Fixture.Run) -> [String] {
        r.stdout.split(separator: "\n").compactMap { line in
            let l = String(line)
            // Case lines have the 5-character label and a space ("FAIL  id"); suite lines do not ("FAIL fixtures/…:").
            guard l.count > 6, Array(l)[5] == " ",
                ["PASS ", "FAIL ", "SKIP ", "XFAIL", "XPASS", "TIME ", "CRASH"].contains(String(l.prefix(5)))
            else { return nil }
            let rest = l.dropFirst(6)
            return String(rest.split(separator: " (").first!.split(separator: " —").first!)
        }.sorted()
    }

    @Test("--tag runs only the tagged tests; with -f both must select; an unknown tag is a usage error")
    func tag() throws {
        let r = try Fixture.run(["--tag", "data", "--verbosity", "5"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(Self.ids(r) == ["fixtures/basics/reports data"])
        let both = try Fixture.run(["--tag", "data", "-f", "fixtures/basics/reports*", "-f", "fixtures/basics/passes", "--verbosity", "5"])
        #expect(Self.ids(both) == ["fixtures/basics/reports data"])
        let none = try Fixture.run(["--tag", "no-such-tag"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no selected test has the tag no-such-tag"))
    }

    @Test("--failed-from runs exactly the failed cases of a results file (coordinated ids too); --last-failed the previous run's")
    func failedFrom() throws {
        let dir = Fixture.tempPath("lf")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["ASSAY_LAST_RESULTS": dir + "/last.json"]
        let first = try Fixture.run(
            [
                "-f", "fixtures/oracle/{pass,fail,xfail,xpass,skip}",
                "-f", "fixtures/oracle-coordinated/{fail,pass}<parallel=thread>", "--json", dir + "/prev.json",
            ], env: env)
        #expect(first.status == 1)
        let expected = ["fixtures/oracle-coordinated/fail<parallel=thread>", "fixtures/oracle/fail", "fixtures/oracle/xpass"]
        let again = try Fixture.run(["--failed-from", dir + "/prev.json", "--verbosity", "5"], env: env)
        #expect(Self.ids(again) == expected, "\(again.stdout)\(again.stderr)")
        // The rerun was itself recorded: --last-failed now repeats the same three.
        let last = try Fixture.run(["--last-failed", "--verbosity", "5"], env: env)
        #expect(Self.ids(last) == expected, "\(last.stdout)\(last.stderr)")
        // With -f, both must select.
        let narrowed = try Fixture.run(["--failed-from", dir + "/prev.json", "-f", "fixtures/oracle", "--verbosity", "5"], env: env)
        #expect(Self.ids(narrowed) == ["fixtures/oracle/fail", "fixtures/oracle/xpass"])
        // A passing run leaves nothing for --last-failed.
        _ = try Fixture.run(["-f", "fixtures/oracle/pass"], env: env)
        let nothing = try Fixture.run(["--last-failed"], env: env)
        #expect(nothing.status == 0 && nothing.stdout.contains("no case failed in \(dir)/last.json: nothing to run"))
        let missing = try Fixture.run(["--failed-from", dir + "/absent.json"], env: env)
        #expect(missing.status == 2 && missing.stderr.contains("--failed-from \(dir)/absent.json: cannot read it (no such file)"))
    }

    @Test("-x stops at the first failure: workers killed, finished cases written (run interrupted), exit 1")
    func failFast() throws {
        let dir = Fixture.tempPath("x")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Without -x this run takes 240 s: fixtures/slow/sleeps sleeps that long.
        let r = try Fixture.run(["-x", "-j", "2", "-f", "fixtures/basics", "-f", "fixtures/slow", "--json", dir + "/r.json"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("stopping at the first failure (-x): fixtures/basics/"), "\(r.stderr)")
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r.json")))
        #expect(results.run.interrupted == true)
        #expect(results.cases.contains { $0.status.isFailure && $0.suite == "basics" })
        #expect(!results.cases.contains { $0.suite == "slow" }, "the slow case was stopped, not finished")
        // Without -x, the same failure does not stop the run (the slow case is left out to keep it short).
        let all = try Fixture.run(["-j", "1", "-f", "fixtures/basics", "-f", "fixtures/oracle/pass", "--json", dir + "/all.json"])
        #expect(all.status == 1)
        #expect(try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/all.json"))).cases.contains { $0.id == "fixtures/oracle/pass" })
    }

    static func plannedIDs(_ r: Fixture.Run) -> [String] {
        r.stdout.split(separator: "\n").filter { $0.hasPrefix("    ") }.map { String($0.dropFirst(4).split(separator: "  ").first!) }
    }

    @Test("--shuffle: another order, the same cases; the same seed gives the same order; the seed is printed")
    func shuffle() throws {
        let base = ["--dry-run", "--verbosity", "5", "-f", "fixtures/basics", "-f", "fixtures/oracle"]
        let plain = Self.plannedIDs(try Fixture.run(base))
        let a = Self.plannedIDs(try Fixture.run(base + ["--shuffle", "--seed", "7"]))
        let b = Self.plannedIDs(try Fixture.run(base + ["--shuffle", "--seed", "7"]))
        let c = Self.plannedIDs(try Fixture.run(base + ["--shuffle", "--seed", "8"]))
        #expect(plain.count > 10)
        #expect(a.sorted() == plain.sorted(), "the same cases")
        #expect(a != plain, "another order")
        #expect(a == b, "the same seed, the same order")
        #expect(c != a, "another seed, another order")
        let unseeded = try Fixture.run(base + ["--shuffle"])
        let line = unseeded.stdout.split(separator: "\n").first { $0.hasPrefix("shuffle seed: ") }
        #expect(line != nil, "\(unseeded.stdout)")
        if let line, let seed = line.split(separator: " ").dropFirst(2).first {
            let replay = Self.plannedIDs(try Fixture.run(base + ["--shuffle", "--seed", String(seed)]))
            #expect(replay == Self.plannedIDs(unseeded), "the printed seed replays the order")
        }
    }

    @Test(
        "--retries: a pass after a failure is flaky (console, JSON, JUnit), never a plain pass; a case failing every attempt fails",
        arguments: ["isolated", "no-isolation"])
    func retries(mode: String) throws {
        let dir = Fixture.tempPath("retries")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let iso = mode == "no-isolation" ? ["--no-isolation"] : []
        let r = try Fixture.run(
            iso + [
                "--retries", "2", "-f", "fixtures/retry", "--verbosity", "5",
                "--json", dir + "/r.json", "--junit", dir + "/r.xml",
            ])
        #expect(r.status == 1, "always fails still fails the run: \(r.stdout)\(r.stderr)")
        #expect(r.lastLine == "1 passed, 1 failed, 0 skipped, 1 flaky", "\(r.stdout)")
        #expect(r.stdout.contains("FLAKY fixtures/retry/fails once"), "\(r.stdout)")
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: dir + "/r.json")))
        let byTest = Dictionary(uniqueKeysWithValues: results.cases.map { ($0.test, $0) })
        #expect(byTest["fails once"]?.status == .flaky)
        #expect(byTest["fails once"]?.attempts == 2)
        #expect(byTest["fails once"]?.message?.hasPrefix("passed on attempt 2 of 3; attempt 1 failed:") == true, "\(byTest["fails once"]?.message ?? "")")
        #expect(byTest["always fails"]?.status == .failed)
        #expect(byTest["always fails"]?.attempts == 3)
        #expect(byTest["passes"]?.status == .passed && byTest["passes"]?.attempts == nil)
        #expect(results.totals.flaky == 1 && results.totals.passed == 1 && results.totals.failed == 1)
        let xml = try String(contentsOfFile: dir + "/r.xml", encoding: .utf8)
        #expect(xml.contains("<flakyFailure type=\"flaky\""))
        #expect(xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\""))
        // Without --retries the same first attempt is a plain failure.
        let once = try Fixture.run(iso + ["-f", "fixtures/retry/fails once"])
        #expect(once.status == 1 && once.lastLine == "0 passed, 1 failed, 0 skipped", "\(once.stdout)")
        let bad = try Fixture.run(["--retries", "-1", "-f", "fixtures/retry"])
        #expect(bad.status == 2)
    }

    @Test("--version on runner and analyzer")
    func version() throws {
        let r = try Fixture.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == "runner (Assay) \(AssayVersion.text)\n")
        let analyzer = URL(fileURLWithPath: Fixture.executable).deletingLastPathComponent().appendingPathComponent("analyzer").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyzer)
        p.arguments = ["--version"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(out == "analyzer (Assay) \(AssayVersion.text)\n")
    }
}
