import Foundation

/// JUnit XML (the Ant/Surefire dialect most CI systems read): one
/// `<testsuite>` per Assay suite, one `<testcase>` per case, plus one
/// `(worker)` test case per suite failure.
///
/// The counts agree with the console's closing line `P passed, F failed, S skipped`:
/// `tests − failures − errors − skipped = P`, `failures + errors = F`, and
/// `skipped = S + expected-fail` — an expected failure is written as pytest
/// writes an xfail: `<skipped type="expected-fail" message="expected failure: …"/>`.
public enum JUnitWriter {
    /// The four JUnit counters for a set of cases and suite failures.
    struct Counts {
        var tests = 0, failures = 0, errors = 0, skipped = 0
        init(_ cases: [CaseResult], suiteFailures: Int) {
            tests = cases.count + suiteFailures
            errors = suiteFailures
            for c in cases {
                switch JUnitWriter.element(c.status) {
                case .failure: failures += 1
                case .error: errors += 1
                case .skipped: skipped += 1
                case .none: break
                }
            }
        }
    }

    /// The child element a case's `<testcase>` gets.
    enum Element { case none, failure, error, skipped }

    static func element(_ s: CaseStatus) -> Element {
        switch s {
        case .passed, .flaky: return .none
        case .failed, .unexpectedPass: return .failure
        case .timedOut, .crashed: return .error
        case .skipped, .expectedFail: return .skipped
        }
    }

    public static func xml(for results: RunResults) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let all = Counts(results.cases, suiteFailures: results.suites.filter { $0.failure != nil }.count)
        out += "<testsuites name=\"assay\" tests=\"\(all.tests)\" failures=\"\(all.failures)\" errors=\"\(all.errors)\" skipped=\"\(all.skipped)\">\n"
        for suite in results.suites {
            let cases = results.cases.filter { $0.category == suite.category && $0.suite == suite.name }
            let n = Counts(cases, suiteFailures: suite.failure == nil ? 0 : 1)
            out +=
                "  <testsuite name=\"\(esc(suite.category + "/" + suite.name))\" tests=\"\(n.tests)\" failures=\"\(n.failures)\" errors=\"\(n.errors)\" skipped=\"\(n.skipped)\" time=\"\(fmt(suite.duration))\">\n"
            for c in cases {
                let name = c.id.split(separator: "/", maxSplits: 2).count == 3 ? String(c.id.split(separator: "/", maxSplits: 2)[2]) : c.id
                out += "    <testcase classname=\"\(esc(suite.category + "." + suite.slug))\" name=\"\(esc(name))\" time=\"\(fmt(c.duration))\""
                let msg = esc(c.message ?? "")
                switch c.status {
                case .passed:
                    out += "/>\n"
                case .flaky:
                    // Passed, with the failed attempt recorded as Maven Surefire does (Jenkins and GitLab show it).
                    out += ">\n      <flakyFailure type=\"flaky\" message=\"\(msg)\">\(esc(detail(c)))</flakyFailure>\n    </testcase>\n"
                case .skipped:
                    out += ">\n      <skipped message=\"\(msg)\"/>\n    </testcase>\n"
                case .expectedFail:
                    out += ">\n      <skipped type=\"expected-fail\" message=\"expected failure: \(msg)\"/>\n    </testcase>\n"
                case .failed, .unexpectedPass:
                    out += ">\n      <failure type=\"\(c.status.rawValue)\" message=\"\(msg)\">\(esc(detail(c)))</failure>\n    </testcase>\n"
                case .timedOut, .crashed:
                    out += ">\n      <error type=\"\(c.status.rawValue)\" message=\"\(msg)\">\(esc(detail(c)))</error>\n    </testcase>\n"
                }
            }
            if let f = suite.failure {
                out +=
                    "    <testcase classname=\"\(esc(suite.category + "." + suite.slug))\" name=\"(worker)\">\n      <error type=\"worker\" message=\"\(esc(f))\">\(esc(suite.workerOutput ?? ""))</error>\n    </testcase>\n"
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
