import Assay
import Foundation

/// For `runner --repeat N`: a case that passes every time, and one that fails only on the second
/// time it runs in a worker (a flaky functional test: the run must fail although 2 of 3 passed).
enum RepeatFixtures {
    /// How often "fails the second time" ran in this worker process.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int {
            lock.withLock {
                n += 1; return n
            }
        }
    }
    static let runs = Counter()

    static let suite = Suite("repeat", category: "fixtures", description: "cases for --repeat") {
        Test("steady") { ctx in ctx.report(["ok": .bool(true)]) }
        Test("fails the second time") { ctx in
            let n = runs.next()
            ctx.report(["run": .int(n)])
            try require(n != 2, "second run fails")
        }
    }
}
