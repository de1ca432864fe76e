import Foundation
import Testing
@testable import AssayResults

@Suite("results schema")
struct ResultsSchemaTests {
    static func sampleResults() -> RunResults {
        let c1 = CaseResult(
            id: "unit/s/t[transport=tcp,size=0]", category: "unit", suite: "s", test: "t", kind: "matrix",
            combination: ["transport": "tcp", "size": 0, "fast": true, "level": nil], status: .failed, duration: 0.25,
            message: "expectEqual failed: 1 is not equal to 2", location: SourceLocation(file: "/x.swift", line: 3),
            issues: [Issue(message: "expectEqual failed: 1 is not equal to 2", location: SourceLocation(file: "/x.swift", line: 3))],
            data: [["bytes": 42, "rate": 1.5, "tags": ["a", nil, true]]], tags: ["slow"])
        let c2 = CaseResult(
            id: "unit/s/u", category: "unit", suite: "s", test: "u", group: "g", kind: "simple",
            coordination: ["server": "2"], status: .expectedFail, message: "known <bug> & \"quote\"")
        let meta = RunMetadata(
            startTime: Date(timeIntervalSince1970: 1_800_000_000), endTime: Date(timeIntervalSince1970: 1_800_000_010),
            duration: 10, host: "h", os: "linux", swiftVersion: "6.3", opensslVersion: "OpenSSL 3.0", gitRevision: "abc",
            commandLine: ["runner", "-f", "unit"], options: ["jobs": 2, "wrapper": "valgrind"], extra: ["k": "v"])
        let suite = SuiteResult(
            category: "unit", name: "s", slug: "s", description: nil, status: "failed", duration: 1,
            peakRSSBytes: 1 << 20, workers: 2, failure: "worker exited with status 99", workerOutput: "leak")
        return RunResults(run: meta, totals: Totals(counting: [c1, c2], suiteFailures: 1), suites: [suite], cases: [c1, c2])
    }

    @Test("encode → decode is the identity")
    func roundTrip() throws {
        let r = Self.sampleResults()
        let back = try RunResults.decode(try r.encoded())
        #expect(back == r)
        #expect(back.totals.failures == 2)
        let json = String(decoding: try r.encoded(), as: UTF8.self)
        for key in ["\"schema\" : \"assay-results\"", "\"schemaVersion\" : 1", "\"status\" : \"expected-fail\"", "\"level\" : null"] {
            #expect(json.contains(key), "\(key)")
        }
    }

    @Test("unknown schemas and newer versions are rejected")
    func versions() throws {
        var r = Self.sampleResults()
        r.schemaVersion = RunResults.currentSchemaVersion + 1
        #expect(throws: ResultsError.self) { _ = try RunResults.decode(try r.encoded()) }
        r = Self.sampleResults()
        r.schema = "other"
        #expect(throws: ResultsError.self) { _ = try RunResults.decode(try r.encoded()) }
    }

    @Test("atomic write leaves only the final file")
    func atomic() throws {
        let dir = NSTemporaryDirectory() + "assay-atomic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/results.json"
        try Self.sampleResults().write(to: path)
        try Self.sampleResults().write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub") == ["results.json"])
        _ = try RunResults.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("JUnit XML escapes and counts")
    func junit() {
        let xml = JUnitWriter.xml(for: Self.sampleResults())
        // 2 cases + the suite failure's "(worker)" case; the expected failure is a skip (pytest's xfail).
        #expect(xml.contains("tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"1\""))
        #expect(xml.contains("<skipped type=\"expected-fail\" message=\"expected failure: known &lt;bug&gt; &amp; &quot;quote&quot;\"/>"))
        #expect(xml.contains("<failure type=\"failed\""))
        #expect(xml.contains("name=\"(worker)\""))
        #expect(!xml.contains("<bug>"))
    }
}
