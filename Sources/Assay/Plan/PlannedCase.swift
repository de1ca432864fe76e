/// One case of the plan: a test (and a combination, for matrix tests).
package struct PlannedCase: Sendable {
    package let suiteIndex: Int
    package let testIndex: Int
    /// Index of the combination in the matrix's full product (0 for simple tests).
    package let comboIndex: Int
    package let category: String
    package let suiteName: String
    package let test: TestDefinition
    package let combination: Combination
    /// Coordinated selector values, in the order given.
    package let coordination: [(key: String, value: String)]
    /// Set when the plan already knows the case is skipped (skip option, skip rule).
    package var skipReason: String?
    /// True when the combination is one of the test's ensured combinations.
    package var ensured: Bool
    /// With `--repeat N` (N > 1): which repetition this is, 1…N (see `Plan.repeated`).
    package var repetition: Int? = nil

    /// The canonical id: `category/suite/[group/]test[k=v,…]<k=v,…>`. Passed
    /// back to `-f` it selects exactly this case.
    package var id: String {
        CanonicalID.make(
            category: category, suite: suiteName, path: test.path,
            combination: test.kind == .simple ? [] : combination.pairs, coordination: coordination)
    }
}

enum CanonicalID {
    static func make(
        category: String, suite: String, path: [String], combination: [(String, AssayValue)],
        coordination: [(key: String, value: String)]
    ) -> String {
        var s = ([category, suite] + path).map(GlobPattern.escape).joined(separator: "/")
        if !combination.isEmpty {
            s += "[" + combination.map { "\($0.0)=\(GlobPattern.escape($0.1.description))" }.joined(separator: ",") + "]"
        }
        if !coordination.isEmpty {
            s += "<" + coordination.map { "\($0.key)=\(GlobPattern.escape($0.value))" }.joined(separator: ",") + ">"
        }
        return s
    }
}

/// The cases of one suite, in run order.
package struct PlannedSuite: Sendable {
    package let suiteIndex: Int
    package let suite: Suite
    package var cases: [PlannedCase]
}

/// The whole plan.
package struct Plan: Sendable {
    package var suites: [PlannedSuite]
    package var caseCount: Int { suites.reduce(0) { $0 + $1.cases.count } }
    /// Warnings (e.g. a filter that matched nothing).
    package var warnings: [String]
}

/// A usage problem found while planning (exit status 2).
package struct PlanError: Error, CustomStringConvertible {
    package let description: String
}
