import Foundation
import Testing
@testable import Assay

func plan(_ suites: [Suite], _ filters: [String] = [], skips: [String] = [], configure: (inout PlanOptions) -> Void = { _ in }) throws -> Plan {
    var o = PlanOptions()
    o.filters = try filters.map { try FilterExpression.parse($0) }
    o.skips = try skips.map { try FilterExpression.parse($0) }
    configure(&o)
    return try Planner.plan(try Catalog(suites: suites, matricesDirectory: nil), options: o)
}

let sample = Suite("Stream Contract", category: "unit") {
    Test("close is idempotent") { _ in }
    MatrixTest(
        "round trip", matrix: .inline(["transport": ["tcp", "unix"], "size": [0, 1, 16384]]),
        skipCases: [.when(["transport": "unix", "size": 16384], reason: "too big")],
        ensured: [["transport": "tcp", "size": 1]]
    ) { _ in }
    MatrixGroup(
        "config", matrix: .inline(["verify": [true, false], "version": ["1.2", "1.3", nil]]),
        skipCases: [.predicate { c in c["verify"] == false && c["version"] == "1.2" ? "no-verify on 1.2" : nil }]
    ) {
        Test("handshake") { _ in }
        Test("alpn", skipCases: [.when(["version": nil])]) { _ in }
    }
}

@Suite("matrix expansion and planning")
struct PlanningTests {
    @Test("full expansion, order and skip rules")
    func expansion() throws {
        let p = try plan([sample])
        let cases = p.suites[0].cases
        #expect(cases.count == 1 + 6 + 6 * 2)
        #expect(cases[1].id == "unit/Stream Contract/round trip[transport=tcp,size=0]")
        #expect(cases[6].id == "unit/Stream Contract/round trip[transport=unix,size=16384]")
        #expect(cases[6].skipReason == "too big")
        #expect(cases[2].ensured)
        let alpn = cases.filter { $0.test.name == "alpn" }
        #expect(alpn.filter { $0.skipReason != nil }.count == 3)  // 2 with version none + (false,1.2)
        let hs = cases.filter { $0.test.name == "handshake" }
        #expect(hs.filter { $0.skipReason == "no-verify on 1.2" }.count == 1)
        #expect(hs.first?.id == "unit/Stream Contract/config/handshake[verify=true,version=1.2]")
    }

    @Test("selector narrows, unspecified keys still expand")
    func selector() throws {
        let p = try plan([sample], ["unit/stream-contract/round trip[transport=tcp]"])
        #expect(p.caseCount == 3)
        let q = try plan([sample], ["unit/*/round*[size={0,1}]"])
        #expect(q.caseCount == 4)
        let r = try plan([sample], ["unit/stream contract/config[version=none]"])
        #expect(r.caseCount == 4)  // two tests × verify
        let s = try plan([sample], ["unit/stream contract/config/alpn"])
        #expect(s.caseCount == 6)
    }

    @Test("a value outside the declared list is an error naming the allowed values")
    func badValue() {
        #expect {
            _ = try plan([sample], ["unit/*/round trip[transport=udp]"])
        } throws: { e in
            "\(e)".contains("allowed values: tcp, unix")
        }
        #expect(throws: PlanError.self) { _ = try plan([sample], ["unit/*/round trip[nope=1]"]) }
    }

    @Test("a selector never matches a simple test; --skip removes cases")
    func skipAndSimple() throws {
        #expect(try plan([sample], ["unit/*/*[size=0]"]).caseCount == 2)
        #expect(try plan([sample], ["unit"], skips: ["unit/*/round trip[transport=unix]"]).caseCount == 1 + 3 + 12)
        #expect(try plan([sample], ["unit"], skips: ["unit/*/config"]).caseCount == 7)
    }

    @Test("ensured-only and seeded sampling")
    func thinning() throws {
        let e = try plan([sample]) { $0.ensuredOnly = true }
        let ids = e.suites[0].cases.map(\.id)
        #expect(ids.contains("unit/Stream Contract/round trip[transport=tcp,size=1]"))
        #expect(ids.count == 1 + 1 + 2)  // simple + ensured + first of each group member
        let a = try plan([sample]) {
            $0.matrixSample = 3; $0.seed = 42
        }
        let b = try plan([sample]) {
            $0.matrixSample = 3; $0.seed = 42
        }
        #expect(a.suites[0].cases.map(\.id) == b.suites[0].cases.map(\.id))
        #expect(a.suites[0].cases.filter { $0.test.name == "round trip" }.count == 3)
        #expect(a.suites[0].cases.contains { $0.ensured })
    }

    @Test("named matrix files: dimensions, skip rules, ensured, validation")
    func namedMatrix() throws {
        let dir = NSTemporaryDirectory() + "assay-matrices-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(
            """
            {"about": "t", "dimensions": [
              {"name": "transport", "about": "socket", "values": ["tcp", "unix"]},
              {"name": "v", "about": "version, null = default", "values": [1, null]}],
             "skip": [{"when": {"transport": "unix", "v": null}, "reason": "rule"}],
             "ensured": [{"transport": "tcp", "v": 1}]}
            """.utf8
        ).write(to: URL(fileURLWithPath: dir + "/m.json"))
        try Data(#"{"dimensions": [{"name": "a", "values": [1]}], "skip": [{"when": {"b": 1}, "reason": "x"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/bad.json"))
        let s = Suite("n", category: "c") { MatrixTest("t", matrix: .named("m")) { _ in } }
        let p = try Planner.plan(try Catalog(suites: [s], matricesDirectory: dir), options: PlanOptions())
        #expect(p.caseCount == 4)
        #expect(p.suites[0].cases.last?.skipReason == "rule")
        #expect(p.suites[0].cases.first?.ensured == true)
        #expect(p.suites[0].cases.last?.id == "c/n/t[transport=unix,v=none]")
        let bad = Suite("b", category: "c") { MatrixTest("t", matrix: .named("bad")) { _ in } }
        let missing = Suite("m", category: "c") { MatrixTest("t", matrix: .named("absent")) { _ in } }
        for suite in [bad, missing] {
            let catalog = try Catalog(suites: [s, suite], matricesDirectory: dir)
            #expect(throws: PlanError.self) { _ = try Planner.plan(catalog, options: PlanOptions()) }
            // Only an error when that test is selected.
            var o = PlanOptions()
            o.filters = [try FilterExpression.parse("c/n")]
            #expect(try Planner.plan(catalog, options: o).caseCount == 4)
        }
    }

    @Test("typed combination accessors")
    func accessors() throws {
        let m = Matrix(dimensions: [
            Dimension(name: "s", values: ["x"]), Dimension(name: "i", values: [7]),
            Dimension(name: "b", values: [true]), Dimension(name: "n", values: [nil]),
        ])
        let c = m.combination(at: 0)
        #expect(try c.string("s") == "x")
        #expect(try c.int("i") == 7)
        #expect(try c.bool("b"))
        #expect(try c.isNone("n"))
        #expect(throws: MatrixAccessError.self) { try c.int("s") }
        #expect(throws: MatrixAccessError.self) { try c.string("missing") }
    }

    @Test("planning 100,000 matrix cases")
    func bigMatrix() throws {
        let values = (0..<100).map { AssayValue.int($0) }
        let big = Suite("big", category: "perf") {
            MatrixTest(
                "grid", matrix: .inline(["a": values, "b": values, "c": ["x", "y", "z", "w", "v", "u", "t", "s", "r", "q"]]),
                skipCases: [.when(["c": "q"], reason: "q is skipped")]
            ) { _ in }
        }
        let clock = ContinuousClock()
        var p: Plan?
        let planTime = try clock.measure { p = try plan([big]) }
        #expect(p?.caseCount == 100_000)
        var idChars = 0
        let idTime = clock.measure { for c in p!.suites[0].cases { idChars += c.id.utf8.count } }
        let narrowTime = try clock.measure { p = try plan([big], ["perf/big/grid[a=5,c=x]"]) }
        #expect(p?.caseCount == 100)
        print("planning 100,000 matrix cases: \(planTime) (+ \(idTime) to render all canonical ids); narrowed by selector: \(narrowTime)")
        #expect(planTime < .seconds(20))  // loose bound for debug builds on a shared machine; the figure is printed
    }
}
