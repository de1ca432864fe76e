/// What kind of test a definition is.
public enum TestKind: String, Sendable, Codable {
    /// Runs once.
    case simple
    /// Runs once per matrix combination.
    case matrix
    /// Several participants (roles × instances) with shared events and
    /// barriers; the `<parallel=…,role=N>` selector picks mode and counts.
    case coordinated
}

/// The body of a test: async, throwing, given a context.
public typealias TestBody = @Sendable (TestContext) async throws -> Void

/// One test as the planner sees it (the DSL types build these).
public struct TestDefinition: Sendable {
    public var name: String
    /// The matrix group this test belongs to, if any.
    public var group: String?
    public var kind: TestKind
    public var matrix: MatrixSource?
    public var options: TestOptions
    /// Skip rules inherited from the group, checked before the test's own.
    public var groupSkipCases: [SkipCase]
    public var body: TestBody
    /// Roles, default mode and graceful timeout of a coordinated test.
    public var coordinated: CoordinatedSpec? = nil

    /// The test's path below its suite: [group, name] or [name].
    public var path: [String] { group.map { [$0, name] } ?? [name] }
}

/// Options shared by every kind of test.
public struct TestOptions: Sendable {
    /// Seconds; overrides the suite's default.
    public var timeout: Double?
    /// The test is expected to fail (throw or record a failure); the reason is reported.
    public var expectedFail: String?
    /// Skip unconditionally, with a reason.
    public var skip: String?
    /// Per-combination skip rules (a predicate returning a reason, or a partial combination).
    public var skipCases: [SkipCase]
    /// Partial combinations always run under `--matrix-sample` and alone under `--ensured-only`.
    public var ensured: [PartialCombination]
    public var tags: [String]

    public init(
        timeout: Double? = nil, expectedFail: String? = nil, skip: String? = nil,
        skipCases: [SkipCase] = [], ensured: [PartialCombination] = [], tags: [String] = []
    ) {
        self.timeout = timeout
        self.expectedFail = expectedFail
        self.skip = skip
        self.skipCases = skipCases
        self.ensured = ensured
        self.tags = tags
    }
}

/// A partial combination: dimension name to value. Matches a combination
/// when every listed dimension has the listed value.
public typealias PartialCombination = [String: AssayValue]

/// A rule that skips some combinations of a matrix test, with a reason.
public struct SkipCase: Sendable {
    let evaluate: @Sendable (Combination) -> String?

    /// Skips the combinations matching every pair of `partial`.
    public static func when(_ partial: PartialCombination, reason: String? = nil) -> SkipCase {
        let text =
            reason ?? "skipped for "
            + partial.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return SkipCase { combo in combo.matches(partial) ? text : nil }
    }

    /// Skips the combinations for which `predicate` returns a reason.
    public static func predicate(_ predicate: @escaping @Sendable (Combination) -> String?) -> SkipCase {
        SkipCase(evaluate: predicate)
    }

    /// Skips every combination when `condition` holds (platform checks and the like).
    public static func always(if condition: Bool, reason: String) -> SkipCase {
        SkipCase { _ in condition ? reason : nil }
    }
}
