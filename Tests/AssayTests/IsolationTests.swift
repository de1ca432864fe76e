import Foundation
import Testing
@testable import AssayResults

/// Runs the fixture runner (Tests/AssayFixtureRunner) as a subprocess.
enum Fixture {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Ended by a signal (`status` is then the signal number).
        var signaled = false
        var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    }

    static var executable: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle on some platforms: walk up to the build directory.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("AssayFixtureRunner").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/AssayFixtureRunner").path
    }

    static func run(_ args: [String], env: [String: String] = [:]) throws -> Run {
        let dir = NSTemporaryDirectory() + "assay-fixture-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["ASSAY_NO_PROGRESS"] = "1"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return Run(
            status: p.terminationStatus,
            stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "",
            signaled: p.terminationReason == .uncaughtSignal)
    }

    static func tempPath(_ name: String) -> String {
        NSTemporaryDirectory() + "assay-\(UUID().uuidString)-\(name)"
    }
}

@Suite("isolation, timeouts, wrapper, exit codes")
struct IsolationTests {
    @Test("a crash and a hang fail their suites; the other suites' results and the JSON are intact")
    func crashAndHang() throws {
        let json = Fixture.tempPath("results.json")
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try Fixture.run(["-f", "fixtures/{basics,crash,hang,freeze}", "--json", json, "-j", "2"])
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        func status(_ id: String) -> CaseStatus? { results.cases.first { $0.id == id }?.status }
        #expect(status("fixtures/crash/before") == .passed)
        #expect(status("fixtures/crash/boom") == .crashed)
        #expect(status("fixtures/crash/after") == .passed)
        #expect(results.cases.first { $0.id == "fixtures/crash/boom" }?.message?.contains("signal") == true)
        #expect(results.cases.first { $0.id == "fixtures/crash/boom" }?.message?.contains("deliberate crash") == true)
        #expect(status("fixtures/hang/cooperative sleep") == .timedOut)
        #expect(status("fixtures/hang/blocks") == .timedOut)
        #expect(status("fixtures/hang/after") == .passed)
        #expect(status("fixtures/freeze/stops the process") == .timedOut)
        #expect(status("fixtures/freeze/after") == .passed)
        // The basics suite is complete and unaffected.
        let basics = results.cases.filter { $0.suite == "basics" }
        #expect(basics.count == 29)
        #expect(status("fixtures/basics/passes") == .passed)
        #expect(status("fixtures/basics/fails with values") == .failed)
        #expect(status("fixtures/basics/expected to fail") == .expectedFail)
        #expect(status("fixtures/basics/skipped") == .skipped)
        #expect(results.cases.first { $0.id == "fixtures/basics/reports data" }?.data == [["bytes": 42, "role": "client"]])
        let failing = results.cases.first { $0.id == "fixtures/basics/fails with values" }
        #expect(failing?.location?.file.hasSuffix("FixtureSuites.swift") == true)
        #expect(failing?.message?.contains("4 is not equal to 5") == true)
        #expect(results.suites.map(\.name).sorted() == ["basics", "crash", "freeze", "hang"])
        #expect(results.suites.first { $0.name == "crash" }?.workers == 2)
        #expect(r.lastLine == "\(results.totals.passed) passed, \(results.totals.failures) failed, \(results.totals.skipped) skipped")
    }

    @Test("a failing wrapper fails the suite; a transparent wrapper changes nothing")
    func wrapper() throws {
        let script = Fixture.tempPath("wrap.sh")
        defer { try? FileManager.default.removeItem(atPath: script) }
        try "#!/bin/sh\n\"$@\"\nexit 99\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let json = Fixture.tempPath("w.json")
        defer { try? FileManager.default.removeItem(atPath: json) }
        let bad = try Fixture.run(["-f", "fixtures/basics/passes", "--wrapper", script, "--json", json])
        #expect(bad.status == 1)
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(results.cases.first?.status == .passed)
        #expect(results.suites.first?.failure?.contains("status 99") == true)
        #expect(results.totals.suiteFailures == 1)
        #expect(bad.lastLine == "1 passed, 1 failed, 0 skipped")

        let ok = try Fixture.run(["-f", "fixtures/basics/passes", "--wrapper", "env ASSAY_WRAPPED=1"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.lastLine == "1 passed, 0 failed, 0 skipped")

        let broken = try Fixture.run(["-f", "fixtures/basics/passes", "--wrapper", "/nonexistent/wrapper"])
        #expect(broken.status == 1)
        #expect(broken.lastLine == "0 passed, 2 failed, 0 skipped")
    }

    @Test("exit codes: 0 all passed, 1 failures or unexpected pass, 2 usage errors")
    func exitCodes() throws {
        #expect(try Fixture.run(["-f", "fixtures/basics/passes"]).status == 0)
        #expect(try Fixture.run(["-f", "fixtures/basics/fails*"]).status == 1)
        #expect(try Fixture.run(["-f", "fixtures/xpass"]).status == 1)
        #expect(try Fixture.run(["-f", "fixtures/basics/expected*"]).status == 0)
        let bad = try Fixture.run(["-f", "fixtures/basics/x[a=1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("^"))
        #expect(try Fixture.run(["-f", "fixtures/basics/inline[transport=udp]"]).status == 2)
        #expect(try Fixture.run(["--verbosity", "9"]).status == 2)
        #expect(try Fixture.run(["--bogus"]).status == 2)
        #expect(try Fixture.run(["-f", "nothing/here"]).status == 2)
        #expect(try Fixture.run(["-f", "fixtures/basics/passes"], env: ["ASSAY_VERBOSITY": "x"]).status == 2)
        #expect(try Fixture.run(["--help"]).status == 0)
        #expect(try Fixture.run(["--filter-help"]).status == 0)
    }

    @Test("--no-isolation runs in process with the same results")
    func inProcess() throws {
        let r = try Fixture.run(["-f", "fixtures/basics", "--no-isolation", "--verbosity", "0"])
        #expect(r.status == 1)
        #expect(r.lastLine == "21 passed, 1 failed, 6 skipped")
    }

    @Test("listing, dry run and canonical ids through the CLI")
    func listing() throws {
        let suites = try Fixture.run(["--list", "suites"])
        #expect(suites.stdout.contains("fixtures/basics"))
        let dry = try Fixture.run(["--dry-run", "-f", "fixtures/basics/inline"])
        #expect(dry.stdout.contains("fixtures/basics/inline[transport=unix,size=16384]  — skip: too big for unix (fixture)"))
        #expect(dry.lastLine == "plan: 6 cases in 1 suites (5 to run, 1 skipped)")
        let one = try Fixture.run(["-f", "fixtures/basics/named[transport=tcp,level=none,fast=false]", "--verbosity", "5"])
        #expect(one.lastLine == "1 passed, 0 failed, 0 skipped")
    }

    @Test("verbosity levels and ASSAY_* environment")
    func verbosity() throws {
        let quiet = try Fixture.run(["-f", "fixtures/basics", "--verbosity", "0"])
        #expect(quiet.stdout.split(separator: "\n") == ["1 expected-fail (failed counts all but expected-fail)", "21 passed, 1 failed, 6 skipped"])
        let one = try Fixture.run(["-f", "fixtures/basics"])
        #expect(one.stdout.contains("FAIL fixtures/basics: 21 passed, 1 failed, 6 skipped, 1 expected-fail"))
        #expect(one.stdout.contains("FAIL  fixtures/basics/fails with values"))
        #expect(!one.stdout.contains("SKIP"))
        let four = try Fixture.run(["-f", "fixtures/basics", "--verbosity", "4"])
        #expect(four.stdout.contains("SKIP  fixtures/basics/skipped — not on this platform"))
        #expect(four.stdout.contains("XFAIL fixtures/basics/expected to fail — known bug #1"))
        #expect(!four.stdout.contains("PASS "))
        let five = try Fixture.run(["-f", "fixtures/basics", "--verbosity", "5"])
        #expect(five.stdout.contains("PASS  fixtures/basics/passes"))
        let six = try Fixture.run(["-f", "fixtures/basics/fails*", "--verbosity", "6"])
        #expect(six.stdout.contains("FixtureSuites.swift:19: expectEqual failed: 4 is not equal to 5"))
        let env = try Fixture.run([], env: ["ASSAY_FILTER": "fixtures/basics/passes;fixtures/basics/reports*", "ASSAY_VERBOSITY": "5"])
        #expect(env.status == 0)
        #expect(env.lastLine == "2 passed, 0 failed, 0 skipped")
    }

    @Test("per-case overhead of trivial cases in a worker")
    func overhead() throws {
        let json = Fixture.tempPath("o.json")
        defer { try? FileManager.default.removeItem(atPath: json) }
        let start = ContinuousClock.now
        let r = try Fixture.run(["-f", "fixtures/trivial", "--json", json, "--verbosity", "0"])
        let wall = ContinuousClock.now - start
        #expect(r.status == 0)
        let results = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: json)))
        #expect(results.cases.count == 1000)
        let suite = results.suites[0].duration
        print(
            "1000 trivial cases in one worker: suite \(String(format: "%.3f", suite)) s (\(String(format: "%.0f", suite * 1e6 / 1000)) µs per case, worker start included); whole run \(wall)"
        )
    }
}
