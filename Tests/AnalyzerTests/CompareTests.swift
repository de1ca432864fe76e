import Foundation
import Testing
@testable import PerfAnalysis

@Suite struct CompareTests {
    static func rows(_ old: String, _ new: String, limit: Double? = nil) throws -> ComparisonReport {
        ComparisonReport(
            oldFiles: [old], old: try ResultsLoader.load(path: old), newFiles: [new],
            new: try ResultsLoader.load(path: new), failOnRegression: limit)
    }

    static func row(_ r: ComparisonReport, _ d: GroupDimension, _ name: String) throws -> GroupComparison {
        try #require(r.sections.first { $0.0 == d }?.1.first { $0.name == name })
    }

    @Test func slowerTLSIsSignificantAndGated() throws {
        let r = try Self.rows(Fixture.baseline, Fixture.regressed, limit: 5)
        let tls = try Self.row(r, .proto, "tls")
        #expect(tls.verdict == .slower)
        #expect(try #require(tls.change) < -15)
        #expect(try #require(tls.test).p < 0.001)
        let tcp = try Self.row(r, .proto, "tcp")
        #expect(tcp.verdict == .noChange)
        #expect(!r.regressions.isEmpty)
        #expect(r.regressions.allSatisfy { $0.change! < -5 })
        // A 30% limit is not exceeded by a 20% drop.
        let lenient = try Self.rows(Fixture.baseline, Fixture.regressed, limit: 30)
        #expect(lenient.regressions.isEmpty)
    }

    @Test func sameLoadRerunPassesTheGate() throws {
        let r = try Self.rows(Fixture.baseline, Fixture.rerun, limit: 5)
        #expect(r.regressions.isEmpty)
        let tcp = try Self.row(r, .configuration, "tcp, 50 clients, 4.00 KB chunks, 10 s, thread, 2×server 2×client-host")
        #expect(tcp.verdict == .noChange)
        #expect(abs(tcp.change!) < 2)
    }

    @Test func fileAgainstItselfHasNoChange() throws {
        let r = try Self.rows(Fixture.baseline, Fixture.baseline, limit: 0)
        for row in r.sections.flatMap(\.1) {
            #expect(row.verdict == .noChange, "\(row.name)")
            #expect(row.change == nil || row.change == 0)
            #expect(row.test?.p == 1)
        }
        #expect(r.regressions.isEmpty)
    }

    @Test func fasterNewIsNotARegression() throws {
        let r = try Self.rows(Fixture.regressed, Fixture.baseline, limit: 5)
        #expect(try Self.row(r, .proto, "tls").verdict == .faster)
        #expect(r.regressions.isEmpty)
    }

    @Test func handshakeBenchmarkComparesLatency() throws {
        let r = try Self.rows(Fixture.baseline, Fixture.rerun)
        let hs = try Self.row(r, .handshakeBenchmark, "tls 1.3, RSA-2048, full")
        #expect(hs.comparesLatency)
        #expect(hs.test?.n1 == 160)
    }

    @Test func tooFewSamplesGivesNoVerdict() {
        let one = TestSummary(PerfCase(
            id: "a", test: "echo", status: "passed", source: "x", configuration: PerfConfiguration(proto: "tcp"),
            clients: [ClientSample(bytesSent: 100, startNanos: 0, endNanos: 1_000_000_000)], servers: []))
        let old = GroupSummary(dimension: .overall, key: GroupDimension.overall.key(one)!, tests: [one])
        var slower = one
        slower.clientThroughputs = [1]
        slower.throughput = 1
        let new = GroupSummary(dimension: .overall, key: GroupDimension.overall.key(one)!, tests: [slower])
        let c = GroupComparison(dimension: .overall, old: old, new: new)
        #expect(c.verdict == .tooFewSamples)
        #expect(!c.isRegression(beyond: 1))
    }

    @Test func compareTextNamesTheTestAndPrintsUzp() throws {
        let out = AnalyzerInvocation(files: [Fixture.baseline, Fixture.regressed], compare: true, failOnRegression: 5).execute()
        #expect(out.status == AnalyzerInvocation.regression)
        #expect(out.stdout.contains("Mann–Whitney U (two-sided, normal approximation, tie-corrected)"))
        #expect(out.stdout.contains("U = "))
        #expect(out.stdout.contains(", z = "))
        #expect(out.stdout.contains(", p = "))
        #expect(out.stdout.contains("significantly slower"))
        #expect(out.stdout.contains("Regression gate: FAILED"))
        #expect(out.stderr.count == 1)
        let ok = AnalyzerInvocation(files: [Fixture.baseline, Fixture.rerun], compare: true, failOnRegression: 5).execute()
        #expect(ok.status == 0)
        let json = AnalyzerInvocation(files: [Fixture.baseline, Fixture.regressed], compare: true, format: .json).execute()
        #expect(json.status == 0)  // no gate without --fail-on-regression
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) is [String: Any])
    }
}

@Suite struct CompareFormatTests {
    @Test func markdownComparisonTable() {
        let out = AnalyzerInvocation(
            files: [Fixture.baseline, Fixture.regressed], compare: true, format: .markdown, failOnRegression: 5
        ).execute()
        #expect(out.status == AnalyzerInvocation.regression)
        #expect(out.stdout.contains("| Group | OLD | NEW | Change | U | z | p | Verdict |"))
        #expect(out.stdout.contains("| tls |"))
        #expect(out.stdout.contains("Regression gate (5.0%): FAILED"))
    }

    @Test func failedCasesAreMarked() throws {
        var cases = try ResultsLoader.load(path: Fixture.baseline)
        cases[0].status = "failed"
        let text = TextReport.render(Analysis(files: [], cases: cases), detail: .groupsOnly)
        #expect(text.contains("Status:        1 failed, "))
    }
}
