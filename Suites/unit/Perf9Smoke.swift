import Assay

/// perf9's DTLS echo, run for a second in the unit category so CI covers the benchmark's code path
/// (the performance category does not run there): the clients connect, messages come back, and every
/// client reports the datagram figures (retransmissions, lost messages, late echoes, round-trip sample)
/// the analyzer shows. No speed is asserted.
package let perf9SmokeSuite = Suite(
    "perf9-smoke", category: "unit", description: "perf9 workloads run and report their figures (no speed asserted)",
    timeout: 120
) {
    CoordinatedTest(
        "dtls-echo",
        matrix: .inline(["protocol": ["dtls"], "tls-version": ["1.2"], "chunk-size": [1024], "client-count": [3], "duration": [1]]),
        roles: [
            Role("server", count: 1) { p in try await Perf9.server(p) },
            Role("client-host", count: 1) { p in try Perf9Smoke.checkDTLS(try await Perf9.clientHost(p)) },
        ],
        parallel: .task, timeout: 90, gracefulTimeout: 5)
}

enum Perf9Smoke {
    static func checkDTLS(_ results: [Perf9.ClientResult]) throws {
        try check(results.count == 3, "3 DTLS clients reported, got \(results.count)")
        for (i, r) in results.enumerated() {
            try check(r.errors.isEmpty, "client \(i): errors \(r.errors)")
            try check(r.connected && r.negotiatedVersion == "DTLSv1.2", "client \(i): connected over \(r.negotiatedVersion ?? "nothing")")
            try check(r.iterations > 0 && r.bytesReceived > 0, "client \(i): no message came back (\(r.iterations) iterations)")
            try check(r.endNanos > r.startNanos, "client \(i): no measuring window")
            guard case .object(let fields) = r.json, let d = r.datagram else {
                throw CheckFailure(message: "client \(i): no datagram figures", file: #fileID, line: #line)
            }
            for key in ["retransmissions", "lost", "lateEchoes", "droppedMessages", "rttSampleNanos"] {
                try check(fields[key] != nil, "client \(i): the report has no \(key)")
            }
            try check(
                !d.rttSampleNanos.isEmpty && d.rttSampleNanos.count == min(r.iterations, Perf9DTLS.rttSampleSize),
                "client \(i): \(d.rttSampleNanos.count) round-trip samples for \(r.iterations) messages")
            // Every message either came back (an iteration) or was given up (lost); resends are bounded per message.
            try check(
                d.retransmissions <= (r.iterations + d.lost + 1) * Perf9DTLS.maximumRetransmissions,
                "client \(i): \(d.retransmissions) retransmissions for \(r.iterations + d.lost) messages")
        }
    }
}
