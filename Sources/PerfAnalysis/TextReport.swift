/// The console report, in the style of the original perf9-analyze.
package enum TextReport {
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

    package static func render(_ a: Analysis, detail: ReportDetail) -> String {
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
        var repeated: [String] = []
        for (dimension, groups) in a.sections {
            if let same = a.sameAsText(dimension) {
                repeated.append(same)
                continue
            }
            out += banner(dimension.title)
            out += "\n"
            for g in groups {
                out += block(g.name, StatLines.lines(g))
                out += "\n"
            }
        }
        for line in repeated { out += "  \(line).\n" }
        if !repeated.isEmpty { out += "\n" }
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

    package static func render(_ c: ComparisonReport) -> String {
        var out = "OLD: \(c.oldFiles.joined(separator: "; "))\nNEW: \(c.newFiles.joined(separator: "; "))\n\n"
        for w in c.warnings { out += "WARNING: the runs differ — \(w)\n" }
        if !c.conditions.isEmpty {
            out += "VERDICTS WITHHELD: the runs' conditions differ (\(c.conditions.joined(separator: ", "))): a change may be the "
            out += "machine's, not the code's; faster/slower show as faster?/slower? and --fail-on-regression does not count them\n"
        }
        if !c.warnings.isEmpty || !c.conditions.isEmpty { out += "\n" }
        out += banner("Comparison: OLD → NEW, per repetition")
        out += "\n  Method: \(ComparisonReport.method)\n"
        out +=
            "  Verdict: faster/slower only when the \(confidence(c.options)) interval excludes 0 AND the change is at least "
            + "\(fmt(c.options.minEffect))% (--min-effect); needs ≥ \(HodgesLehmann.minimumRepetitions(alpha: c.options.alpha)) repetitions per side\n\n"
        var last = ""
        for r in c.rows {
            if r.configuration != last {
                out += "  \(r.configuration):\n"
                last = r.configuration
            }
            out += "    " + line(r, c.options) + "\n"
        }
        out += "\n"
        for note in c.unmatched { out += "  \(note)\n" }
        let counts = Dictionary(grouping: c.rows, by: \.verdict).mapValues(\.count)
        out +=
            "  Summary: "
            + [MetricComparison.Verdict.faster, .slower, .fasterWithheld, .slowerWithheld, .noChange, .notEnough, .noData]
            .compactMap { v in counts[v].map { "\($0) \(v.rawValue)" } }.joined(separator: ", ") + "\n"
        if let limit = c.failOnRegression {
            let bad = c.regressions
            let rule = "significantly slower by more than \(fmt(limit))%"
            let withheld = c.withheld.filter { $0.verdict == .slowerWithheld }.count
            if bad.isEmpty {
                out += "Regression gate: passed — no metric \(rule)"
                out += withheld > 0 ? " (\(withheld) slower? not counted: the runs' conditions differ)\n" : "\n"
            } else {
                out += "Regression gate: FAILED — \(bad.count) metric(s) \(rule):\n"
                for r in bad { out += "  - \(r.configuration): \(r.metric.rawValue) \(r.estimate.map { Units.percent($0.percent) } ?? "?")\n" }
            }
        }
        return out
    }

    static func confidence(_ o: CompareOptions) -> String { "\(fmt((1 - o.alpha) * 100))%" }

    /// "throughput  1.20 GB/s → 1.08 GB/s  -10.02% [-12.1%, -7.9%]  p = 0.0079  (5 vs 5)  slower".
    static func line(_ r: MetricComparison, _ o: CompareOptions) -> String {
        let name = (r.metric.rawValue + ":").padding(toLength: 14, withPad: " ", startingAt: 0)
        let values = "\(r.oldMedian.map(r.metric.format) ?? "–") → \(r.newMedian.map(r.metric.format) ?? "–") (medians)"
        var s = "\(name)\(values)"
        if let e = r.estimate {
            s += "  \(Units.percent(e.percent))"
            if let lo = e.percentLower, let hi = e.percentUpper {
                s += " [\(Units.percent(lo)), \(Units.percent(hi))]"
            }
            s += "  p = \(pValue(e.p))"
        }
        s += "  (\(r.old.count) vs \(r.new.count))  \(r.verdict.rawValue.uppercased())"
        if r.isWithheld {
            s += " (\(r.reason))"
        } else if r.verdict != .faster && r.verdict != .slower {
            s += " — \(r.reason)"
        }
        return s
    }

    static func fmt(_ x: Double) -> String {
        x == x.rounded() ? String(format: "%.0f", x) : String(format: "%.1f", x)
    }

    /// "0.0123", or "1.2e-07" for tiny values.
    package static func pValue(_ p: Double) -> String {
        p < 0.0001 ? String(format: "%.2e", p) : String(format: "%.4f", p)
    }
}
