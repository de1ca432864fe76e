import Foundation
import Testing

/// A suite defined under Suites/ but not listed in Suites/Registry.swift
/// would silently never run. This test reads the sources: every
/// `Suite("…", …)` under Suites/ must be bound to a named declaration, and
/// every such name must be listed in `Registry.suites` (and every listed
/// name must be declared).
@Suite("suite registry")
struct SuiteRegistryTests {
    static let suitesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Suites")

    /// Swift sources under Suites/ (the peer scripts are not Swift), without comments.
    static func sources() throws -> [(path: String, text: String)] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: suitesDir.path) else { return [] }
        var out: [(String, String)] = []
        for case let rel as String in walker where rel.hasSuffix(".swift") {
            let text = try String(contentsOf: suitesDir.appendingPathComponent(rel), encoding: .utf8)
            out.append((rel, stripComments(text)))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    static func stripComments(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let r = line.range(of: "//") else { return line }
            return line[..<r.lowerBound]
        }.joined(separator: "\n")
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
        }
    }

    /// The names of the suites declared in the sources, and constructions that are not a plain declaration.
    static func declaredSuites() throws -> (names: [String], unnamed: [String]) {
        var names: [String] = [], unnamed: [String] = []
        for (path, text) in try sources() where path != "Registry.swift" {
            let constructions = matches(#"(?<![A-Za-z0-9_.])Suite\("#, in: text).count
            let declared = matches(#"\b(?:let|var)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*Suite\s*)?=\s*Suite\("#, in: text).map { $0[1] }
            names += declared
            if constructions != declared.count { unnamed.append("\(path): \(constructions - declared.count) Suite(…) not bound to a `let name = Suite(…)`") }
            for m in matches(#"(?:->|:)\s*Suite\b(?!\()"#, in: text) { unnamed.append("\(path): a declaration of type Suite (\(m[0])) the test cannot follow") }
        }
        return (names, unnamed)
    }

    static func registered() throws -> [String] {
        let text = stripComments(try String(contentsOf: suitesDir.appendingPathComponent("Registry.swift"), encoding: .utf8))
        guard let list = matches(#"static\s+let\s+suites\s*:\s*\[Suite\]\s*=\s*\[([^\]]*)\]"#, in: text).first else { return [] }
        return list[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    @Test("every suite under Suites/ is listed in Registry.suites, and every listed name is a declared suite")
    func everySuiteRegistered() throws {
        let (declared, unnamed) = try Self.declaredSuites()
        let listed = try Self.registered()
        #expect(declared.count >= 20, "found only \(declared) — has the declaration style changed?")
        #expect(unnamed.isEmpty, "\(unnamed)")
        let missing = Set(declared).subtracting(listed)
        #expect(missing.isEmpty, "defined under Suites/ but not in Suites/Registry.swift (they would never run): \(missing.sorted())")
        let unknown = Set(listed).subtracting(declared)
        #expect(unknown.isEmpty, "listed in the registry but not declared as `let name = Suite(…)`: \(unknown.sorted())")
        #expect(listed.count == Set(listed).count, "a suite is listed twice: \(listed)")
    }
}
