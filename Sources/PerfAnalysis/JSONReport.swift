import Foundation

/// Machine-readable output (`--format json`): schema "perf9-analysis",
/// version 1. Rates are bytes per second, latencies nanoseconds.
package enum JSONReport {
    package static let schema = "perf9-analysis"
    package static let schemaVersion = 1

    struct Group: Encodable {
        var name: String
        var tests: Int
        var throughput: Statistics.Summary?
        var perClient: Statistics.Summary?
        var handshake: LatencySummary?
        var handshakeRate: Statistics.Summary?
        var totalBytes: Int
        var iterations: Int
        var connected: Int
        var attempted: Int
        var negotiated: [String: Int]
        var versionMismatches: Int
        var errors: [String: Int]
        var handshakeFailures: Int
        var participants: [GroupSummary.Participants]
        /// DTLS echo: lost/echoed messages, retransmissions, late echoes, drops, sampled round trips (ns).
        var datagram: DatagramSummary?

        init(_ g: GroupSummary) {
            datagram = g.datagram
            name = g.name
            tests = g.tests.count
            throughput = g.throughput
            perClient = g.perClient
            handshake = g.handshake
            handshakeRate = g.handshakeRate
            totalBytes = g.totalBytes
            iterations = g.iterations
            connected = g.connected
            attempted = g.attempted
            negotiated = g.negotiated
            versionMismatches = g.versionMismatches.count
            errors = g.errors
            handshakeFailures = g.handshakeFailures
            participants = g.participants
        }
    }

    struct Test: Encodable {
        var id: String
        var test: String
        var status: String
        var source: String
        var configuration: PerfConfiguration
        var summary: Group
    }

    struct Section: Encodable {
        var dimension: GroupDimension
        var title: String
        var groups: [Group]
    }

    struct Report: Encodable {
        var schema = JSONReport.schema
        var schemaVersion = JSONReport.schemaVersion
        var files: [String]
        var tests: [Test]?
        var sections: [Section]
        var protocolRatios: [ProtocolRatio]
    }

    struct Row: Encodable {
        var configuration: String
        var metric: Metric
        var old: [Double]
        var new: [Double]
        var changePercent: Double?
        var intervalPercent: [Double]?
        var p: Double?
        var exact: Bool?
        var verdict: MetricComparison.Verdict
        var reason: String
    }

    struct Compare: Encodable {
        var schema = JSONReport.schema
        var schemaVersion = JSONReport.schemaVersion
        var old: [String]
        var new: [String]
        var method = ComparisonReport.method
        var alpha: Double
        var minEffectPercent: Double
        var rows: [Row]
        var unmatched: [String]
        var warnings: [String]
        /// The conditions that differ and withhold faster/slower verdicts ("faster?"/"slower?").
        var conditionsDiffer: [String]
        var failOnRegressionPercent: Double?
        var regressions: [String]
    }

    static func encode(_ v: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Encoding plain structs of numbers and strings cannot fail.
        let data = (try? e.encode(v)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    package static func render(_ a: Analysis, detail: ReportDetail) -> String {
        let tests =
            detail == .groupsOnly
            ? nil
            : a.tests.map { t in
                Test(
                    id: t.perfCase.id, test: t.perfCase.test, status: t.perfCase.status, source: t.perfCase.source,
                    configuration: t.perfCase.configuration,
                    summary: Group(GroupSummary(dimension: .configuration, key: GroupKey(name: t.perfCase.id, sort: [], text: ""), tests: [t])))
            }
        let sections = a.sections.map { Section(dimension: $0.0, title: $0.0.title, groups: $0.1.map(Group.init)) }
        return encode(Report(files: a.files, tests: tests, sections: sections, protocolRatios: ProtocolRatio.all(a.tests)))
    }

    package static func render(_ c: ComparisonReport) -> String {
        let rows = c.rows.map { r in
            Row(
                configuration: r.configuration, metric: r.metric, old: r.old, new: r.new, changePercent: r.estimate?.percent,
                intervalPercent: r.estimate.flatMap { e in e.percentLower.map { [$0, e.percentUpper!] } },
                p: r.estimate?.p, exact: r.estimate?.exact, verdict: r.verdict, reason: r.reason)
        }
        return encode(
            Compare(
                old: c.oldFiles, new: c.newFiles, alpha: c.options.alpha, minEffectPercent: c.options.minEffect, rows: rows,
                unmatched: c.unmatched, warnings: c.warnings, conditionsDiffer: c.conditions, failOnRegressionPercent: c.failOnRegression,
                regressions: c.regressions.map { "\($0.configuration): \($0.metric.rawValue)" }))
    }
}
