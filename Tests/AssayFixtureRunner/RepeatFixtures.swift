import Assay
import Foundation
import Synchronization

/// For `runner --repeat N`: a case that passes every time, and one that fails only on the second
/// time it runs in a worker (a flaky functional test: the run must fail although 2 of 3 passed).
enum RepeatFixtures {
    /// How often "fails the second time" ran in this worker process.
    final class Counter: Sendable {
        private let n = Mutex(0)
        func next() -> Int {
            n.withLock { n in
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

/// Attempts per test name in this process (the retry fixture).
final class AttemptCounter: Sendable {
    static let shared = AttemptCounter()
    private let counts = Mutex<[String: Int]>([:])
    func next(_ name: String) -> Int {
        counts.withLock { counts in
            counts[name, default: 0] += 1
            return counts[name]!
        }
    }
}
