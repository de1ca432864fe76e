import Assay

/// Placeholder until the real unit suites land: proves the runner, the
/// registry and matrix expansion work end to end. Replace or delete freely.
enum Examples {
    static let assaySmoke = Suite("assay-smoke", category: "unit", description: "harness smoke test (placeholder)") {
        Test("arithmetic") { _ in expectEqual(2 + 2, 4) }
        MatrixTest("stream sizes", matrix: .inline(["transport": ["tcp", "unix"], "size": [0, 1, 16384]]),
                   ensured: [["transport": "tcp", "size": 1]]) { ctx in
            let n = try ctx.int("size")
            let buffer = [UInt8](repeating: 7, count: n)
            expectEqual(buffer.count, n)
            _ = try ctx.string("transport")
        }
    }
}
