import AssayResults
import Foundation
@testable import PerfAnalysis

/// Results files made up in the test, where the truth is known: each echo case's throughput is
/// exactly the number given (one client-host, `clients` clients splitting it evenly over 1 s).
enum SyntheticRun {
    struct Echo {
        var proto = "tls"
        var tlsVersion: String? = "1.3"
        var chunk = 16384
        var clients = 10
        var parallel = "thread"
        var placement: String?
        /// One value per repetition, bytes/s.
        var throughputs: [Double]
        /// Per-client spread (fraction of the mean) inside a run: the clients of one run differ.
        var clientSpread = 0.0
    }

    /// A handshake-benchmark case per repetition: handshakes of the given latencies over 1 s.
    struct Handshake {
        var latenciesNanos: [[Int]]
    }

    static func echoCase(_ e: Echo, repetition: Int, value: Double) -> CaseResult {
        var combo: [String: AssayValue] = [
            "protocol": .string(e.proto), "chunk-size": .int(e.chunk),
            "client-count": .int(e.clients), "duration": .int(1),
        ]
        combo["tls-version"] = e.tlsVersion.map { .string($0) } ?? AssayValue.none
        var coordination = ["parallel": e.parallel]
        if let p = e.placement { coordination["placement"] = p }
        let clients: [JSONValue] = (0..<e.clients).map { i in
            // Even split, optionally spread around the mean (the spread sums to zero).
            let offset = e.clients > 1 ? (Double(i) / Double(e.clients - 1) - 0.5) * 2 * e.clientSpread : 0
            let bytes = Int(value / Double(e.clients) * (1 + offset) / 2)
            return .object([
                "bytesSent": .int(bytes), "bytesReceived": .int(bytes), "iterations": .int(10),
                "startNanos": .int(0), "endNanos": .int(1_000_000_000), "connected": .bool(true),
                "negotiatedVersion": e.tlsVersion.map { .string("TLSv" + $0) } ?? .null,
            ])
        }
        var c = CaseResult(
            id: "performance/perf9/echo[\(e.proto),\(e.tlsVersion ?? "none"),\(e.chunk),\(e.clients)]<parallel=\(e.parallel)>",
            category: "performance", suite: "perf9", test: "echo", kind: "coordinated", combination: combo,
            coordination: coordination, status: .passed,
            data: [
                .object(["role": .string("client-host"), "index": .int(0), "data": .object(["clients": .array(clients)])]),
                .object(["role": .string("server"), "index": .int(0), "data": .object(["connections": .int(e.clients)])]),
            ])
        c.repetition = repetition
        return c
    }

    static func handshakeCase(_ nanos: [Int], repetition: Int) -> CaseResult {
        let client: JSONValue = .object([
            "handshakes": .array(nanos.map { .int($0) }), "handshakeWindowNanos": .int(1_000_000_000),
            "resumed": .bool(false), "keyType": .string("P-256"), "connected": .bool(true),
        ])
        var c = CaseResult(
            id: "performance/perf9/handshake[…]", category: "performance", suite: "perf9", test: "handshake",
            kind: "coordinated", combination: ["protocol": .string("tls"), "tls-version": .string("1.3"), "client-count": .int(1)],
            coordination: ["parallel": "task"], status: .passed,
            data: [.object(["role": .string("client-host"), "index": .int(0), "data": .object(["clients": .array([client])])])])
        c.repetition = repetition
        return c
    }

    /// Writes a results file; `extra` is the run metadata (cpuModel, buildConfiguration, …).
    static func write(_ path: String, echo: [Echo], handshakes: [Handshake] = [], extra: [String: String] = [:]) throws {
        var cases: [CaseResult] = []
        let reps = (echo.map(\.throughputs.count) + handshakes.map(\.latenciesNanos.count)).max() ?? 0
        // Interleaved in rounds, like runner --repeat.
        for r in 0..<reps {
            for e in echo where r < e.throughputs.count { cases.append(echoCase(e, repetition: r + 1, value: e.throughputs[r])) }
            for h in handshakes where r < h.latenciesNanos.count { cases.append(handshakeCase(h.latenciesNanos[r], repetition: r + 1)) }
        }
        var meta = [
            "cpuModel": "Test CPU", "cpuCount": "2", "buildConfiguration": "release", "tasksOnEventLoops": "no",
            "loadAverageStart": "0.10 0.10 0.10", "loadAverageEnd": "0.20 0.10 0.10",
        ]
        meta.merge(extra) { _, new in new }
        let run = RunMetadata(
            startTime: Date(timeIntervalSince1970: 1_800_000_000), host: "test", os: "test",
            swiftVersion: "6.3", opensslVersion: "OpenSSL 3.0.19", commandLine: ["runner"], extra: meta)
        let results = RunResults(run: run, totals: Totals(counting: cases, suiteFailures: 0), suites: [], cases: cases)
        try results.write(to: path)
    }
}

/// Normal deviates from a seeded generator (Box–Muller), for sampling known distributions.
struct Gaussian<G: RandomNumberGenerator> {
    var rng: G
    mutating func next() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
    /// `n` values around `center` with relative standard deviation `sd` (log-normal).
    mutating func sample(_ n: Int, center: Double, sd: Double) -> [Double] {
        (0..<n).map { _ in center * exp(sd * next()) }
    }
}
