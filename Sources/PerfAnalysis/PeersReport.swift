import AssayResults
import Foundation

/// Renders a ``PeersTable`` (`analyzer peers DIR`): text, markdown or JSON.
package enum PeersReport {
    package static func render(_ run: PeersRun, format: ReportFormat) -> String {
        let table = PeersTable(run)
        switch format {
        case .text: return text(run, table)
        case .markdown: return markdown(run, table)
        case .json: return json(run, table)
        }
    }

    /// "1.23 GB/s", "950/s", "3.10 ms".
    static func value(_ v: Double, figure: String) -> String {
        switch figure {
        case "throughput": return Units.rate(v)
        case "handshakes/s", "messages/s": return String(format: "%.0f/s", v)
        default: return Units.millis(v)
        }
    }

    static func cell(_ c: PeersTable.Cell, figure: String) -> String {
        if let v = c.value {
            let s = value(v, figure: figure)
            guard c.stack != PeersTable.reference, let r = c.ratio else { return s }
            return s + String(format: " ×%.2f", r)
        }
        if let n = c.note { return c.failed ? "FAILED [\(n)]" : "n/a [\(n)]" }
        return "–"
    }

    static func lines(_ object: JSONValue?) -> [(String, String)] {
        guard case .object(let o)? = object else { return [] }
        return o.keys.sorted().map { k in
            switch o[k]! {
            case .string(let s): return (k, s)
            case .int(let i): return (k, String(i))
            case .double(let d): return (k, String(d))
            case .bool(let b): return (k, String(b))
            case .null: return (k, "–")
            case .array(let a):
                return (
                    k,
                    a.map { v -> String in
                        if case .string(let s) = v { return s }; return "\(v)"
                    }.joined(separator: ", ")
                )
            case .object: return (k, "{…}")
            }
        }
    }

    static let legend =
        "Each stack is measured with its own client against its own server. ×r = figure ÷ JSec's figure in the same row "
        + "(throughput and handshakes/s: above 1 is faster than JSec; latency: above 1 is slower). Rates in powers of 1024. "
        + "\(ceilingValueHeader) = per row the better of C on OpenSSL's two modes, c-openssl (threads: a thread per connection, "
        + "blocking) and c-openssl-epoll (epoll: one thread, non-blocking), and which mode it was; "
        + "\(ceilingHeader) and \(poolCeilingHeader) = the share of that ceiling JSec (tasks on the event loops) and jsec-pool "
        + "(tasks on Swift's cooperative pool) deliver (rates: JSec ÷ C; latencies: C ÷ JSec; 1.00 = the ceiling)."

    static let ceilingHeader = "JSec ÷ C"
    static let poolCeilingHeader = "jsec-pool ÷ C"
    static let ceilingValueHeader = "C ceiling"

    static func share(_ row: PeersTable.Row) -> String {
        ratio(row.ceilingShare)
    }

    static func ratio(_ v: Double?) -> String {
        v.map { String(format: "%.2f", $0) } ?? "–"
    }

    /// "1.23 GB/s epoll", "–".
    static func ceilingCell(_ row: PeersTable.Row) -> String {
        guard let c = row.ceiling, let mode = row.ceilingMode else { return "–" }
        return value(c, figure: row.figure) + " " + mode
    }

    /// The columns after the stacks: JSec ÷ C, jsec-pool ÷ C (with jsec-pool), C ceiling; none without a C stack.
    static func ceilingHeaders(_ t: PeersTable) -> [String] {
        guard t.hasCeiling else { return [] }
        return [ceilingHeader] + (t.stacks.contains(PeersTable.pool) ? [poolCeilingHeader] : []) + [ceilingValueHeader]
    }

    static func ceilingColumns(_ t: PeersTable, _ row: PeersTable.Row) -> [String] {
        guard t.hasCeiling else { return [] }
        return [share(row)] + (t.stacks.contains(PeersTable.pool) ? [ratio(row.poolCeilingShare)] : []) + [ceilingCell(row)]
    }

    static func text(_ run: PeersRun, _ t: PeersTable) -> String {
        var out = TextReport.banner("Peers side by side: \(run.directory)")
        for (title, key) in [("Parameters", "parameters"), ("Machine", "machine")] {
            let ls = lines(run.info[key])
            if ls.isEmpty { continue }
            out += "\n  \(title):\n"
            for (k, v) in ls { out += "    \(k.padding(toLength: 18, withPad: " ", startingAt: 0)) \(v)\n" }
        }
        out += "\n  \(legend)\n"
        for r in t.runs {
            out += "\n" + TextReport.banner(r.title)
            let header = ["workload", "figure"] + t.stacks + ceilingHeaders(t)
            let body = r.rows.map { row in
                [row.workload, row.figure] + row.cells.map { cell($0, figure: row.figure) } + ceilingColumns(t, row)
            }
            let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max()! }
            func line(_ cols: [String]) -> String {
                "  "
                    + cols.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
            }
            out += line(header)
            out += line(widths.map { String(repeating: "-", count: $0) })
            var last = ""
            for (row, cols) in zip(r.rows, body) {
                var c = cols
                if row.workload == last { c[0] = "" }  // one label per workload block
                last = row.workload
                out += line(c)
            }
        }
        if !t.notes.isEmpty {
            out += "\n  Notes:\n"
            for (i, n) in t.notes.enumerated() { out += "    [\(i + 1)] \(n)\n" }
        }
        let targets = PeersTarget.all(t)
        if !targets.isEmpty {
            out += "\n" + TextReport.banner("Targets (issue 8): quotient per run, met when ≥ the floor")
            let header = ["target", "workload", "floor"] + t.runs.map(\.title)
            let body = targets.map { g in [g.name, g.workload, String(format: "≥ %.1f", g.floor)] + g.values.map { targetCell($0, g.floor) } }
            out += table(header, body)
        }
        if !t.datagramLoss.isEmpty {
            out += "\n" + TextReport.banner("DTLS loss and retries (per run)")
            out += table(datagramHeader, t.datagramLoss.map(datagramCells))
        }
        if !t.crossChecks.isEmpty {
            out += "\n" + TextReport.banner("Cross-check: one stack's client against another's server")
            for line in crossCheckLines(t) { out += "  \(line)\n" }
        }
        return out
    }

    static let datagramHeader = ["workload", "stack", "run", "messages", "lost", "loss", "retransmissions", "late echoes"]

    static func datagramCells(_ l: PeersTable.DatagramLoss) -> [String] {
        let loss = l.messages > 0 ? String(format: "%.3f%%", 100 * Double(l.lost) / Double(l.messages)) : "–"
        return [l.workload, l.stack, String(l.run), String(l.messages), String(l.lost), loss, String(l.retransmissions), String(l.lateEchoes)]
    }

    /// "2.00 met", "0.60 missed", "–".
    static func targetCell(_ v: Double?, _ floor: Double) -> String {
        guard let v else { return "–" }
        return String(format: "%.2f ", v) + (v >= floor ? "met" : "missed")
    }

    /// Left-aligned columns, two spaces apart, a rule under the header.
    static func table(_ header: [String], _ body: [[String]]) -> String {
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max()! }
        func line(_ cols: [String]) -> String {
            "  "
                + cols.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + body.map(line).joined()
    }

    /// One line per cross-check measurement: "run 1: jsec client → node server, handshake full, …: 890/s, p50 11.03 ms, …; suite".
    static func crossCheckLines(_ t: PeersTable) -> [String] {
        var lines: [String] = []
        var i = 0
        let cs = t.crossChecks
        while i < cs.count {
            let c = cs[i]
            var figures: [String] = []
            while i < cs.count, cs[i].run == c.run, cs[i].client == c.client, cs[i].server == c.server, cs[i].workload == c.workload {
                let v = cs[i].value.map { value($0, figure: cs[i].figure) } ?? "–"
                figures.append(
                    cs[i].figure == "throughput" || cs[i].figure == "handshakes/s" ? v : "\(cs[i].figure.replacingOccurrences(of: "latency ", with: "")) \(v)")
                i += 1
            }
            lines.append(
                "run \(c.run): \(c.client) client → \(c.server) server, \(c.workload): \(figures.joined(separator: ", "))"
                    + (c.cipher.map { "; \($0)" } ?? ""))
        }
        return lines
    }

    static func markdown(_ run: PeersRun, _ t: PeersTable) -> String {
        var out = ""
        for (title, key) in [("Parameters", "parameters"), ("Machine", "machine")] {
            let ls = lines(run.info[key])
            if ls.isEmpty { continue }
            out += "**\(title):** " + ls.map { "\($0.0) \($0.1)" }.joined(separator: "; ") + "\n\n"
        }
        out += legend + "\n"
        for r in t.runs {
            let extra = ceilingHeaders(t)
            out += "\n#### \(r.title)\n\n| workload | figure | " + (t.stacks + extra).joined(separator: " | ") + " |\n"
            out += "|---|---|" + (t.stacks + extra).map { _ in "---:|" }.joined() + "\n"
            for row in r.rows {
                out +=
                    "| \(row.workload) | \(row.figure) | "
                    + (row.cells.map { cell($0, figure: row.figure) } + ceilingColumns(t, row)).joined(separator: " | ") + " |\n"
            }
        }
        if !t.notes.isEmpty {
            out += "\n" + t.notes.enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "  \n") + "\n"
        }
        let targets = PeersTarget.all(t)
        if !targets.isEmpty {
            out += "\nTargets (issue 8), quotient per run:\n\n| target | workload | floor | " + t.runs.map(\.title).joined(separator: " | ") + " |\n"
            out += "|---|---|---|" + t.runs.map { _ in "---:|" }.joined() + "\n"
            for g in targets {
                out +=
                    "| \(g.name) | \(g.workload) | ≥ \(String(format: "%.1f", g.floor)) | " + g.values.map { targetCell($0, g.floor) }.joined(separator: " | ")
                    + " |\n"
            }
        }
        if !t.datagramLoss.isEmpty {
            out += "\nDTLS loss and retries (per run):\n\n| " + datagramHeader.joined(separator: " | ") + " |\n"
            out += "|---|---|---:|" + datagramHeader.dropFirst(3).map { _ in "---:|" }.joined() + "\n"
            for l in t.datagramLoss { out += "| " + datagramCells(l).joined(separator: " | ") + " |\n" }
        }
        if !t.crossChecks.isEmpty {
            out += "\nCross-check (one stack's client against another's server):\n\n"
            for line in crossCheckLines(t) { out += "- \(line)\n" }
        }
        return out
    }

    static func json(_ run: PeersRun, _ t: PeersTable) -> String {
        struct Doc: Encodable {
            let schema = "compare-peers-analysis", schemaVersion = 1
            let directory: String
            let info: [String: JSONValue]
            let table: PeersTable
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(Doc(directory: run.directory, info: run.info, table: t))) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

extension PeersReport {
    /// `analyzer peers DIR`, in-process: never exits. Status 2 for a missing or malformed directory.
    package static func execute(directory: String, format: ReportFormat = .text) -> AnalyzerInvocation.Outcome {
        do {
            let run = try PeersRun.load(directory: directory)
            return AnalyzerInvocation.Outcome(stdout: render(run, format: format), stderr: [], status: AnalyzerInvocation.ok)
        } catch {
            return AnalyzerInvocation.Outcome(stdout: "", stderr: [error.description], status: AnalyzerInvocation.badInput)
        }
    }
}
