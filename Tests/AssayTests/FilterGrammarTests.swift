import Foundation
import Testing
@testable import Assay

@Suite("filter grammar")
struct FilterGrammarTests {
    @Test(
        "valid expressions parse",
        arguments: [
            "unit", "unit/stream", "unit/stream/close", "unit/stream/group/member",
            "*", "*/*/handshake*", "{unit,regression,coverage}", "unit/{tls,dtls}*", "unit/a{b,c{d,e}}f",
            "unit/stream-contract/round trip[transport=tcp]",
            "unit/s/t[transport=tcp,size=16384]", "unit/s/t[size={0,1}]",
            "performance/perf9/echo[protocol=tls,client-count=50]<parallel=thread,server=2,client-host=2>",
            "unit/s/t<parallel=task>", "unit/na\\/me", "unit/a\\[b\\]", "UNIT/Stream*",
        ])
    func valid(_ text: String) throws {
        _ = try FilterExpression.parse(text)
    }

    @Test("parsed structure")
    func structure() throws {
        let f = try FilterExpression.parse("perf/p9/echo[protocol=tls,n={1,2}]<server=2>")
        #expect(f.path.count == 3)
        #expect(f.matrix.map(\.key) == ["protocol", "n"])
        #expect(f.matrix[1].values == ["1", "2"])
        #expect(f.coordination?.first?.key == "server")
    }

    @Test(
        "malformed expressions point at the offending character",
        arguments: [
            ("", 0), ("unit/", 5), ("/unit", 0), ("unit//x", 5), ("unit/x[", 6), ("unit/x[a=1", 6),
            ("unit/x]", 6), ("unit/{a,b", 5), ("unit/a}", 6), ("unit/{a,}", 8), ("unit/{}", 6),
            ("unit/x[a]", 8), ("unit/x[=1]", 7), ("unit/x[a=]", 9), ("unit/x[]", 7), ("unit/x[a=1,a=2]", 11),
            ("unit/x[a=1]tail", 11), ("unit/x<a=1>[b=2]", 11), ("a,b", 1), ("a/b/c/d/e", 8), ("a\\", 2),
            ("unit/x[a=1>", 10), ("unit=x", 4),
        ])
    func malformed(_ text: String, _ offset: Int) {
        do {
            _ = try FilterExpression.parse(text)
            Issue.record("'\(text)' should not parse")
        } catch {
            #expect(error.offset == offset, "'\(text)': \(error.message)")
            let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            #expect(lines.last?.hasSuffix("^") == true)
        }
    }

    @Test("adversarial inputs: no crash, no blowup")
    func adversarial() {
        let n = 10_000
        let inputs = [
            String(repeating: "{", count: n), String(repeating: "}", count: n), String(repeating: "[", count: n),
            String(repeating: "a", count: n) + "]", String(repeating: "/", count: n), String(repeating: "*", count: n),
            String(repeating: "{a,", count: n / 3), String(repeating: "{a,b}", count: n / 5),
            "unit/x[" + String(repeating: "a=1,", count: n / 4), String(repeating: "\\", count: n),
            String(repeating: "<", count: n), "u/x[" + String(repeating: "k", count: n) + "=v]",
            String(repeating: "é", count: n), String(repeating: "a", count: n),
        ]
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for text in inputs {
                if let f = try? FilterExpression.parse(text) {
                    _ = f.path.last?.matches(String(repeating: "a", count: 1000))
                }
            }
        }
        print("adversarial filter inputs (\(inputs.count) × ~10,000 chars): \(elapsed)")
        #expect(elapsed < .seconds(30))  // very loose: only catches exponential behaviour
    }

    @Test("globs and alternation match case-insensitively")
    func matching() throws {
        func seg(_ s: String) throws -> GlobPattern { try FilterExpression.parse(s).path[0] }
        #expect(try seg("TLS*").matches("tls-stream"))
        #expect(try seg("*stream*").matches("Stream Contract"))
        #expect(try seg("{unit,regression}").matches("regression"))
        #expect(try !seg("{unit,regression}").matches("coverage"))
        #expect(try seg("a{b,c*}d").matches("acxyzd"))
        #expect(try !seg("a{b,c*}d").matches("abxd"))
        #expect(try seg("na\\*me").matches("na*me"))
        #expect(try !seg("na\\*me").matches("naXme"))
        // Pathological for backtracking matchers; linear here.
        let p = try seg(String(repeating: "*a", count: 200) + "b")
        #expect(!p.matches(String(repeating: "a", count: 5000)))
    }

    @Test("--filter-help mentions every construct")
    func help() {
        for needle in ["category/suite/test", "{a,b}", "[key=value", "<key=value", "--skip", "canonical id", "status 2"] {
            #expect(FilterHelp.text.contains(needle), "\(needle)")
        }
    }
}
