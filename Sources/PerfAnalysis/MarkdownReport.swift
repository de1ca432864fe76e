import Foundation

/// GitHub-flavoured markdown: one table per section.
package enum MarkdownReport {
    static let header =
        "| Group | Tests | Throughput mean | median | p95 | Client slowest | Client fastest | Handshake mean | Handshake p95 | Bytes | Iterations | Connected |"
    static let separator = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static func row(_ g: GroupSummary, name: String) -> String {
        let dash = "–"
        var cells: [String] = [cell(name), String(g.tests.count)]
        if let t = g.throughput {
            cells += [Units.rate(t.mean), Units.rate(t.median), Units.rate(t.p95)]
        } else {
            cells += [dash, dash, dash]
        }
        if let c = g.perClient {
            cells += [Units.rate(c.min), Units.rate(c.max)]
        } else {
            cells += [dash, dash]
        }
        if let h = g.handshake {
            cells += [Units.millis(h.mean), Units.millis(h.p95)]
        } else {
            cells += [dash, dash]
        }
        cells += [Units.bytes(Double(g.totalBytes)), String(g.iterations), "\(g.connected)/\(g.attempted)"]
        return "| " + cells.joined(separator: " | ") + " |"
    }

    package static func render(_ a: Analysis, detail: ReportDetail) -> String {
        var out = "# perf9 results\n\nInput: " + a.files.map { "`\($0)`" }.joined(separator: ", ") + "\n\n"
        if detail != .groupsOnly {
            out += "## Tests\n\n\(header)\n\(separator)\n"
            for t in a.tests {
                let g = GroupSummary(dimension: .configuration, key: GroupKey(name: t.perfCase.id, sort: [], text: ""), tests: [t])
                out += row(g, name: "\(t.perfCase.test) \(t.perfCase.configuration.label) (\(t.perfCase.status))") + "\n"
            }
            out += "\n"
        }
        for (d, groups) in a.sections {
            if let same = a.sameAsText(d) {
                out += "_\(same)._\n\n"
                continue
            }
            out += "## \(d.title)\n\n\(header)\n\(separator)\n"
            for g in groups { out += row(g, name: g.name) + "\n" }
            let warnings = groups.filter { !$0.versionMismatches.isEmpty }
            for g in warnings { out += "\n**Warning:** \(g.name): negotiated \(g.negotiatedText), not the version asked for.\n" }
            out += "\n"
        }
        let datagram = a.tests.filter { $0.datagram != nil }
        if !datagram.isEmpty {
            out += "## Datagram loss and round trip (DTLS)\n\n"
            out += "| Test | Messages | Lost | Retransmissions | Late echoes | Dropped (client/server) | RTT p50 | RTT p99 | RTT max |\n"
            out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            for t in datagram {
                let d = t.datagram!
                let rtt = d.roundTrip.map { [Units.millis($0.median), Units.millis($0.p99), Units.millis($0.max)] } ?? ["–", "–", "–"]
                let cells =
                    [cell(t.perfCase.configuration.label), String(d.messages), String(d.lost), String(d.retransmissions), String(d.lateEchoes)]
                    + ["\(d.clientDropped)/\(d.serverDropped)"] + rtt
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            out += "\n"
        }
        let ratios = ProtocolRatio.all(a.tests)
        if !ratios.isEmpty {
            out += "## Encrypted vs Plaintext (same load)\n\n| Load | Protocols | Throughput | Ratio |\n|---|---|---:|---:|\n"
            for r in ratios {
                let tp = "\(Units.rate(r.secureThroughput)) / \(Units.rate(r.plainThroughput))"
                out += "| \(cell(r.load)) | \(r.secure) / \(r.plain) | \(tp) | " + String(format: "%.2f×", r.ratio) + " |\n"
            }
            out += "\n"
        }
        return out
    }

    package static func render(_ c: ComparisonReport) -> String {
        var out =
            "# perf9 comparison\n\nOLD: " + c.oldFiles.map { "`\($0)`" }.joined(separator: ", ")
            + "  \nNEW: " + c.newFiles.map { "`\($0)`" }.joined(separator: ", ") + "\n\n"
        for w in c.warnings { out += "> **Warning:** the runs differ — \(w)\n" }
        if !c.conditions.isEmpty {
            out += "> **Verdicts withheld:** the runs' conditions differ (\(c.conditions.joined(separator: ", "))); "
            out += "faster?/slower? are not counted by the regression gate.\n"
        }
        if !c.warnings.isEmpty || !c.conditions.isEmpty { out += "\n" }
        out +=
            "Method: \(ComparisonReport.method); \(TextReport.confidence(c.options)) interval; minimum effect "
            + "\(TextReport.fmt(c.options.minEffect))%.\n\n"
        out += "| Configuration | Metric | OLD (median) | NEW (median) | Change | \(TextReport.confidence(c.options)) interval | p | n | Verdict |\n"
        out += "|---|---|---:|---:|---:|---:|---:|---:|---|\n"
        for r in c.rows {
            let e = r.estimate
            let interval = e.flatMap { e in e.percentLower.map { "[\(Units.percent($0)), \(Units.percent(e.percentUpper!))]" } } ?? "–"
            let cells = [
                cell(r.configuration), r.metric.rawValue, r.oldMedian.map(r.metric.format) ?? "–",
                r.newMedian.map(r.metric.format) ?? "–", e.map { Units.percent($0.percent) } ?? "–", interval,
                e.map { TextReport.pValue($0.p) } ?? "–", "\(r.old.count)/\(r.new.count)",
                r.verdict.rawValue + (r.isWithheld ? " (" + cell(r.reason) + ")" : ""),
            ]
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        out += "\n"
        for note in c.unmatched { out += "- \(note)\n" }
        if let limit = c.failOnRegression {
            out += "\nRegression gate (\(limit)%): " + (c.regressions.isEmpty ? "passed" : "FAILED (\(c.regressions.count) metric(s))") + "\n"
        }
        return out
    }
}
