/// The console report, in the style of the original perf9-analyze.
public enum TextReport {
    static let rule = String(repeating: "=", count: 80)

    static func banner(_ title: String) -> String {
        "\(rule)\n  \(title)\n\(rule)\n"
    }

    static func block(_ name: String, _ lines: [(String, String)]) -> String {
        var s = "  \(name):\n"
        for (label, value) in lines {
            let padded = (label + ":").padding(toLength: 15, withPad: " ", startingAt: 0)
            s += "    \(padded)\(value)\n"
        }
        return s
    }

    public static func render(_ a: Analysis, detail: ReportDetail) -> String {
        var out = ""
        for line in a.inputs { out += "Input: \(line)\n" }
        if !a.inputs.isEmpty { out += "\n" }
        switch detail {
        case .groupsOnly:
            break
        case .normal:
            out += banner("Tests")
            out += "\n"
            for t in a.tests {
                var tp = t.throughput.map(Units.rate) ?? "no throughput"
                if t.isHandshakeBenchmark, let h = LatencySummary(nanos: t.handshakes) {
                    tp = "\(h.count) handshakes, \(Units.millis(h.mean)) mean, \(Units.millis(h.p95)) p95"
                }
                out += "  [\(t.perfCase.status)] \(t.perfCase.test) \(t.perfCase.configuration.label): \(tp), \(t.connected)/\(t.attempted) connected"
                if let m = t.versionMismatch { out += ", WARNING asked for \(m)" }
                out += "\n"
            }
            out += "\n"
        case .everyTest:
            out += banner("Tests")
            out += "\n"
            for t in a.tests {
                out += block(t.perfCase.id, StatLines.lines(t))
                out += "\n"
            }
        }
        for (dimension, groups) in a.sections {
            out += banner(dimension.title)
            out += "\n"
            for g in groups {
                out += block(g.name, StatLines.lines(g))
                out += "\n"
            }
        }
        let ratios = ProtocolRatio.all(a.tests)
        if !ratios.isEmpty {
            out += banner("Encrypted vs Plaintext (same load)")
            out += "\n"
            var loads: [String] = []
            for r in ratios where !loads.contains(r.load) { loads.append(r.load) }
            for load in loads {
                out += block(load, ratios.filter { $0.load == load }.map { ("Ratio", $0.text) })
                out += "\n"
            }
        }
        out += IdleMemoryReport.render(a.tests.map(\.perfCase))
        return out
    }

    public static func render(_ c: ComparisonReport) -> String {
        var out = "OLD: \(c.oldFiles.joined(separator: "; "))\nNEW: \(c.newFiles.joined(separator: "; "))\n\n"
        out += banner("Comparison: OLD → NEW")
        out += "\n  Significance: \(MannWhitneyU.name), on per-client throughput; α = \(GroupComparison.alpha)\n"
        out += "  Change: of the mean test throughput, NEW relative to OLD\n\n"
        for (dimension, rows) in c.sections {
            out += banner(dimension.title)
            out += "\n"
            for r in rows {
                out += block(r.name, lines(r))
                out += "\n"
            }
        }
        for note in c.unmatched { out += "  \(note)\n" }
        if let limit = c.failOnRegression {
            let bad = c.regressions
            let rule = "more than \(fmt(limit))% with p < \(GroupComparison.alpha)"
            if bad.isEmpty {
                out += "Regression gate: passed — no group dropped \(rule)\n"
            } else {
                out += "Regression gate: FAILED — \(bad.count) group(s) dropped \(rule):\n"
                for r in bad {
                    let p = r.test.map { pValue($0.p) } ?? "?"
                    out += "  - \(r.dimension.title): \(r.name): \(r.change.map(Units.percent) ?? "?") (p = \(p))\n"
                }
            }
        }
        return out
    }

    static func lines(_ r: GroupComparison) -> [(String, String)] {
        var out: [(String, String)] = []
        if r.comparesLatency, let oh = r.old.handshake, let nh = r.new.handshake {
            out.append(("Handshake", "\(Units.millis(oh.mean)) → \(Units.millis(nh.mean)) (mean)   \(r.change.map(Units.percent) ?? "n/a")"))
            out.append(("Handshake p95", "\(Units.millis(oh.p95)) → \(Units.millis(nh.p95))"))
            appendTest(r, to: &out, unit: "handshakes")
            return out
        }
        let o = r.old.throughput.map { Units.rate($0.mean) } ?? "–"
        let n = r.new.throughput.map { Units.rate($0.mean) } ?? "–"
        out.append(("Throughput", "\(o) → \(n)   \(r.change.map(Units.percent) ?? "n/a")"))
        if let oc = r.old.perClient, let nc = r.new.perClient {
            out.append(("Client median", "\(Units.rate(oc.median)) → \(Units.rate(nc.median))   \(r.clientMedianChange.map(Units.percent) ?? "n/a")"))
        }
        if let oh = r.old.handshake, let nh = r.new.handshake {
            let ch = GroupComparison.percentChange(oh.p95, nh.p95).map(Units.percent) ?? "n/a"
            out.append(("Handshake p95", "\(Units.millis(oh.p95)) → \(Units.millis(nh.p95))   \(ch)"))
        }
        appendTest(r, to: &out, unit: "clients")
        return out
    }

    static func appendTest(_ r: GroupComparison, to out: inout [(String, String)], unit: String) {
        if let t = r.test {
            out.append(("Mann–Whitney", "U = \(fmt(t.u)) (U_old = \(fmt(t.u1))), z = \(String(format: "%.3f", t.z)), p = \(pValue(t.p)) (n = \(t.n1) old, \(t.n2) new \(unit))"))
        }
        out.append(("Verdict", r.verdict.rawValue))
        out.append(("Tests", "\(r.old.tests.count) old, \(r.new.tests.count) new"))
    }

    static func fmt(_ x: Double) -> String {
        x == x.rounded() ? String(format: "%.0f", x) : String(format: "%.1f", x)
    }

    /// "0.0123", or "1.2e-07" for tiny values.
    public static func pValue(_ p: Double) -> String {
        p < 0.0001 ? String(format: "%.2e", p) : String(format: "%.4f", p)
    }
}
