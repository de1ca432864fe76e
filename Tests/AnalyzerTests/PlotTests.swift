import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import Testing
@testable import PerfAnalysis

/// Counts elements while checking that an SVG file is well-formed XML.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var root: String?
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        counts[name, default: 0] += 1
    }
}

@Suite struct PlotTests {
    static func parse(_ path: String) throws -> ElementCounter {
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(path): \(parser.parserError.map { String(describing: $0) } ?? "")")
        return counter
    }

    /// Elements by their class attribute, and every text element's content.
    final class Classes: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        var texts: [String] = []
        private var inText = false
        private var current = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if let c = attributes["class"] { counts[c, default: 0] += 1 }
            if name == "text" { inText = true; current = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { texts.append(current); inText = false }
        }
    }

    static func classes(_ path: String) throws -> Classes {
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let c = Classes()
        parser.delegate = c
        #expect(parser.parse())
        return c
    }

    /// 3 chunk sizes × 2 TLS versions + TCP, 3 repetitions each: charts by chunk size, by TLS
    /// version and by protocol; each shows every combination of the others as its own series.
    @Test func oneChartPerVaryingDimensionNothingAveraged() throws {
        let tmp = try Fixture.temporaryDirectory()
        defer { Fixture.remove(tmp) }
        let file = tmp.appendingPathComponent("r.json").path
        var echo: [SyntheticRun.Echo] = []
        for chunk in [1024, 16384, 65536] {
            for v in ["1.2", "1.3"] {
                let base = Double(chunk) * 10_000 * (v == "1.3" ? 1.1 : 1)
                echo.append(.init(tlsVersion: v, chunk: chunk, throughputs: [base, base * 1.02, base * 0.98]))
            }
            echo.append(
                .init(proto: "tcp", tlsVersion: nil, chunk: chunk, throughputs: [Double(chunk) * 30_000, Double(chunk) * 30_000, Double(chunk) * 30_000]))
        }
        try SyntheticRun.write(file, echo: echo)
        let dir = tmp.appendingPathComponent("plots").path
        let out = AnalyzerInvocation(files: [file], detail: .groupsOnly, plotDirectory: dir).execute()
        #expect(out.status == 0)
        let written = Set(out.stderr.map { URL(fileURLWithPath: String($0.dropFirst("wrote ".count))).lastPathComponent })
        #expect(written == ["throughput-by-protocol.svg", "throughput-by-tls-version.svg", "throughput-by-chunk-size.svg"])
        let byChunk = try Self.classes(dir + "/throughput-by-chunk-size.svg")
        // Series: the combinations of the other varying dimensions (tcp·no TLS, tls·TLS 1.2, tls·TLS 1.3).
        #expect(byChunk.counts["series"] == 3)
        #expect(byChunk.counts["legend"] == 3)
        #expect(byChunk.counts["value"] == 9)  // a value label on every point
        #expect(byChunk.texts.contains("tls · TLS 1.3") && byChunk.texts.contains("tcp · no TLS"))
        for tick in ["1.00 KB", "16.00 KB", "64.00 KB"] { #expect(byChunk.texts.contains(tick), "tick \(tick)") }
        #expect(byChunk.texts.contains { $0.hasPrefix("throughput, all clients summed (") })  // axis unit
        // The median of the three repetitions of TLS 1.3 at 16 KiB: 16384 × 10000 × 1.1 bytes/s.
        #expect(byChunk.texts.contains(Units.rate(16384 * 10_000 * 1.1)))
        let byVersion = try Self.classes(dir + "/throughput-by-tls-version.svg")
        #expect(byVersion.counts["series"] == 6)  // (tcp, tls) × 3 chunk sizes
        let ordered = try String(contentsOfFile: dir + "/throughput-by-chunk-size.svg", encoding: .utf8)
        #expect(ordered.contains("<polyline"))  // an ordered axis joins its points…
        let categories = try String(contentsOfFile: dir + "/throughput-by-tls-version.svg", encoding: .utf8)
        #expect(!categories.contains("<polyline") && !categories.contains("<g class=\"legend\"><line"))  // …categories do not, nor does their legend
    }

    /// TCP without TLS and TLS 1.3: protocol and TLS version vary together — one chart, not two.
    @Test func dimensionsThatVaryTogetherShareOneChart() throws {
        let tmp = try Fixture.temporaryDirectory()
        defer { Fixture.remove(tmp) }
        let file = tmp.appendingPathComponent("r.json").path
        try SyntheticRun.write(file, echo: [.init(throughputs: [3e8, 3.1e8]), .init(proto: "tcp", tlsVersion: nil, throughputs: [7e8, 7.2e8])])
        let charts = Plots.charts(try ResultsLoader.load(path: file).map(TestSummary.init))
        #expect(charts.map(\.0) == ["throughput-by-protocol.svg"])
        let svg = try #require(charts.first).1.render()
        #expect(svg.contains(">tcp · no TLS<") && svg.contains(">tls · TLS 1.3<"))
        #expect(svg.contains("point = median of 2 repetitions of one configuration"))
        #expect(!svg.contains("TLS version no TLS"))  // not "fixed": it varies, with the protocol
    }

    @Test func percentilesTheSampleCannotResolveAreLeftOutAndSaidSo() throws {
        let tests = try ResultsLoader.load(path: Fixture.baseline).map(TestSummary.init)
        let svg = Plots.handshakeChart(tests).render()
        let n = tests.flatMap(\.handshakes).count
        #expect(n < 10_000)
        #expect(!svg.contains(">p99.99<"))
        #expect(svg.contains("p99.99: n too small") || svg.contains("p99.9, p99.99: n too small"))
        // Every percentile drawn has its labelled tick.
        for tick in ["min", "p50", "p75", "p90", "p95"] { #expect(svg.contains(">\(tick)<"), "\(tick)") }
    }

    @Test func compareWritesTheChangeChart() throws {
        let tmp = try Fixture.temporaryDirectory()
        defer { Fixture.remove(tmp) }
        let (dir, a, b) = try CompareTests.files(old: [500.0, 505, 498, 502, 507].map { $0 * 1e6 }, new: [440.0, 444, 438, 441, 446].map { $0 * 1e6 })
        defer { Fixture.remove(dir) }
        let out = AnalyzerInvocation(files: [a, b], compare: true, plotDirectory: tmp.path).execute()
        #expect(out.status == 0)
        let chart = try Self.classes(tmp.path + "/" + Plots.changeFile)
        #expect(chart.counts["row"] == 5)
        #expect(chart.counts["label"] == 5)
        #expect(chart.texts.contains { $0.hasSuffix("slower") && $0.hasPrefix("-12") })
        #expect(chart.texts.contains { $0.contains("95% interval") })
    }

    @Test func labelsAreEscaped() throws {
        let chart = SVGLineChart(
            title: "a < b & \"c\"", xLabel: "x", yLabel: "y", xTicks: [(0, "<0>")],
            series: [.init(name: "s&t", points: [(0, 1), (1, 2)])], yUnit: (1, "u"), yFormat: { "\($0)" })
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let path = dir.appendingPathComponent("e.svg").path
        try Data(chart.render().utf8).write(to: URL(fileURLWithPath: path))
        #expect(try Self.parse(path).root == "svg")
    }

    @Test func unwritablePlotDirectoryIsBadInput() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { Fixture.remove(dir) }
        let file = dir.appendingPathComponent("file")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8)))
        let out = AnalyzerInvocation(files: [Fixture.baseline], plotDirectory: file.path + "/sub").execute()
        #expect(out.status == AnalyzerInvocation.badInput)
        #expect(out.stderr.count == 1)
    }
}
