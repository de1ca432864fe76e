import Foundation
import Testing
import JSecCrypto

@Suite struct FuzzTests {
    static func residentMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = Double(s.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return pages * 4096 / 1_048_576
    }

    /// Every parser over ≥ 100,000 mutated inputs: each gives a value or a typed error; none crashes.
    /// A second, identical run must not grow resident memory (a cheap leak check; valgrind: Examples/crypto-fuzz).
    @Test func parsersSurviveMutatedInput() throws {
        _ = try ParserFuzzer.run(scale: 0.05, seed: 1)  // warm-up: caches, fetched algorithms
        let before = Self.residentMB()
        let report = try ParserFuzzer.run()
        let growth = Self.residentMB() - before
        print("fuzz: \(report); RSS growth \(String(format: "%.1f", growth)) MB")
        #expect(report.inputs >= 100_000)
        #expect(report.failures.isEmpty, "\(report.failures.prefix(5))")
        #expect(report.perParser.count == 20)
        #expect(growth < 32, "memory grew by \(growth) MB over the fuzz run (leak?)")
    }
}
