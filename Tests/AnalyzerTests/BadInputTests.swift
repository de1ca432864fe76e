import Foundation
import Testing
@testable import PerfAnalysis

@Suite struct BadInputTests {
    static func error(_ path: String) -> LoadError? {
        do {
            _ = try ResultsLoader.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() {
        #expect(Self.error("/nonexistent/r.json") == .missing(path: "/nonexistent/r.json"))
    }

    @Test func truncatedFile() {
        #expect(Self.error(Fixture.path("truncated.json")) == .notJSON(path: Fixture.path("truncated.json")))
    }

    @Test func emptyFile() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let p = dir.appendingPathComponent("empty.json").path
        #expect(FileManager.default.createFile(atPath: p, contents: Data()))
        #expect(Self.error(p) == .notJSON(path: p))
    }

    @Test func otherSchema() {
        let p = Fixture.path("other-schema.json")
        #expect(Self.error(p) == .wrongSchema(path: p, schema: "junit-results"))
    }

    @Test func jsonThatIsNotAResultsFile() throws {
        #expect(throws: LoadError.wrongSchema(path: "x", schema: nil)) { try ResultsLoader.parse(Data("[1, 2]".utf8), path: "x") }
        #expect(throws: LoadError.wrongSchema(path: "x", schema: nil)) { try ResultsLoader.parse(Data("{\"a\": 1}".utf8), path: "x") }
    }

    @Test func newerSchemaVersion() {
        let p = Fixture.path("future-version.json")
        #expect(Self.error(p) == .unsupportedVersion(path: p, version: 2))
    }

    @Test func malformedResultsFile() throws {
        let text = #"{"schema": "assay-results", "schemaVersion": 1, "cases": 3}"#
        #expect {
            try ResultsLoader.parse(Data(text.utf8), path: "m.json")
        } throws: { e in
            guard case .malformed(let p, _) = e as? LoadError else { return false }
            return p == "m.json"
        }
    }

    @Test func noPerfData() {
        let p = Fixture.path("not-perf.json")
        #expect(Self.error(p) == .noPerfData(path: p, perf9Cases: 0))
        let s = Fixture.path("perf9-skipped-only.json")
        #expect(Self.error(s) == .noPerfData(path: s, perf9Cases: 1))
    }

    @Test(arguments: ["/nonexistent/r.json", "truncated.json", "other-schema.json", "future-version.json", "not-perf.json", "perf9-skipped-only.json"])
    func everyBadInputIsOneLineAndStatus2(_ name: String) {
        let path = name.hasPrefix("/") ? name : Fixture.path(name)
        let out = AnalyzerInvocation(files: [Fixture.baseline, path]).execute()
        #expect(out.status == AnalyzerInvocation.badInput)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.count == 1)
        #expect(out.stderr.first?.hasPrefix(path) == true)
        #expect(out.stderr.first?.contains("\n") == false)
    }

    /// The real executable: exit statuses 2 (bad input, usage) and 1 (regression past --fail-on-regression).
    @Test func executableExitStatuses() throws {
        let exe = Fixture.analyzerExecutable
        try #require(FileManager.default.isExecutableFile(atPath: exe), "build the analyzer first")
        func run(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let missing = try run(["/nonexistent/r.json"])
        #expect(missing.0 == 2)
        #expect(missing.1 == "analyzer: /nonexistent/r.json: no such file\n")
        #expect(try run([]).0 == 2)
        #expect(try run(["--compare", Fixture.baseline]).0 == 2)
        #expect(try run([Fixture.baseline]).0 == 0)
        // One run a side: no verdict, not an error.
        #expect(try run(["--compare", Fixture.baseline, Fixture.regressed, "--fail-on-regression", "5"]).0 == 0)
        #expect(try run(["--compare", Fixture.baseline, Fixture.rerun, "--min-effect", "-1"]).0 == 2)
        let infinite = try run(["--compare", Fixture.baseline, Fixture.rerun, "--fail-on-regression", "1e400"])
        #expect(infinite.0 == 2)
        #expect(infinite.1.contains("--fail-on-regression takes a finite percentage ≥ 0 (got inf)"), "\(infinite.1)")
        #expect(try run(["--compare", Fixture.baseline, Fixture.rerun, "--min-effect", "nan"]).0 == 2)
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        let old = [500.0, 505, 498, 502, 507]
        try SyntheticRun.write(a, echo: [.init(throughputs: old.map { $0 * 1e6 })])
        try SyntheticRun.write(b, echo: [.init(throughputs: old.map { $0 * 0.85e6 })])
        #expect(try run(["--compare", a, b, "--fail-on-regression", "5"]).0 == 1)
        #expect(try run(["--compare", a, b, "--fail-on-regression", "20"]).0 == 0)
    }
}
