import Foundation

/// JUnit XML (the Ant/Surefire dialect most CI systems read): one
/// `<testsuite>` per Assay suite, one `<testcase>` per case.
public enum JUnitWriter {
    public static func xml(for results: RunResults) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let t = results.totals
        out += "<testsuites name=\"assay\" tests=\"\(t.cases)\" failures=\"\(t.failed + t.unexpectedPass)\" errors=\"\(t.crashed + t.timedOut + t.suiteFailures)\" skipped=\"\(t.skipped)\">\n"
        for suite in results.suites {
            let cases = results.cases.filter { $0.category == suite.category && $0.suite == suite.name }
            let failures = cases.filter { $0.status == .failed || $0.status == .unexpectedPass }.count
            let errors = cases.filter { $0.status == .crashed || $0.status == .timedOut }.count + (suite.failure == nil ? 0 : 1)
            let skipped = cases.filter { $0.status == .skipped }.count
            out += "  <testsuite name=\"\(esc(suite.category + "/" + suite.name))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(fmt(suite.duration))\">\n"
            for c in cases {
                let name = c.id.split(separator: "/", maxSplits: 2).count == 3 ? String(c.id.split(separator: "/", maxSplits: 2)[2]) : c.id
                out += "    <testcase classname=\"\(esc(suite.category + "." + suite.slug))\" name=\"\(esc(name))\" time=\"\(fmt(c.duration))\""
                let msg = esc(c.message ?? "")
                switch c.status {
                case .passed, .expectedFail:
                    out += "/>\n"
                case .skipped:
                    out += ">\n      <skipped message=\"\(msg)\"/>\n    </testcase>\n"
                case .failed, .unexpectedPass:
                    out += ">\n      <failure type=\"\(c.status.rawValue)\" message=\"\(msg)\">\(esc(detail(c)))</failure>\n    </testcase>\n"
                case .timedOut, .crashed:
                    out += ">\n      <error type=\"\(c.status.rawValue)\" message=\"\(msg)\">\(esc(detail(c)))</error>\n    </testcase>\n"
                }
            }
            if let f = suite.failure {
                out += "    <testcase classname=\"\(esc(suite.category + "." + suite.slug))\" name=\"(worker)\">\n      <error type=\"worker\" message=\"\(esc(f))\">\(esc(suite.workerOutput ?? ""))</error>\n    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    public static func write(_ results: RunResults, to path: String) throws {
        try AtomicFile.write(Data(xml(for: results).utf8), to: path)
    }

    private static func detail(_ c: CaseResult) -> String {
        c.issues.map { i in (i.location.map { "\($0): " } ?? "") + i.message }.joined(separator: "\n")
    }

    private static func fmt(_ d: Double) -> String { String(format: "%.3f", d) }

    static func esc(_ s: String) -> String {
        var r = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            case "'": r += "&apos;"
            default:
                // XML 1.0 forbids most control characters, even escaped.
                if u.value < 0x20 && u != "\n" && u != "\t" && u != "\r" { r += "?" } else { r.unicodeScalars.append(u) }
            }
        }
        return r
    }
}
