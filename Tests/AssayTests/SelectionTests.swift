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
                  ["PASS ", "FAIL ", "SKIP ", "XFAIL", "XPASS", "TIME ", "CRASH"].contains(String(l.prefix(5))) else { return nil }
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
        let first = try Fixture.run(["-f", "fixtures/oracle/{pass,fail,xfail,xpass,skip}",
                                     "-f", "fixtures/oracle-coordinated/{fail,pass}<parallel=thread>", "--json", dir + "/prev.json"], env: env)
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
