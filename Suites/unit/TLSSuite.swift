import Assay
import JSec

/// TLS behaviour on our own peers: STARTTLS, verification, mTLS, versions, ciphers, ALPN, SNI, configuration.
package let tlsSuite = Suite("tls", category: "unit", description: "TLS client and server behaviour against our own peer", timeout: 60) {
    MatrixTest("upgrade with coalesced bytes", matrix: .inline(["tls-client": ["connector", "acceptor"]])) { ctx in
        try await TLSBehaviour.upgradeWithCoalescedBytes(clientIsAcceptor: ctx.string("tls-client") == "acceptor")
    }
    MatrixTest(
        "client rejects bad server", matrix: .inline(["server": TLSBehaviour.BadServer.allCases.map { .string($0.rawValue) }]),
        ensured: [["server": "expired"]]
    ) { ctx in
        try await TLSBehaviour.clientRejects(TLSBehaviour.BadServer(rawValue: ctx.string("server"))!)
    }
    MatrixTest("missing client certificate", matrix: .inline(["tls-version": tlsVersions])) { ctx in
        try await TLSBehaviour.missingClientCertificate(version: ctx.tlsVersion())
    }
    MatrixTest("mutual TLS", matrix: .inline(["transport": tlsTransports]), ensured: [["transport": "tls-tcp"]]) { ctx in
        try await TLSBehaviour.mutualTLS(ctx.transport())
    }
    MatrixTest(
        "negotiates the requested version",
        matrix: .inline(["tls-version": tlsVersions, "key-type": ["rsa2048", "p256", "ed25519"]]),
        ensured: [["tls-version": "1.3", "key-type": "p256"]]
    ) { ctx in
        try await TLSBehaviour.negotiatesRequestedVersion(ctx.tlsVersion(), keyType: KeyType(name: ctx.string("key-type")))
    }
    Test("negotiates the requested cipher") { _ in try await TLSBehaviour.negotiatesRequestedCipher() }
    Test("ALPN") { _ in try await TLSBehaviour.alpn() }
    Test("connects by an IPv4 literal, an IPv6 literal and a name") { _ in try await TLSBehaviour.connectsByLiteralAndName() }
    Test("chain through an intermediate CA") { _ in try await TLSBehaviour.intermediateChain() }
    Test("SNI selects the certificate") { _ in try await TLSBehaviour.sniSelectsCertificate() }
    Test("invalid configuration is rejected") { _ in try await TLSBehaviour.invalidConfigurationIsRejected() }
}

/// Session resumption and key update.
package let tlsSessionsSuite = Suite("tls-sessions", category: "unit", description: "session resumption and TLS 1.3 key update", timeout: 60) {
    MatrixTest(
        "exported session resumes", matrix: .inline(["tls-version": tlsVersions, "tickets": [true, false]]),
        ensured: [["tls-version": "1.3", "tickets": true]]
    ) { ctx in
        try await TLSSessions.exportedSessionResumes(version: ctx.tlsVersion(), tickets: ctx.bool("tickets"))
    }
    Test("client session cache resumes") { _ in try await TLSSessions.clientCacheResumes() }
    Test("ticket key survives a restart") { _ in try await TLSSessions.ticketKeySurvivesRestart() }
    MatrixTest("key update while data flows", matrix: .inline(["transport": ["tls-tcp", "tls-unix", "upgraded"]])) { ctx in
        try await TLSSessions.keyUpdateWhileDataFlows(ctx.transport())
    }
}
