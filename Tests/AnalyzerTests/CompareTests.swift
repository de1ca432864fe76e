import Assay
import Foundation
import Testing
@testable import PerfAnalysis

/// `analyzer --compare` on per-repetition figures, checked against synthetic runs whose truth is known.
@Suite struct CompareTests {
    static let mb = 1024.0 * 1024

    /// One verdict for OLD and NEW samples of the throughput metric.
    static func verdict(_ old: [Double], _ new: [Double], minEffect: Double = 3) -> MetricComparison {
        MetricComparison(configuration: "c", metric: .throughput, old: old, new: new, options: CompareOptions(minEffect: minEffect))
    }

    @Test func identicalDistributionsGiveNoChangeInAtLeast95PercentOfTrials() {
        var g = Gaussian(rng: SeededGenerator(seed: 13))
        let trials = 1000
        var noChange = 0
        for _ in 0..<trials {
            // 5 repetitions a side, 4% run-to-run noise — as noisy as this shared 2-core VM.
            let v = Self.verdict(g.sample(5, center: 500 * Self.mb, sd: 0.04), g.sample(5, center: 500 * Self.mb, sd: 0.04))
            if v.verdict == .noChange { noChange += 1 }
        }
        #expect(Double(noChange) / Double(trials) >= 0.95, "\(noChange) of \(trials)")
    }

    @Test(arguments: [(-10.0, MetricComparison.Verdict.slower), (10.0, .faster)])
    func aTenPercentShiftWithFiveRepetitionsIsFound(shift: Double, expected: MetricComparison.Verdict) {
        var g = Gaussian(rng: SeededGenerator(seed: 7))
        let trials = 200
        var found = 0, covered = 0
        for _ in 0..<trials {
            let old = g.sample(5, center: 500 * Self.mb, sd: 0.02)
            let new = g.sample(5, center: 500 * Self.mb * (1 + shift / 100), sd: 0.02)
            let v = Self.verdict(old, new)
            if v.verdict == expected { found += 1 }
            if let lo = v.estimate?.percentLower, let hi = v.estimate?.percentUpper, lo <= shift, shift <= hi { covered += 1 }
        }
        #expect(Double(found) / Double(trials) >= 0.95, "\(found) of \(trials)")
        // The 95% interval holds the true change (about) 95% of the time.
        #expect(Double(covered) / Double(trials) >= 0.88, "\(covered) of \(trials)")
    }

    @Test func oneRunEachIsNotEnoughRepetitions() {
        let v = Self.verdict([500 * Self.mb], [300 * Self.mb])
        #expect(v.verdict == .notEnough)
        #expect(v.reason.contains("need at least 4 per side"))
        #expect(!v.isRegression(beyond: 1))
        // 3 vs 3 cannot reach p < 0.05 either (smallest two-sided p = 2/20); 4 vs 4 can.
        #expect(Self.verdict([1, 2, 3], [10, 11, 12]).verdict == .notEnough)
        #expect(Self.verdict([1, 2, 3, 4], [10, 11, 12, 13]).verdict == .faster)
    }

    @Test func knownAnswers() throws {
        // Exact null distribution of U for 5 vs 5: C(10,5) = 252 arrangements.
        let d = try #require(HodgesLehmann.exactDistribution(m: 5, n: 5))
        #expect(d.count == 26)
        #expect(abs(d[0] - 1.0 / 252) < 1e-12 && abs(d[2] - 2.0 / 252) < 1e-12)
        #expect(abs(d.reduce(0, +) - 1) < 1e-12)
        #expect(HodgesLehmann.minimumRepetitions(alpha: 0.05) == 4)
        // Complete separation, 5 vs 5: exact two-sided p = 2/252.
        let old = [100.0, 101, 102, 103, 104]
        let e = try #require(HodgesLehmann(old: old, new: old.map { $0 * 1.1 }))
        #expect(e.exact)
        #expect(abs(e.p - 2.0 / 252) < 1e-12)
        #expect(abs(e.percent - 10) < 1e-9)  // the shift is exactly ×1.1
        // k = 3 for 5 vs 5 at α = 0.05 (P(U ≤ 2) = 4/252 ≤ 0.025 < P(U ≤ 3) = 7/252).
        let diffs = old.flatMap { a in old.map { log($0 * 1.1) - log(a) } }.sorted()
        #expect(e.logLower == diffs[2] && e.logUpper == diffs[22])
    }

    /// The normal-approximation path (ties, or m·n > 2500): k = ⌊mn/2 − z₀.₉₇₅·√(mn(m+n+1)/12)⌋ with the
    /// TWO-sided z (1.96; a one-sided 1.645 gives k = 1486 and a narrower interval). Known answer computed
    /// independently (Python, scipy 1.17: norm.ppf(0.975), mannwhitneyu(method="asymptotic")): 60 vs 60
    /// with ties, k = 1426, interval [D₁₄₂₆, D₂₁₇₅] = [115/114, 22/21] − 1, p = 0.008744362390811802.
    @Test func normalApproximationIntervalUsesTheTwoSidedZ() throws {
        let old = (0..<60).map { 100.0 + Double($0 % 20) }, new = (0..<60).map { 103.0 + Double($0 % 20) }
        let e = try #require(HodgesLehmann(old: old, new: new))
        #expect(!e.exact)
        #expect(abs(HodgesLehmann.zTwoSided(0.05) - 1.959963984540054) < 1e-9)
        #expect(abs(try #require(e.percentLower) - 100.0 / 114) < 1e-9, "\(e.percentLower ?? .nan)")
        #expect(abs(try #require(e.percentUpper) - 100.0 / 21) < 1e-9, "\(e.percentUpper ?? .nan)")
        #expect(abs(e.percent - 2.7397823909419916) < 1e-9)
        #expect(abs(e.p - 0.008744362390811802) < 1e-12)
    }

    @Test func significantButSmallerThanTheMinimumEffectIsNoChange() {
        let old = [100.0, 100.1, 100.2, 100.3, 100.4, 100.5]
        let new = old.map { $0 * 1.01 }
        #expect(Self.verdict(old, new, minEffect: 3).verdict == .noChange)
        #expect(Self.verdict(old, new, minEffect: 3).reason.contains("below the 3% minimum effect"))
        #expect(Self.verdict(old, new, minEffect: 0.5).verdict == .faster)
    }

    @Test func latencyUpIsSlower() {
        let old = [10.0, 10.1, 10.2, 10.3, 10.4].map { $0 * 1e6 }
        let v = MetricComparison(configuration: "h", metric: .latencyP99, old: old, new: old.map { $0 * 1.2 })
        #expect(v.verdict == .slower)
        #expect(v.isRegression(beyond: 10) && !v.isRegression(beyond: 30))
    }

    /// The bug this replaces: the clients of ONE run were treated as independent samples, so two
    /// runs of the same code whose 50 clients differ a little came out "significantly" different.
    @Test func clientsOfOneRunAreNotRepetitions() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        try SyntheticRun.write(a, echo: [.init(clients: 50, throughputs: [500 * Self.mb], clientSpread: 0.3)])
        try SyntheticRun.write(b, echo: [.init(clients: 50, throughputs: [560 * Self.mb], clientSpread: 0.3)])
        let out = AnalyzerInvocation(files: [a, b], compare: true, failOnRegression: 1).execute()
        #expect(out.status == 0)
        #expect(out.stdout.contains("NOT ENOUGH REPETITIONS"))
        #expect(out.stdout.contains("(1 vs 1)"))
        #expect(!out.stdout.contains("FASTER") && !out.stdout.contains("SLOWER"))
    }

    static func files(old: [Double], new: [Double], newExtra: [String: String] = [:]) throws -> (URL, String, String) {
        let dir = try Fixture.temporaryDirectory()
        let a = dir.appendingPathComponent("old.json").path, b = dir.appendingPathComponent("new.json").path
        let hsOld = (0..<old.count).map { r in (0..<200).map { 2_000_000 + $0 * 1000 + r * 37 } }
        let hsNew = (0..<new.count).map { r in (0..<200).map { 2_000_000 + $0 * 1000 + r * 41 } }
        try SyntheticRun.write(
            a, echo: [.init(throughputs: old), .init(proto: "tcp", tlsVersion: nil, throughputs: old)],
            handshakes: [.init(latenciesNanos: hsOld)])
        try SyntheticRun.write(
            b, echo: [.init(throughputs: new), .init(proto: "tcp", tlsVersion: nil, throughputs: old)],
            handshakes: [.init(latenciesNanos: hsNew)], extra: newExtra)
        return (dir, a, b)
    }

    @Test func gateExitsOneOnASignificantSlowdownPastTheLimit() throws {
        let old = [500.0, 505, 498, 502, 507].map { $0 * Self.mb }
        let (dir, a, b) = try Self.files(old: old, new: old.map { $0 * 0.88 })
        defer { Fixture.remove(dir) }
        let gated = AnalyzerInvocation(files: [a, b], compare: true, failOnRegression: 5).execute()
        #expect(gated.status == 1)
        #expect(gated.stdout.contains("Regression gate: FAILED — 1 metric(s)"))
        #expect(gated.stdout.contains("SLOWER"))
        let lenient = AnalyzerInvocation(files: [a, b], compare: true, failOnRegression: 20).execute()
        #expect(lenient.status == 0)
        let ungated = AnalyzerInvocation(files: [a, b], compare: true).execute()
        #expect(ungated.status == 0)
        // The unchanged TCP configuration and the handshake metrics say no change.
        #expect(ungated.stdout.contains("Summary: 1 slower, 4 no change"))
    }

    @Test func sameFileTwiceIsNoChangeForEveryMetric() throws {
        let old = [500.0, 505, 498, 502, 507].map { $0 * Self.mb }
        let (dir, a, _) = try Self.files(old: old, new: old)
        defer { Fixture.remove(dir) }
        let r = ComparisonReport(old: try ResultsLoader.loadFile(path: a), new: try ResultsLoader.loadFile(path: a))
        #expect(r.rows.count == 5)
        #expect(r.rows.allSatisfy { $0.verdict == .noChange })
        #expect(r.warnings.isEmpty)
    }

    /// OLD and NEW alternated in time, one results file per repetition: each side comma-separated.
    @Test func aSideCanBeSeveralFiles() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        var old: [String] = [], new: [String] = []
        for (i, v) in [500.0, 505, 498, 502, 507].enumerated() {
            let a = dir.appendingPathComponent("old-\(i).json").path, b = dir.appendingPathComponent("new-\(i).json").path
            try SyntheticRun.write(a, echo: [.init(throughputs: [v * Self.mb])])
            try SyntheticRun.write(b, echo: [.init(throughputs: [v * 0.8 * Self.mb])])
            old.append(a)
            new.append(b)
        }
        let out = AnalyzerInvocation(files: [old.joined(separator: ","), new.joined(separator: ",")], compare: true).execute()
        #expect(out.status == 0)
        #expect(out.stdout.contains("(5 vs 5)  SLOWER"))
        // Without --compare a comma is part of a file name.
        #expect(AnalyzerInvocation(files: [old.joined(separator: ",")]).execute().status == AnalyzerInvocation.badInput)
    }

    @Test func runsThatDifferInWhatTheyUsedAreWarnedAbout() throws {
        let old = [500.0, 505, 498, 502, 507].map { $0 * Self.mb }
        let (dir, a, b) = try Self.files(old: old, new: old, newExtra: ["buildConfiguration": "debug", "loadAverageEnd": "1.90 1.0 1.0"])
        defer { Fixture.remove(dir) }
        let out = AnalyzerInvocation(files: [a, b], compare: true).execute()
        #expect(out.stderr.contains("warning: the runs differ — build differs: OLD release, NEW debug"))
        #expect(out.stderr.contains { $0.contains("load average at end differs: OLD 0.20, NEW 1.90") })
        #expect(out.stdout.contains("WARNING: the runs differ — build differs"))
    }

    @Test func formatsCarryTheIntervalAndVerdict() throws {
        let old = [500.0, 505, 498, 502, 507].map { $0 * Self.mb }
        let (dir, a, b) = try Self.files(old: old, new: old.map { $0 * 0.88 })
        defer { Fixture.remove(dir) }
        let md = AnalyzerInvocation(files: [a, b], compare: true, format: .markdown).execute()
        #expect(md.stdout.contains("| Configuration | Metric | OLD (median) | NEW (median) | Change | 95% interval | p | n | Verdict |"))
        #expect(md.stdout.contains("| slower |"))
        let json = AnalyzerInvocation(files: [a, b], compare: true, format: .json).execute()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 5)
        #expect(rows.contains { ($0["verdict"] as? String) == "slower" && ($0["intervalPercent"] as? [Double])?.count == 2 })
    }
}
