import Assay
import JSec

/// perf9: the echo benchmark. Server participants run echo servers; client-host participants each
/// run `client-count` clients that write `chunk-size` bytes and read them back until `duration`
/// ends. Participants report raw measurements only; `analyzer` computes the statistics.
package let perf9Suite = Suite(
    "perf9", category: "performance",
    description: "echo throughput and handshakes, TCP vs TLS vs Unix, tasks/threads/processes",
    timeout: 600, traits: [.exclusive]
) {  // figures must not include other suites' load
    let roles = [
        Role("server", count: 1) { p in try await Perf9.server(p) },
        Role("client-host", count: 1) { p in try await Perf9.clientHost(p) },
    ]
    let versionRule: SkipCase = .predicate { c in
        // DTLS 1.2 only, and a message must fit one datagram (Perf9DTLS.swift).
        if c["protocol"] == "dtls" { return Perf9DTLS.skipReason(tlsVersion: c["tls-version"], chunkSize: c["chunk-size"]) }
        let tls = c["protocol"] == "tls" || c["protocol"] == "unix-tls"
        // (AssayValue.none is the matrix's "none", not Optional.none.)
        let noVersion = c["tls-version"] == AssayValue.none
        if tls && noVersion { return "TLS protocols run at an explicit TLS version" }
        if !tls && !noVersion { return "tls-version applies only to TLS protocols" }
        return nil
    }
    CoordinatedTest(
        "echo",
        matrix: .inline([
            "protocol": ["tcp", "tls", "unix", "unix-tls", "dtls"],
            "tls-version": ["1.2", "1.3", nil],
            "chunk-size": [1024, 16_384, 65_536],
            "client-count": [1, 10, 50, 100, 1000],
            "duration": [1, 3, 10, 30],
        ]),
        roles: roles, parallel: .task, timeout: 600, gracefulTimeout: 10,
        skipCases: [versionRule],
        ensured: [
            ["protocol": "tls", "tls-version": "1.3", "chunk-size": 16_384, "client-count": 10, "duration": 1],
            ["protocol": "tcp", "tls-version": nil, "chunk-size": 16_384, "client-count": 10, "duration": 1],
            ["protocol": "dtls", "tls-version": "1.2", "chunk-size": 1024, "client-count": 10, "duration": 1],
        ])
    CoordinatedTest(
        "tls-quick",
        matrix: .inline(["protocol": ["tls"], "tls-version": ["1.3"], "chunk-size": [16_384], "client-count": [4], "duration": [1]]),
        roles: roles, parallel: .task, timeout: 120, gracefulTimeout: 5)
    CoordinatedTest(
        "dtls-quick",
        matrix: .inline(["protocol": ["dtls"], "tls-version": ["1.2"], "chunk-size": [1024], "client-count": [4], "duration": [1]]),
        roles: roles, parallel: .task, timeout: 120, gracefulTimeout: 5)
    CoordinatedTest(
        "idle-memory",
        matrix: .inline(["protocol": ["tls", "tcp"], "connections": [100, 1000]]),
        roles: [
            Role("server", count: 1) { p in try await Perf9Idle.server(p) },
            Role("client-host", count: 1) { p in try await Perf9Idle.clientHost(p) },
        ],
        parallel: .process, timeout: 600, gracefulTimeout: 10,
        ensured: [["protocol": "tls", "connections": 100]])
    CoordinatedTest(
        "tcp-quick",
        matrix: .inline(["protocol": ["tcp"], "tls-version": [nil], "chunk-size": [16_384], "client-count": [4], "duration": [1]]),
        roles: roles, parallel: .task, timeout: 120, gracefulTimeout: 5)
    // The handshake benchmark (Perf9Handshake.swift): handshakes/s and latency p50/p99 per key type,
    // full or resumed, with `client-count` concurrent clients; clients verify the pinned server certificate.
    CoordinatedTest(
        "handshake",
        matrix: .inline([
            "protocol": ["tls"],
            "tls-version": ["1.3", "1.2"],
            "key-type": ["rsa-2048", "p-256", "ed25519"],
            "resumption": ["full", "resumed"],
            "client-count": [1, 10, 50],
            "duration": [1, 3, 10],
        ]),
        roles: [
            Role("server", count: 1) { p in try await Perf9Handshake.server(p) },
            Role("client-host", count: 1) { p in try await Perf9Handshake.clientHost(p) },
        ],
        parallel: .task, timeout: 600, gracefulTimeout: 10,
        ensured: [
            ["protocol": "tls", "tls-version": "1.3", "key-type": "p-256", "resumption": "full", "client-count": 10, "duration": 1],
            ["protocol": "tls", "tls-version": "1.3", "key-type": "p-256", "resumption": "resumed", "client-count": 10, "duration": 1],
        ])
}
