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

    @Test func plotsAreWellFormedSVG() throws {
        let tmp = try Fixture.temporaryDirectory()
        defer { Fixture.remove(tmp) }
        let dir = tmp.appendingPathComponent("plots").path
        let out = AnalyzerInvocation(files: [Fixture.baseline], detail: .groupsOnly, plotDirectory: dir).execute()
        #expect(out.status == 0)
        #expect(out.stderr.count == 2)
        let throughput = try Self.parse(dir + "/" + Plots.throughputFile)
        #expect(throughput.root == "svg")
        #expect(throughput.counts["polyline", default: 0] >= 2)  // tcp and tls 1.3 have two client counts
        #expect(throughput.counts["circle", default: 0] == 6)  // one marker per (series, client count)
        let handshake = try Self.parse(dir + "/" + Plots.handshakeFile)
        #expect(handshake.root == "svg")
        #expect(handshake.counts["polyline", default: 0] == 3)  // tls 1.2, tls 1.3, handshake bench
    }

    @Test func compareWritesOldAndNewSeries() throws {
        let tmp = try Fixture.temporaryDirectory()
        defer { Fixture.remove(tmp) }
        let dir = tmp.path
        let out = AnalyzerInvocation(files: [Fixture.baseline, Fixture.regressed], compare: true, plotDirectory: dir).execute()
        #expect(out.status == 0)
        let svg = try String(contentsOfFile: dir + "/" + Plots.throughputFile, encoding: .utf8)
        #expect(svg.contains(">OLD tcp<") && svg.contains(">NEW tcp<"))
        _ = try Self.parse(dir + "/" + Plots.throughputFile)
        _ = try Self.parse(dir + "/" + Plots.handshakeFile)
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
