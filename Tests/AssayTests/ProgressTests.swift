import Foundation
import Testing

/// Output that is not a terminal is not silent: a plain progress line every ASSAY_PROGRESS_INTERVAL
/// seconds (20 by default), and the results files' paths once written.
@Suite("progress when not a terminal")
struct ProgressTests {
    @Test("plain progress lines '[done/total] … · case' when stdout is a file; --json/--junit paths on stderr")
    func plainProgressAndResultPaths() throws {
        let json = Fixture.tempPath("progress.json"), junit = Fixture.tempPath("progress.xml")
        defer {
            try? FileManager.default.removeItem(atPath: json)
            try? FileManager.default.removeItem(atPath: junit)
        }
        let r = try Fixture.run(
            ["-f", "fixtures/spread", "--json", json, "--junit", junit],
            env: ["ASSAY_NO_PROGRESS": "", "ASSAY_PROGRESS_INTERVAL": "0"])
        let lines = r.stdout.split(separator: "\n")
        let progress = lines.filter { $0.hasPrefix("[") && $0.contains(" passed, ") && $0.contains(" skipped") }
        #expect(progress.count >= 2, "\(r.stdout)")
        #expect(progress.contains { $0.range(of: #"^\[\d+/\d+\] \d+ passed, \d+ failed, \d+ skipped · fixtures/spread/"#, options: .regularExpression) != nil })
        #expect(!r.stdout.contains("\u{1B}["), "no terminal escapes in a file")
        #expect(lines.last?.hasSuffix(" skipped") == true, "the last line is still the totals")
        #expect(r.stderr.contains("results: \(json) ("), "\(r.stderr)")
        #expect(r.stderr.contains("cases, JSON)") && r.stderr.contains("results: \(junit) (") && r.stderr.contains("cases, JUnit XML)"))
        // One case longer than the interval still gets its lines: a timer, not only case events (which
        // could give at most one line while the case runs, when it starts).
        let long = try Fixture.run(
            ["-f", "fixtures/hang/blocks", "--timeout-scale", "4"], env: ["ASSAY_NO_PROGRESS": "", "ASSAY_PROGRESS_INTERVAL": "1"])
        let during = long.stdout.split(separator: "\n").filter { $0 == "[0/1] 0 passed, 0 failed, 0 skipped · fixtures/hang/blocks" }
        #expect(during.count >= 2, "\(long.stdout)")
        // ASSAY_NO_PROGRESS (as every other test here sets) keeps the output as it was.
        let quiet = try Fixture.run(["-f", "fixtures/spread"], env: ["ASSAY_PROGRESS_INTERVAL": "0"])
        #expect(!quiet.stdout.split(separator: "\n").contains { $0.hasPrefix("[") })
    }
}
