/// Stage 1, collect: the registered suites, validated, with every test's
/// matrix resolved (named matrices loaded once).
package struct Catalog: Sendable {
    package let suites: [Suite]
    /// resolved[suite][test]: the matrix of each test (nil for simple tests).
    package let matrices: [[Matrix?]]
    /// matrixErrors[suite][test]: why a named matrix could not be loaded. Only
    /// an error when that test is selected, so one broken file does not stop
    /// unrelated suites.
    package let matrixErrors: [[String?]]

    package init(suites: [Suite], matricesDirectory: String? = MatrixLibrary.locateDirectory()) throws {
        self.suites = suites
        var seenSuites = Set<String>()
        var cache: [String: Matrix] = [:]
        var all: [[Matrix?]] = []
        var allErrors: [[String?]] = []
        for suite in suites {
            // Names and slugs both select, so neither may collide (ids must stay exact).
            let keys = Set([suite.name.lowercased(), suite.slug]).map { suite.category.lowercased() + "/" + $0 }
            guard keys.allSatisfy({ !seenSuites.contains($0) }) else {
                throw PlanError(description: "suite \(suite.category)/\(suite.name) is registered twice (or its name or slug collides with another suite's)")
            }
            seenSuites.formUnion(keys)
            if suite.name.isEmpty || suite.category.isEmpty {
                throw PlanError(description: "a suite needs a non-empty name and category")
            }
            var seenTests = Set<[String]>()
            // A 3-segment path names a top-level test or a whole group: those names share one space.
            var topLevel = Set<String>()
            var topLevelOwner: [String: String] = [:]
            var row: [Matrix?] = []
            var errorRow: [String?] = []
            for test in suite.tests {
                errorRow.append(nil)
                let pathKeys = [test.path.map { $0.lowercased() }, test.path.map { Slug.make($0) }]
                guard pathKeys.allSatisfy({ !seenTests.contains($0) }) else {
                    throw PlanError(
                        description:
                            "\(suite.category)/\(suite.name): test \"\(test.path.joined(separator: "/"))\" is defined twice (or its name or slug collides with another test's)"
                    )
                }
                seenTests.formUnion(pathKeys)
                let head = test.group ?? test.name
                let owner = test.group == nil ? "test" : "group"
                for k in Set([head.lowercased(), Slug.make(head)]) {
                    if let prev = topLevelOwner[k], prev != owner || owner == "test" {
                        if topLevel.contains(k) {
                            throw PlanError(
                                description:
                                    "\(suite.category)/\(suite.name): \"\(head)\" names both a test and a matrix group (or two tests with the same slug)")
                        }
                    }
                    topLevel.insert(k)
                    topLevelOwner[k] = owner
                }
                guard let source = test.matrix else { row.append(nil); continue }
                let m: Matrix
                switch source {
                case .inlineDimensions(let dims):
                    m = Matrix(dimensions: dims)
                case .matrix(let given):
                    m = given
                case .named(let name):
                    if let hit = cache[name] {
                        m = hit
                    } else {
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
