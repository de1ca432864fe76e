import Assay
import Foundation

/// The harness's own hot path: event and barrier round trips between two participants,
/// per parallel mode (a micro-benchmark; `tools/microbench/run` runs it for all three modes).
/// Participants report raw latencies; nothing is asserted about speed.
package let coordinationBenchmarkSuite = Suite(
    "coordination", category: "performance",
    description: "barrier and event round-trip latency per parallel mode (harness micro-benchmark)",
    traits: [.exclusive]
) {
    CoordinatedTest(
        "round trip", matrix: .inline(["iterations": [300, 3000]]),
        roles: [
            Role("a") { p in
                let n = try p.int("iterations")
                let clock = ContinuousClock()
                var events: [Double] = []
                for i in 0..<n {
                    let t0 = clock.now
                    try await p.emit("ping\(i)", i)
                    let back = try await p.awaitOne("b", "pong\(i)", as: Int.self, timeout: .seconds(10))
                    try checkEqual(back, i, "pong carries the ping's value")
                    events.append(CoordinationBenchmark.micros(clock.now - t0))
                }
                var barriers: [Double] = []
                for _ in 0..<n {
                    let t0 = clock.now
                    try await p.barrier("tick", timeout: .seconds(10))
                    barriers.append(CoordinationBenchmark.micros(clock.now - t0))
                }
                p.report([
                    "mode": .string(p.mode.rawValue), "iterations": .int(n),
                    "eventMedianUs": .double(CoordinationBenchmark.percentile(events, 0.5)),
                    "eventP99Us": .double(CoordinationBenchmark.percentile(events, 0.99)),
                    "barrierMedianUs": .double(CoordinationBenchmark.percentile(barriers, 0.5)),
                    "barrierP99Us": .double(CoordinationBenchmark.percentile(barriers, 0.99)),
                ])
            },
            Role("b") { p in
                let n = try p.int("iterations")
                for i in 0..<n {
                    let v = try await p.awaitOne("a", "ping\(i)", as: Int.self, timeout: .seconds(10))
                    try await p.emit("pong\(i)", v)
                }
                for _ in 0..<n { try await p.barrier("tick", timeout: .seconds(10)) }
            },
        ], timeout: 300, ensured: [["iterations": 300]])
}

enum CoordinationBenchmark {
    static func micros(_ d: Duration) -> Double { Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12 }

    static func percentile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
    }
}
