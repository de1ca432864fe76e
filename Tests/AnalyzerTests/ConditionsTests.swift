import Foundation
import Testing
@testable import PerfAnalysis

/// `--compare` verdicts that cannot mislead: when the runs' recorded conditions differ (load average
/// past the tolerance, CPU model, cores, build), a faster/slower verdict is withheld ("slower?") and
/// `--fail-on-regression` does not count it. Fixtures: make-fixtures.py, `same-commit-*.json` — one
/// commit run twice back to back, 5 vs 5, NEW ~10% lower (U = 2, p = 0.0317).
@Suite struct ConditionsTests {
    static let old = Fixture.path("same-commit-old.json")

    static func compare(_ new: String, gate: Double? = 5, format: ReportFormat = .text) -> AnalyzerInvocation.Outcome {
        AnalyzerInvocation(files: [old, Fixture.path(new)], compare: true, format: format, failOnRegression: gate).execute()
    }

    @Test func aLoadThatMovedWithholdsTheVerdictAndTheGateDoesNotCountIt() {
        let out = Self.compare("same-commit-new.json")
        #expect(out.status == 0, "\(out.stdout)")
        #expect(out.stdout.contains("p = 0.0317  (5 vs 5)  SLOWER? (conditions differ: load at start 3.50 → 4.10, load at end 3.60 → 4.20)"), "\(out.stdout)")
        #expect(!out.stdout.contains("SLOWER\n") && !out.stdout.contains("SLOWER "))
        #expect(out.stdout.contains("VERDICTS WITHHELD: the runs' conditions differ (load at start 3.50 → 4.10, load at end 3.60 → 4.20)"))
        #expect(out.stdout.contains("Summary: 1 slower?"))
        #expect(out.stdout.contains("Regression gate: passed — no metric significantly slower by more than 5% (1 slower? not counted"))
        #expect(out.stderr.contains { $0.hasPrefix("warning: 1 verdict(s) withheld (faster?/slower?, not counted by --fail-on-regression)") })
    }

    /// The control: the same numbers with the load within the tolerance are a verdict, and the gate fails.
    @Test func theSameNumbersUnderTheSameLoadAreSlowerAndFailTheGate() {
        let out = Self.compare("same-commit-new-steady.json")
        #expect(out.status == AnalyzerInvocation.regression, "\(out.stdout)")
        #expect(out.stdout.contains("-10.38% [-15.45%, -0.94%]  p = 0.0317  (5 vs 5)  SLOWER\n"), "\(out.stdout)")
        #expect(!out.stdout.contains("WITHHELD"))
    }

    @Test func anotherBuildWithholdsTheVerdict() {
        let out = Self.compare("same-commit-new-debug.json")
        #expect(out.status == 0)
        #expect(out.stdout.contains("SLOWER? (conditions differ: build release → debug)"), "\(out.stdout)")
    }

    @Test func markdownAndJSONCarryTheWithheldVerdict() throws {
        let md = Self.compare("same-commit-new.json", format: .markdown)
        #expect(md.stdout.contains("| slower? (conditions differ: load at start 3.50 → 4.10, load at end 3.60 → 4.20) |"), "\(md.stdout)")
        #expect(md.stdout.contains("Regression gate (5.0%): passed"))
        let json = Self.compare("same-commit-new.json", format: .json)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((o["conditionsDiffer"] as? [String]) == ["load at start 3.50 → 4.10", "load at end 3.60 → 4.20"])
        #expect(((o["rows"] as? [[String: Any]])?.first?["verdict"] as? String) == "slower?")
        #expect((o["regressions"] as? [String]) == [])
    }

    @Test func theRuleItself() throws {
        let a = try ResultsLoader.loadFile(path: Self.old)
        var b = a
        #expect(RunFacts(a).conditions(to: RunFacts(b)).isEmpty)
        b.run.extra["loadAverageStart"] = "3.99 1 1"  // 0.49 apart: within the tolerance
        #expect(RunFacts(a).conditions(to: RunFacts(b)).isEmpty)
        b.run.extra["loadAverageStart"] = "4.00 1 1"  // 0.50 apart: differs
        #expect(RunFacts(a).conditions(to: RunFacts(b)) == ["load at start 3.50 → 4.00"])
        b = a
        b.run.extra["cpuModel"] = "Other CPU"
        b.run.extra["cpuCount"] = "4"
        #expect(RunFacts(a).conditions(to: RunFacts(b)) == ["CPU model AMD EPYC 7B13 → Other CPU", "cores 2 → 4"])
        // Only warned about: a newer OpenSSL is what one compares on purpose; an unrecorded fact.
        b = a
        b.run.opensslVersion = "OpenSSL 3.5.0"
        b.run.extra["buildConfiguration"] = nil
        #expect(RunFacts(a).conditions(to: RunFacts(b)).isEmpty)
        #expect(RunFacts(a).differences(to: RunFacts(b)).count == 2)
        // No change and not-enough verdicts stay as they are.
        var row = MetricComparison(configuration: "c", metric: .throughput, old: [1, 2, 3], new: [1, 2, 3])
        row.withhold(conditions: ["cores 2 → 4"])
        #expect(row.verdict == .notEnough)
    }

    /// A side of several files (OLD and NEW alternated back to back) compares the MEAN loads: every run
    /// but the first starts on the load its predecessor left, which alone must not withhold the verdict.
    @Test func aSideOfSeveralFilesComparesMeanLoads() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        func side(_ name: String, _ loads: [String]) throws -> LoadedFile {
            var parts: [LoadedFile] = []
            for (i, l) in loads.enumerated() {
                let p = dir.appendingPathComponent("\(name)-\(i).json").path
                try SyntheticRun.write(p, echo: [.init(throughputs: [500e6])], extra: ["loadAverageStart": l, "loadAverageEnd": l])
                parts.append(try ResultsLoader.loadFile(path: p))
            }
            return LoadedFile(joining: parts)
        }
        let old = try side("old", ["0.20 0 0", "1.00 0 0", "1.00 0 0", "1.00 0 0"])  // mean 0.80; the first run started idle
        let new = try side("new", ["1.00 0 0", "1.00 0 0", "1.00 0 0", "1.00 0 0"])  // mean 1.00
        #expect(RunFacts(old).conditions(to: RunFacts(new)).isEmpty)
        let busy = try side("busy", ["1.40 0 0", "1.40 0 0", "1.40 0 0", "1.40 0 0"])  // 0.60 above OLD's mean
        #expect(RunFacts(old).conditions(to: RunFacts(busy)) == ["load at start 0.80 → 1.40", "load at end 0.80 → 1.40"])
    }

    /// Two files with nothing in common (TCP in one, TLS in the other): not an empty summary, one
    /// clear error that points to the report that answers the question.
    @Test func filesWithNoCaseInCommonAreAnErrorThatPointsToTheRatioSection() {
        let tcp = Fixture.path("perf9-tcp-only.json"), tls = Fixture.path("perf9-tls-only.json")
        let out = AnalyzerInvocation(files: [tcp, tls], compare: true, failOnRegression: 5).execute()
        #expect(out.status == AnalyzerInvocation.badInput)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.count == 1)
        #expect(out.stderr.first?.contains("have no case in common (OLD: 2 configuration(s), NEW: 3") == true, "\(out.stderr)")
        #expect(out.stderr.first?.contains("run `analyzer -n \(tcp) \(tls)`: its section \"Encrypted vs Plaintext (same load)\"") == true)
        // …and that report does answer it.
        let ratio = AnalyzerInvocation(files: [tcp, tls], detail: .groupsOnly).execute()
        #expect(ratio.status == 0)
        #expect(ratio.stdout.contains("Encrypted vs Plaintext (same load)"))
    }
}
