/// Stage 1, collect: the registered suites, validated, with every test's
/// matrix resolved (named matrices loaded once).
public struct Catalog: Sendable {
    public let suites: [Suite]
    /// resolved[suite][test]: the matrix of each test (nil for simple tests).
    public let matrices: [[Matrix?]]
    /// matrixErrors[suite][test]: why a named matrix could not be loaded. Only
    /// an error when that test is selected, so one broken file does not stop
    /// unrelated suites.
    public let matrixErrors: [[String?]]

    public init(suites: [Suite], matricesDirectory: String? = MatrixLibrary.locateDirectory()) throws {
        self.suites = suites
        var seenSuites = Set<String>()
        var cache: [String: Matrix] = [:]
        var all: [[Matrix?]] = []
        var allErrors: [[String?]] = []
        for suite in suites {
            let key = suite.category.lowercased() + "/" + suite.name.lowercased()
            guard seenSuites.insert(key).inserted else {
                throw PlanError(description: "suite \(suite.category)/\(suite.name) is registered twice")
            }
            if suite.name.isEmpty || suite.category.isEmpty {
                throw PlanError(description: "a suite needs a non-empty name and category")
            }
            var seenTests = Set<[String]>()
            var row: [Matrix?] = []
            var errorRow: [String?] = []
            for test in suite.tests {
                errorRow.append(nil)
                guard seenTests.insert(test.path.map { $0.lowercased() }).inserted else {
                    throw PlanError(description: "\(suite.category)/\(suite.name): test \"\(test.path.joined(separator: "/"))\" is defined twice")
                }
                guard let source = test.matrix else { row.append(nil); continue }
                let m: Matrix
                switch source {
                case .inlineDimensions(let dims):
                    m = Matrix(dimensions: dims)
                case .matrix(let given):
                    m = given
                case .named(let name):
                    if let hit = cache[name] { m = hit } else {
                        do { m = try MatrixLibrary.load(name, directory: matricesDirectory) } catch {
                            errorRow[errorRow.count - 1] = "\(suite.category)/\(suite.name)/\(test.name): \(error)"
                            row.append(nil)
                            continue
                        }
                        cache[name] = m
                    }
                }
                let origin = "\(suite.category)/\(suite.name)/\(test.path.joined(separator: "/"))"
                do {
                    try MatrixLibrary.validate(m, partials: m.ensured + test.options.ensured, origin: origin)
                } catch let e as MatrixDefinitionError {
                    throw PlanError(description: e.description)
                }
                for d in m.dimensions where d.name.isEmpty || !d.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) {
                    throw PlanError(description: "\(origin): dimension name \"\(d.name)\" may only use letters, digits, '-', '_' and '.'")
                }
                row.append(m)
            }
            all.append(row)
            allErrors.append(errorRow)
        }
        matrices = all
        matrixErrors = allErrors
    }
}
