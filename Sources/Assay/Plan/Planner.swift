/// Stage 2, plan: select with filters, expand matrices, prune with skip
/// rules, thin with `--ensured-only` / `--matrix-sample`.
package struct PlanOptions: Sendable {
    package var filters: [FilterExpression] = []
    package var skips: [FilterExpression] = []
    package var ensuredOnly = false
    package var matrixSample: Int?
    package var seed: UInt64 = 0
    package init() {}
}

package enum Planner {
    package static func plan(_ catalog: Catalog, options: PlanOptions) throws -> Plan {
        var out: [PlannedSuite] = []
        var uses = options.filters.map(FilterUse.init)

        for (si, suite) in catalog.suites.enumerated() {
            var cases: [PlannedCase] = []
            for (ti, test) in suite.tests.enumerated() {
                let matrix = catalog.matrices[si][ti]
                // Which combinations (product indices) and coordination values are selected.
                var selectAll = options.filters.isEmpty
                if selectAll, let e = catalog.matrixErrors[si][ti] { throw PlanError(description: e) }
                var chosen = Set<Int>()
                var coordination: [(key: String, value: String)] = []
                for fi in uses.indices {
                    let f = uses[fi].filter
                    guard pathMatches(f, category: suite.category, suite: suite, test: test) else { continue }
                    uses[fi].pathMatched = true
                    if let e = catalog.matrixErrors[si][ti] { throw PlanError(description: e) }
                    if f.coordination != nil && test.kind != .coordinated { continue }
                    if let m = matrix {
                        guard let allowed = try allowedIndices(f, matrix: m, test: test, suite: suite, known: &uses[fi].keyKnown) else { continue }
                        uses[fi].hits += 1
                        if allowed.allSatisfy({ $0 == nil }) {
                            selectAll = true
                        } else if !selectAll {
                            enumerate(matrix: m, allowed: allowed) { chosen.insert($0) }
                        }
                    } else {
                        if !f.matrix.isEmpty { continue }
                        uses[fi].hits += 1
                        selectAll = true
                    }
                    if test.kind == .coordinated, let c = f.coordination, coordination.isEmpty {
                        coordination = try validatedCoordination(f, c, test: test, suite: suite)
                    }
                }
                if !selectAll && chosen.isEmpty { continue }
                let indices: [Int]
                if let m = matrix {
                    indices = selectAll ? Array(0..<m.count) : chosen.sorted()
                } else {
                    indices = [0]
                }
                var testCases: [PlannedCase] = []
                testCases.reserveCapacity(indices.count)
                for ci in indices {
                    let combo = matrix?.combination(at: ci) ?? .empty
                    var c = PlannedCase(
                        suiteIndex: si, testIndex: ti, comboIndex: ci, category: suite.category,
                        suiteName: suite.name, test: test, combination: combo,
                        coordination: coordination, skipReason: nil, ensured: false)
                    if !options.skips.isEmpty,
                        options.skips.contains(where: { caseMatches($0, c, suite: suite) })
                    {
                        continue
                    }
                    c.skipReason = skipReason(test, matrix: matrix, combo: combo)
                    if let m = matrix {
                        c.ensured = (m.ensured + test.options.ensured).contains { combo.matches($0) }
                    }
                    testCases.append(c)
                }
                if matrix != nil { testCases = thin(testCases, options: options, suite: suite) }
                cases += testCases
            }
            if !cases.isEmpty { out.append(PlannedSuite(suiteIndex: si, suite: suite, cases: cases)) }
        }

        var warnings: [String] = []
        for use in uses {
            let f = use.filter
            if use.pathMatched {
                for (ki, e) in f.matrix.enumerated() where !use.keyKnown[ki] {
                    throw PlanError(description: "filter '\(f.source)': no selected test has a matrix dimension '\(e.key)'")
                }
            }
            if use.hits == 0 { warnings.append("filter '\(f.source)' matches no test") }
        }
        return Plan(suites: out, warnings: warnings)
    }

    /// What planning learned about one filter: how many tests it selected from, whether some test's
    /// path matched it, and for each of its selector keys whether a path-matching test has that dimension.
    private struct FilterUse {
        let filter: FilterExpression
        var hits = 0
        var pathMatched = false
        var keyKnown: [Bool]

        init(_ filter: FilterExpression) {
            self.filter = filter
            keyKnown = [Bool](repeating: false, count: filter.matrix.count)
        }
    }

    /// A coordinated selector checked against the test's roles and modes.
    static func validatedCoordination(
        _ f: FilterExpression, _ c: [FilterExpression.SelectorEntry],
        test: TestDefinition, suite: Suite
    ) throws -> [(key: String, value: String)] {
        let where_ = "\(suite.category)/\(suite.name)/\(test.path.joined(separator: "/"))"
        for e in c where e.values.count != 1 {
            throw PlanError(description: "filter '\(f.source)': \(e.key) takes one value in a coordinated selector (\(where_))")
        }
        let pairs = c.map { (key: $0.key, value: $0.values[0]) }
        if let spec = test.coordinated {
            do {
                return SelectorValues.canonicalCoordination(pairs, spec: spec, resolved: try spec.resolve(pairs))
            } catch {
                throw PlanError(description: "filter '\(f.source)': \(error.description) (\(where_))")
            }
        }
        return pairs
    }

    // MARK: matching

    static func pathMatches(_ f: FilterExpression, category: String, suite: Suite, test: TestDefinition) -> Bool {
        let p = f.path
        if !p[0].matches(category) { return false }
        if p.count >= 2 && !(p[1].matches(suite.name) || p[1].matches(suite.slug)) { return false }
        func m(_ g: GlobPattern, _ name: String) -> Bool { g.matches(name) || g.matches(Slug.make(name)) }
        if p.count == 3 {
            if let group = test.group { return m(p[2], group) }
            return m(p[2], test.name)
        }
        if p.count == 4 {
            guard let group = test.group else { return false }
            return m(p[2], group) && m(p[3], test.name)
        }
        return true
    }

    /// Per dimension, the allowed value indices (nil: all). Returns nil when
    /// the filter's selector names a key this matrix lacks (no match).
    /// Throws when a value is outside the declared list.
    static func allowedIndices(
        _ f: FilterExpression, matrix: Matrix, test: TestDefinition, suite: Suite,
        known: inout [Bool]
    ) throws -> [[Int]?]? {
        var allowed = [[Int]?](repeating: nil, count: matrix.dimensions.count)
        var missing = false
        for (ki, entry) in f.matrix.enumerated() {
            guard let di = matrix.dimensions.firstIndex(where: { $0.name.lowercased() == entry.key.lowercased() }) else {
                missing = true
                continue
            }
            known[ki] = true
            let dim = matrix.dimensions[di]
            var idx: [Int] = []
            for v in entry.values {
                let hits = dim.values.indices.filter { SelectorValues.matches(v, dim.values[$0].description) }
                if hits.isEmpty {
                    throw PlanError(
                        description:
                            "filter '\(f.source)': \(entry.key)=\(v) is not a value of dimension '\(dim.name)' in \(suite.category)/\(suite.name)/\(test.path.joined(separator: "/")); allowed values: \(dim.values.map(\.description).joined(separator: ", "))"
                    )
                }
                idx += hits
            }
            allowed[di] = idx
        }
        return missing ? nil : allowed
    }

    static func enumerate(matrix: Matrix, allowed: [[Int]?], _ body: (Int) -> Void) {
        let lists = matrix.dimensions.indices.map { allowed[$0] ?? Array(matrix.dimensions[$0].values.indices) }
        if lists.contains(where: \.isEmpty) { return }
        var pos = [Int](repeating: 0, count: lists.count)
        while true {
            body(matrix.index(of: lists.indices.map { lists[$0][pos[$0]] }))
            var d = lists.count - 1
            while d >= 0 {
                pos[d] += 1
                if pos[d] < lists[d].count { break }
                pos[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// Whether a filter (e.g. a `--skip`) selects this exact case.
    static func caseMatches(_ f: FilterExpression, _ c: PlannedCase, suite: Suite) -> Bool {
        guard pathMatches(f, category: suite.category, suite: suite, test: c.test) else { return false }
        for e in f.matrix {
            guard let v = c.combination.pairs.first(where: { $0.0.lowercased() == e.key.lowercased() })?.1 else { return false }
            if !e.values.contains(where: { SelectorValues.matches($0, v.description) }) { return false }
        }
        if f.coordination != nil && c.test.kind != .coordinated { return false }
        return true
    }

    static func skipReason(_ test: TestDefinition, matrix: Matrix?, combo: Combination) -> String? {
        if let s = test.options.skip { return s }
        for rule in test.groupSkipCases { if let r = rule.evaluate(combo) { return r } }
        if let m = matrix { for rule in m.skipCases { if let r = rule.evaluate(combo) { return r } } }
        for rule in test.options.skipCases { if let r = rule.evaluate(combo) { return r } }
        return nil
    }

    /// `--ensured-only` and `--matrix-sample` for one matrix test's cases.
    static func thin(_ cases: [PlannedCase], options: PlanOptions, suite: Suite) -> [PlannedCase] {
        if options.ensuredOnly {
            let ensured = cases.filter { $0.ensured }
            if !ensured.isEmpty { return ensured }
            // No ensured combination declared: the first runnable one stands in.
            return cases.first(where: { $0.skipReason == nil }).map { [$0] } ?? Array(cases.prefix(1))
        }
        guard let n = options.matrixSample, cases.count > n else { return cases }
        let ensured = cases.indices.filter { cases[$0].ensured }
        var pool = cases.indices.filter { !cases[$0].ensured && cases[$0].skipReason == nil }
        guard let first = cases.first else { return cases }
        var rng = SeededGenerator(
            seed: options.seed
                ^ SeededGenerator.stableHash(
                    "\(first.category)/\(first.suiteName)/\(first.test.path.joined(separator: "/"))"))
        var picked = Set(ensured)
        let want = max(0, n - picked.count)
        for i in 0..<min(want, pool.count) {
            let j = Int.random(in: i..<pool.count, using: &rng)
            pool.swapAt(i, j)
            picked.insert(pool[i])
        }
        return picked.sorted().map { cases[$0] }
    }
}
