import Foundation
import Testing
@testable import PerfAnalysis

/// Sections that would print the same numbers again are printed once.
@Suite struct RepeatedSectionTests {
    @Test func oneConfigurationPrintsItsFiguresOnce() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let file = dir.appendingPathComponent("r.json").path
        try SyntheticRun.write(file, echo: [.init(throughputs: [5e8, 5.1e8, 4.9e8])])
        let text = AnalyzerInvocation(files: [file], detail: .groupsOnly).execute().stdout
        // One block of figures (protocol), the other sections one line each.
        #expect(text.components(separatedBy: "Throughput:").count - 1 == 1)
        #expect(text.contains("Results by TLS Version: the same tests and figures as Results by Protocol (TLS 1.3 = tls)."))
        #expect(text.contains("Overall Statistics: the same tests and figures as Results by Protocol (All tests = tls)."))
        let md = AnalyzerInvocation(files: [file], detail: .groupsOnly, format: .markdown).execute().stdout
        #expect(md.components(separatedBy: "## Results by").count - 1 == 1)
    }

    @Test func dimensionsThatSplitTheTestsDifferentlyAreAllPrinted() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let file = dir.appendingPathComponent("r.json").path
        try SyntheticRun.write(
            file,
            echo: [
                .init(tlsVersion: "1.2", clients: 1, throughputs: [5e8]), .init(tlsVersion: "1.3", clients: 10, throughputs: [6e8]),
                .init(tlsVersion: "1.3", clients: 1, throughputs: [6e8]),
            ])
        let text = AnalyzerInvocation(files: [file], detail: .groupsOnly).execute().stdout
        for title in ["Results by TLS Version", "Results by Client Count", "Results by Protocol"] {
            #expect(text.contains("  \(title)\n"), "\(title)")
        }
    }
}
