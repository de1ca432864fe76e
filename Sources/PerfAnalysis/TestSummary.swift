/// The measurements of one perf9 case, totalled over its participants.
package struct TestSummary: Sendable, Equatable {
    package var perfCase: PerfCase
    /// Throughput of each client that ran (bytes/s).
    package var clientThroughputs: [Double]
    /// Sum of the client throughputs: the test's throughput (bytes/s).
    package var throughput: Double?
    package var totalBytes: Int
    package var iterations: Int
    package var connected: Int
    /// Clients that should have run: reported clients, or client-count ×
    /// client-hosts when more were planned than reported.
    package var attempted: Int
    /// Handshake durations, nanoseconds.
    package var handshakes: [Int]
    package var errors: [String: Int]
    /// Negotiated protocol version → number of clients.
    package var negotiated: [String: Int]
    package var serverConnections: Int
    package var serverBytes: Int
    package var handshakeFailures: Int
    /// Handshake benchmark: handshakes per second (all clients' handshakes over the longest
    /// client window); nil when no client reported a window.
    package var handshakeRate: Double?
    /// Datagram (DTLS) echo: loss, retransmissions, round trips; nil for stream tests.
    package var datagram: DatagramSummary?

    package init(_ c: PerfCase) {
        datagram = DatagramSummary([c])
        perfCase = c
        clientThroughputs = c.clients.compactMap(\.throughput)
        throughput = clientThroughputs.isEmpty ? nil : clientThroughputs.reduce(0, +)
        totalBytes = c.clients.reduce(0) { $0 + $1.totalBytes }
        iterations = c.clients.reduce(0) { $0 + $1.iterations }
        connected = c.clients.filter(\.connected).count
        let planned = (c.configuration.clientCount ?? 0) * c.configuration.clientHostCount
        attempted = max(c.clients.count, c.test == "echo" ? planned : 0)
        handshakes = c.clients.flatMap(\.allHandshakes)
        var errors: [String: Int] = [:]
        var negotiated: [String: Int] = [:]
        for client in c.clients {
            errors.merge(client.errors, uniquingKeysWith: +)
            if let v = client.negotiatedVersion { negotiated[v, default: 0] += 1 }
        }
        self.errors = errors.filter { $0.value != 0 }
        self.negotiated = negotiated
        serverConnections = c.servers.reduce(0) { $0 + $1.connections }
        serverBytes = c.servers.reduce(0) { $0 + $1.bytes }
        handshakeFailures = c.servers.reduce(0) { $0 + $1.handshakeFailures }
        if let window = c.clients.compactMap(\.handshakeWindowNanos).max(), window > 0 {
            handshakeRate = Double(c.clients.reduce(0) { $0 + $1.handshakes.count }) / (Double(window) / 1e9)
        }
    }

    /// A handshake-benchmark case (clients report `handshakes` lists, not echo traffic).
    package var isHandshakeBenchmark: Bool {
        perfCase.test == "handshake" || perfCase.clients.contains { !$0.handshakes.isEmpty }
    }

    /// "tls 1.3, RSA-2048, full" / "…, resumed" for the handshake benchmark.
    package var handshakeLabel: String {
        let c = perfCase.configuration
        var parts = [c.tlsVersion.map { "\(c.proto) \($0)" } ?? c.proto]
        let keys = Set(perfCase.clients.compactMap(\.keyType)).sorted()
        if !keys.isEmpty { parts.append(keys.joined(separator: "/")) }
        let resumed = Set(perfCase.clients.compactMap(\.resumed))
        if resumed == [true] { parts.append("resumed") } else if resumed == [false] { parts.append("full") }
        if let n = c.clientCount { parts.append(n == 1 ? "1 client" : "\(n) clients") }
        return parts.joined(separator: ", ")
    }

    /// The TLS version asked for when some client negotiated another one
    /// ("TLSv1.3" for "1.3", "DTLSv1.2" for dtls' "1.2"); nil when everything matched or was not TLS.
    package var versionMismatch: String? {
        guard let expected = perfCase.configuration.expectedVersionName else { return nil }
        return negotiated.keys.contains { $0 != expected } ? expected : nil
    }
}
