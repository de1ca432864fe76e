import Foundation
import Testing
@testable import Assay

/// The seed's Janet keyword spelling (`protocol=:tcp`, `parallel=:thread`)
/// selects the same cases as the plain one, and the colon never reaches an
/// id: one case, one id, however its selector was written.
@Suite("keyword selector values")
struct KeywordSelectorTests {
    static let perf = Suite("perf9", category: "performance") {
        CoordinatedTest(
            "echo", matrix: .inline(["protocol": ["tcp", "tls"], "client-count": [1, 50], "flag": [true, false]]),
            roles: [Role("server") { _ in }, Role("client-host") { _ in }])
    }

    static func ids(_ filters: [String]) throws -> [String] {
        try plan([perf], filters).suites.flatMap(\.cases).map(\.id)
    }

    @Test("`:value` equals `value` for every matrix and coordinated value; the id is the plain spelling")
    func keywordEqualsPlain() throws {
        let plain = try Self.ids(["performance/perf9/echo[protocol=tcp,client-count=50,flag=true]<parallel=thread,server=4,client-host=4>"])
        #expect(plain == ["performance/perf9/echo[protocol=tcp,client-count=50,flag=true]<parallel=thread,server=4,client-host=4>"])
        for spelling in [
            "performance/perf9/echo[protocol=:tcp,client-count=50,flag=:true]<parallel=:thread,server=4,client-host=4>",
            "performance/perf9/echo[protocol=:TCP,client-count=:50,flag=true]<parallel=:Thread,server=04,client-host=4>",
            "performance/perf9/echo[protocol={:tcp},client-count=50,flag=true]<client-host=4,PARALLEL=thread,Server=4>",
        ] {
            #expect(try Self.ids([spelling]) == plain, "\(spelling)")
        }
        for mode in ParallelMode.allCases {
            let ids = try Self.ids(["performance/perf9/echo[protocol=:tls,client-count=1,flag=false]<parallel=:\(mode.rawValue)>"])
            #expect(ids == ["performance/perf9/echo[protocol=tls,client-count=1,flag=false]<parallel=\(mode.rawValue)>"])
        }
        // Both spellings together: still one case.
        #expect(
            try Self.ids([
                "performance/perf9/echo[protocol=:tcp,client-count=1,flag=true]<parallel=:task>",
                "performance/perf9/echo[protocol=tcp,client-count=1,flag=true]<parallel=task>",
            ]).count == 1)
        // --skip understands the keyword spelling too.
        var o = PlanOptions()
        o.filters = [try FilterExpression.parse("performance/perf9/echo[client-count=1,flag=true]")]
        o.skips = [try FilterExpression.parse("performance/perf9/echo[protocol=:tcp]")]
        let left = try Planner.plan(try Catalog(suites: [Self.perf], matricesDirectory: nil), options: o).suites.flatMap(\.cases)
        #expect(left.map { $0.combination.dictionary["protocol"] } == ["tls"])
        // A keyword that names no value is still an error listing the allowed ones.
        #expect(throws: PlanError.self) { try Self.ids(["performance/perf9/echo[protocol=:udp]"]) }
    }

    @Test("the seed's perf9 command, as written, plans through the real runner with colon-free ids")
    func seedCommandRealRunner() throws {
        let runner = URL(fileURLWithPath: Fixture.executable).deletingLastPathComponent().appendingPathComponent("runner").path
        let seed = "performance/perf9/echo[protocol=:tcp,client-count=50,duration=30]<parallel=:thread,server=4,client-host=4>"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: runner)
        p.arguments = ["--dry-run", "--verbosity", "5", "-f", seed]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(out)")
        let ids = out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("performance/perf9/echo[") }
        // chunk-size × 3 for each tls-version; tcp runs only with tls-version=none (the others skip).
        #expect(ids.count == 9, "\(out)")
        for id in ids {
            #expect(!id.contains("=:"), "\(id)")
            #expect(id.hasPrefix("performance/perf9/echo[protocol=tcp,tls-version="))
            #expect(id.contains("client-count=50,duration=30]<parallel=thread,server=4,client-host=4>"))
        }
        let runnable = ids.filter { !$0.contains("— skip") }
        #expect(runnable.count == 3 && runnable.allSatisfy { $0.contains("tls-version=none") }, "\(runnable)")
    }
}
