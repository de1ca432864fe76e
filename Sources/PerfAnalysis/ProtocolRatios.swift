/// Encrypted versus plaintext under the same load: for every load (chunk
/// size, client count, duration, parallel mode, participants) that ran both
/// a TLS protocol and its plaintext base (tls vs tcp, unix-tls vs unix),
/// the ratio of their mean test throughputs.
package struct ProtocolRatio: Sendable, Equatable, Codable {
    /// "tls 1.3"
    package var secure: String
    /// "tcp"
    package var plain: String
    /// "50 clients, 4.00 KB chunks, 10 s, thread, 2×server 2×client-host"
    package var load: String
    package var secureThroughput: Double
    package var plainThroughput: Double
    /// secure / plain.
    package var ratio: Double

    package static func all(_ tests: [TestSummary]) -> [ProtocolRatio] {
        var byLoad: [String: [String: [Double]]] = [:]
        var order: [String: Int] = [:]  // load → client count, for numeric ordering
        for t in tests where !t.isHandshakeBenchmark {
            guard let tp = t.throughput else { continue }
            let c = t.perfCase.configuration
            let name = c.tlsVersion.map { "\(c.proto) \($0)" } ?? c.proto
            byLoad[loadLabel(c), default: [:]][name, default: []].append(tp)
            order[loadLabel(c)] = c.clientCount ?? 0
        }
        var out: [ProtocolRatio] = []
        let loads = byLoad.keys.sorted { (order[$0]!, $0) < (order[$1]!, $1) }
        for load in loads {
            let protos = byLoad[load]!
            // dtls has no plaintext base in perf9 (no UDP echo): it is left out.
            for secure in protos.keys.sorted() where secure.contains("tls") && !secure.hasPrefix("dtls") {
                let plain = secure.hasPrefix("unix-tls") ? "unix" : "tcp"
                guard let s = Statistics.mean(protos[secure]!), let p = protos[plain].flatMap(Statistics.mean), p > 0
                else { continue }
                out.append(
                    ProtocolRatio(
                        secure: secure, plain: plain, load: load, secureThroughput: s, plainThroughput: p, ratio: s / p))
            }
        }
        return out
    }

    static func loadLabel(_ c: PerfConfiguration) -> String {
        var parts: [String] = []
        if let n = c.clientCount { parts.append("\(n) clients") }
        if let k = c.chunkSize { parts.append("\(Units.bytes(Double(k))) chunks") }
        if let d = c.duration { parts.append("\(d) s") }
        parts.append(c.parallel)
        parts.append("\(c.serverCount)×server \(c.clientHostCount)×client-host")
        return parts.joined(separator: ", ")
    }

    /// "tls 1.3 / tcp: 196.54 MB/s / 338.07 MB/s = 0.58× (58.1%)".
    package var text: String {
        "\(secure) / \(plain): \(Units.rate(secureThroughput)) / \(Units.rate(plainThroughput)) = "
            + String(format: "%.2f× (%.1f%%)", ratio, ratio * 100)
    }
}
