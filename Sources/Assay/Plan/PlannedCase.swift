/// One case of the plan: a test (and a combination, for matrix tests).
public struct PlannedCase: Sendable {
    public let suiteIndex: Int
    public let testIndex: Int
    /// Index of the combination in the matrix's full product (0 for simple tests).
    public let comboIndex: Int
    public let category: String
    public let suiteName: String
    public let test: TestDefinition
    public let combination: Combination
    /// Coordinated selector values, in the order given.
    public let coordination: [(key: String, value: String)]
    /// Set when the plan already knows the case is skipped (skip option, skip rule).
    public var skipReason: String?
    /// True when the combination is one of the test's ensured combinations.
    public var ensured: Bool
    /// With `--repeat N` (N > 1): which repetition this is, 1…N (see `Plan.repeated`).
    public var repetition: Int? = nil

    /// The canonical id: `category/suite/[group/]test[k=v,…]<k=v,…>`. Passed
    /// back to `-f` it selects exactly this case.
    public var id: String {
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
public struct PlannedSuite: Sendable {
    public let suiteIndex: Int
    public let suite: Suite
    public var cases: [PlannedCase]
}

/// The whole plan.
public struct Plan: Sendable {
    public var suites: [PlannedSuite]
    public var caseCount: Int { suites.reduce(0) { $0 + $1.cases.count } }
    /// Warnings (e.g. a filter that matched nothing).
    public var warnings: [String]
}

/// A usage problem found while planning (exit status 2).
public struct PlanError: Error, CustomStringConvertible {
    public let description: String
}
