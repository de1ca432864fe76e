/// A named group of tests in a category. Build one with the result-builder
/// DSL and list it in `Suites/Registry.swift`:
///
///     public let streamSuite = Suite("stream-contract", category: "unit") {
///         Test("close is idempotent") { ctx in … }
///         MatrixTest("round trip", matrix: .inline(["size": [0, 1]])) { ctx in … }
///     }
public struct Suite: Sendable {
    public let name: String
    public let category: String
    public let description: String?
    /// Default timeout (seconds) for tests that do not set their own.
    public let timeout: Double?
    public let tests: [TestDefinition]
    /// How the cases may be spread over workers and shards (see ``SuiteTrait``).
    public let traits: Set<SuiteTrait>

    public init(
        _ name: String, category: String, description: String? = nil, timeout: Double? = nil,
        traits: Set<SuiteTrait> = [], @SuiteBuilder tests: () -> [TestDefinition]
    ) {
        self.name = name
        self.category = category
        self.description = description
        self.timeout = timeout
        self.traits = traits
        self.tests = tests()
    }

    /// File-style name: lower case, runs of other characters replaced by '-'.
    public var slug: String { Slug.make(name) }
}

enum Slug {
    static func make(_ s: String) -> String {
        var out = ""
        var dash = false
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber {
                if dash && !out.isEmpty { out.append("-") }
                dash = false
                out.append(ch)
            } else {
                dash = true
            }
        }
        return out
    }
}
