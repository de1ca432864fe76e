/// Anything that can appear in a suite body.
public protocol SuiteMember: Sendable {
    var definitions: [TestDefinition] { get }
}

/// A test that runs once.
public struct Test: SuiteMember {
    public let definitions: [TestDefinition]

    public init(
        _ name: String, timeout: Double? = nil, expectedFail: String? = nil, skip: String? = nil,
        skipCases: [SkipCase] = [], tags: [String] = [], body: @escaping TestBody
    ) {
        definitions = [
            TestDefinition(
                name: name, group: nil, kind: .simple, matrix: nil,
                options: TestOptions(
                    timeout: timeout, expectedFail: expectedFail, skip: skip,
                    skipCases: skipCases, tags: tags),
                groupSkipCases: [], body: body)
        ]
    }
}

/// A test that runs once per combination of its matrix.
public struct MatrixTest: SuiteMember {
    public let definitions: [TestDefinition]

    public init(
        _ name: String, matrix: MatrixSource, timeout: Double? = nil, expectedFail: String? = nil,
        skip: String? = nil, skipCases: [SkipCase] = [], ensured: [PartialCombination] = [],
        tags: [String] = [], body: @escaping TestBody
    ) {
        definitions = [
            TestDefinition(
                name: name, group: nil, kind: .matrix, matrix: matrix,
                options: TestOptions(
                    timeout: timeout, expectedFail: expectedFail, skip: skip,
                    skipCases: skipCases, ensured: ensured, tags: tags),
                groupSkipCases: [], body: body)
        ]
    }
}

/// Several tests sharing one matrix: each (combination, test) is one case.
/// Members are written with `Test(…)`; their own options (timeout, skip,
/// skipCases, expectedFail, tags) apply on top of the group's.
public struct MatrixGroup: SuiteMember {
    public let definitions: [TestDefinition]

    public init(
        _ name: String, matrix: MatrixSource, timeout: Double? = nil, skip: String? = nil,
        skipCases: [SkipCase] = [], ensured: [PartialCombination] = [], tags: [String] = [],
        @SuiteBuilder tests: () -> [TestDefinition]
    ) {
        definitions = tests().map { member in
            var d = member
            d.group = name
            d.kind = .matrix
            d.matrix = matrix
            d.groupSkipCases = skipCases
            d.options.timeout = d.options.timeout ?? timeout
            d.options.skip = d.options.skip ?? skip
            d.options.ensured = ensured + d.options.ensured
            d.options.tags = tags + d.options.tags
            return d
        }
    }
}

/// A test made of participant roles that run concurrently — as tasks,
/// threads or processes — and meet through events and barriers:
///
///     CoordinatedTest("echo", matrix: .inline(["protocol": ["tcp", "tls"]]), roles: [
///         Role("server") { p in try await p.emit("ready", port) },
///         Role("client-host", count: 2) { p in
///             let port = try await p.awaitOne("server", "ready", as: Int.self, timeout: .seconds(10))
///             …
///         },
///     ], parallel: .task, timeout: 60, gracefulTimeout: 5)
///
/// `timeout` bounds the whole test; after a failure or the timeout the
/// participants get `gracefulTimeout` seconds to stop before they are killed
/// (process mode) or abandoned.
public struct CoordinatedTest: SuiteMember {
    public let definitions: [TestDefinition]

    public init(
        _ name: String, matrix: MatrixSource? = nil, roles: [Role], parallel: ParallelMode = .task,
        timeout: Double? = nil, gracefulTimeout: Double = 5, expectedFail: String? = nil, skip: String? = nil,
        skipCases: [SkipCase] = [], ensured: [PartialCombination] = [], tags: [String] = []
    ) {
        precondition(!roles.isEmpty, "coordinated test \(name) needs at least one role")
        precondition(Set(roles.map { $0.name.lowercased() }).count == roles.count, "coordinated test \(name): role names must be unique")
        precondition(!roles.contains { $0.name.lowercased() == "parallel" }, "coordinated test \(name): 'parallel' is not a role name")
        definitions = [
            TestDefinition(
                name: name, group: nil, kind: .coordinated, matrix: matrix,
                options: TestOptions(
                    timeout: timeout, expectedFail: expectedFail, skip: skip,
                    skipCases: skipCases, ensured: ensured, tags: tags),
                groupSkipCases: [], body: { _ in },
                coordinated: CoordinatedSpec(roles: roles, parallel: parallel, gracefulTimeout: gracefulTimeout))
        ]
    }
}

/// The result builder behind `Suite { … }` and `MatrixGroup { … }`.
@resultBuilder
public enum SuiteBuilder {
    public static func buildExpression(_ m: some SuiteMember) -> [TestDefinition] { m.definitions }
    public static func buildExpression(_ d: [TestDefinition]) -> [TestDefinition] { d }
    public static func buildBlock(_ parts: [TestDefinition]...) -> [TestDefinition] { parts.flatMap { $0 } }
    public static func buildOptional(_ p: [TestDefinition]?) -> [TestDefinition] { p ?? [] }
    public static func buildEither(first p: [TestDefinition]) -> [TestDefinition] { p }
    public static func buildEither(second p: [TestDefinition]) -> [TestDefinition] { p }
    public static func buildArray(_ p: [[TestDefinition]]) -> [TestDefinition] { p.flatMap { $0 } }
}
