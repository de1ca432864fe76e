import Testing
@testable import Assay

@Suite("canonical ids")
struct CanonicalIDTests {
    static let odd = Suite("odd/name [v2], {x}", category: "weird cat") {
        Test("a*b, c") { _ in }
        Test("a*b, d") { _ in }
        MatrixTest("m<1>", matrix: .inline(["k": ["a,b", "c]d", "e/f", "x"], "n": [1, 11]])) { _ in }
        MatrixGroup("g/h", matrix: .inline(["z": [true, false]])) {
            Test("t") { _ in }
            Test("u") { _ in }
        }
    }

    @Test("every id selects exactly its case", arguments: ["sample", "odd"])
    func roundTrip(_ which: String) throws {
        let suite = which == "odd" ? Self.odd : sample
        let all = try plan([suite]).suites[0].cases
        for c in all {
            let p = try plan([suite], [c.id])
            #expect(p.caseCount == 1, "\(c.id) selected \(p.caseCount)")
            #expect(p.suites.first?.cases.first?.id == c.id)
        }
    }

    @Test("coordinated selector is carried in the id and round-trips")
    func coordinated() throws {
        let s = Suite("perf9", category: "performance") {
            CoordinatedTest(
                "echo", matrix: .inline(["protocol": ["tcp", "tls"]]),
                roles: [Role("server") { _ in }, Role("client-host") { _ in }])
            Test("plain") { _ in }
        }
        let p = try plan([s], ["performance/perf9/echo[protocol=tls]<parallel=thread,server=2>"])
        #expect(p.caseCount == 1)
        let c = try #require(p.suites.first?.cases.first)
        #expect(c.id == "performance/perf9/echo[protocol=tls]<parallel=thread,server=2>")
        #expect(c.test.kind == TestKind.coordinated)
        #expect(c.skipReason == nil)
        #expect(try plan([s], [c.id]).suites.first?.cases.map(\.id) == [c.id])
        // A coordinated selector never selects simple or matrix tests.
        #expect(try plan([s], ["performance/perf9/*<server=1>"]).caseCount == 2)
    }
}
