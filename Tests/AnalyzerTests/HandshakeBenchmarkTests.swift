import Foundation
import Testing
@testable import PerfAnalysis

/// perf9/handshake cases: handshakes/s from the clients' windows, p50/p99, labels per client count.
@Suite struct HandshakeBenchmarkTests {
    static func perfCase(clients: Int, perClient: Int, windowSeconds: Double, resumed: Bool) -> PerfCase {
        let samples = (0..<clients).map { _ in
            ClientSample(
                connected: true, negotiatedVersion: "TLSv1.3", handshakes: (1...perClient).map { $0 * 1_000_000 },
                resumed: resumed, keyType: "P-256", handshakeWindowNanos: Int(windowSeconds * 1e9),
                resumedCount: resumed ? perClient : 0)
        }
        return PerfCase(
            id: "performance/perf9/handshake[…]", test: "handshake", status: "passed", source: "x",
            configuration: PerfConfiguration(proto: "tls", tlsVersion: "1.3", clientCount: clients, duration: 2),
            clients: samples, servers: [])
    }

    @Test func rateIsHandshakesOverTheWindow() throws {
        let t = TestSummary(Self.perfCase(clients: 10, perClient: 100, windowSeconds: 2, resumed: false))
        #expect(t.handshakeRate == 500)  // 1,000 handshakes in 2 s
        #expect(t.handshakeLabel == "tls 1.3, P-256, full, 10 clients")
        #expect(t.throughput == nil)
    }

    @Test func groupLinesCarryRateAndPercentiles() throws {
        let tests = [TestSummary(Self.perfCase(clients: 10, perClient: 100, windowSeconds: 2, resumed: true))]
        let g = try #require(Grouping.groups(tests, by: .handshakeBenchmark).first)
        #expect(g.name == "tls 1.3, P-256, resumed, 10 clients")
        let lines = Dictionary(uniqueKeysWithValues: StatLines.lines(g).map { ($0.0, $0.1) })
        #expect(lines["Rate"]?.hasPrefix("500 handshakes/s") == true)
        // 1…100 ms per client: p50 50 ms, p99 99 ms (HdrHistogram, 3 significant digits).
        #expect(lines["Latency"]?.hasPrefix("50.0") == true)
        #expect(lines["Latency"]?.contains("99.0") == true)
        #expect(lines["Resumed"] == "1000 of 1000 handshakes")
    }
}
