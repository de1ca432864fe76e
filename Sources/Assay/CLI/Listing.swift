import Foundation

/// `--list` and `--dry-run` output.
enum Listing {
    static func print(_ what: String, catalog: Catalog, filters: [FilterExpression]) {
        func selected(_ s: Suite, _ t: TestDefinition) -> Bool {
            filters.isEmpty || filters.contains { Planner.pathMatches($0, category: s.category, suite: s, test: t) }
        }
        var out: [String] = []
        if what == "categories" || what == "all" {
            var order: [String] = []
            var counts: [String: Int] = [:]
            for s in catalog.suites where s.tests.contains(where: { selected(s, $0) }) {
                if counts[s.category] == nil { order.append(s.category) }
                counts[s.category, default: 0] += 1
            }
            if what == "all" { out.append("categories:") }
            out += order.map { "  \($0) (\(counts[$0]!) suite\(counts[$0]! == 1 ? "" : "s"))" }
        }
        if what == "suites" || what == "all" {
            if what == "all" { out.append("suites:") }
            for s in catalog.suites {
                let n = s.tests.filter { selected(s, $0) }.count
                guard n > 0 else { continue }
                var line = "  \(s.category)/\(s.name)"
                if s.slug != s.name { line += " (\(s.slug))" }
                line += " — \(n) test\(n == 1 ? "" : "s")"
                if let d = s.description { line += ": \(d)" }
                out.append(line)
            }
        }
        if what == "tests" || what == "all" {
            if what == "all" { out.append("tests:") }
            for (si, s) in catalog.suites.enumerated() {
                for (ti, t) in s.tests.enumerated() where selected(s, t) {
                    var line = "  " + ([s.category, s.name] + t.path).map(GlobPattern.escape).joined(separator: "/")
                    if let m = catalog.matrices[si][ti] {
                        line +=
                            "  [\(t.kind.rawValue): " + m.dimensions.map { "\($0.name)×\($0.values.count)" }.joined(separator: " ")
                            + " = \(m.count)" + (m.name.map { ", matrix \($0)" } ?? "") + "]"
                    }
                    if let c = t.coordinated {
                        line += "  <parallel=\(c.parallel.rawValue)," + c.roles.map { "\($0.name)=\($0.count)" }.joined(separator: ",") + ">"
                    }
                    if let e = catalog.matrixErrors[si][ti] { line += "  (matrix error: \(e))" }
                    if let skip = t.options.skip { line += "  (skip: \(skip))" }
                    if let xf = t.options.expectedFail { line += "  (expected-fail: \(xf))" }
                    if !t.options.tags.isEmpty { line += "  #" + t.options.tags.joined(separator: " #") }
                    out.append(line)
                }
            }
        }
        Swift.print(out.joined(separator: "\n"))
    }

    /// The plan: per suite and test, counts; the case ids when there are at
    /// most 1000 cases (verbosity ≥ 1) or always at verbosity ≥ 5.
    static func printPlan(_ plan: Plan, verbosity: Int) {
        let showIDs = verbosity >= 5 || (verbosity >= 1 && plan.caseCount <= 1000)
        var out: [String] = []
        var totalSkipped = 0
        for ps in plan.suites {
            let skipped = ps.cases.filter { $0.skipReason != nil }.count
            totalSkipped += skipped
            out.append(
                "\(ps.suite.category)/\(ps.suite.name): \(ps.cases.count) case\(ps.cases.count == 1 ? "" : "s") (\(ps.cases.count - skipped) to run, \(skipped) skipped)"
            )
            if verbosity >= 1 {
                var i = 0
                while i < ps.cases.count {
                    let t = ps.cases[i].testIndex
                    var j = i
                    while j < ps.cases.count && ps.cases[j].testIndex == t { j += 1 }
                    let slice = ps.cases[i..<j]
                    let sk = slice.filter { $0.skipReason != nil }.count
                    out.append("  \(slice.first!.test.path.joined(separator: "/")): \(slice.count) (\(slice.count - sk) to run, \(sk) skipped)")
                    if showIDs {
                        for c in slice {
                            var line = "    \(c.id)"
                            if c.ensured { line += "  (ensured)" }
                            if let r = c.skipReason { line += "  — skip: \(r)" }
                            out.append(line)
                        }
                    }
                    i = j
                }
            }
        }
        out.append("plan: \(plan.caseCount) cases in \(plan.suites.count) suites (\(plan.caseCount - totalSkipped) to run, \(totalSkipped) skipped)")
        Swift.print(out.joined(separator: "\n"))
    }
}
