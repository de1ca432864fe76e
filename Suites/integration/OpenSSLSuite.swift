import Assay
import JSec

/// Interop with the `openssl` CLI (installed by .ci/run); skipped with the reason when it is missing.
package let openSSLSuite = Suite(
    "openssl", category: "integration",
    description: "interop with the openssl CLI: s_server and s_client, both roles", timeout: 60
) {
    let missing = OpenSSLPeers.unavailableReason
    MatrixTest(
        "client against s_server", matrix: .inline(["tls-version": tlsVersions]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        ctx.reportPeer(OpenSSLPeers.peerVersion, role: "jsec client ↔ openssl s_server", version: try ctx.tlsVersion())
        try await OpenSSLPeers.clientAgainstSServer(version: ctx.tlsVersion())
    }
    MatrixTest(
        "s_client against server", matrix: .inline(["tls-version": tlsVersions]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        ctx.reportPeer(OpenSSLPeers.peerVersion, role: "openssl s_client ↔ jsec server", version: try ctx.tlsVersion())
        try await OpenSSLPeers.sClientAgainstServer(version: ctx.tlsVersion())
    }
    MatrixTest(
        "refuses TLS 1.0/1.1 server", matrix: .inline(["peer-flag": ["-tls1", "-tls1_1"]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        ctx.report(["peer": .string(OpenSSLPeers.peerVersion), "role": "jsec client ↔ openssl s_server", "peer-flag": .string(try ctx.string("peer-flag"))])
        try await OpenSSLPeers.refusesOldTLSServer(ctx.string("peer-flag"))
    }
    Test("refuses TLS 1.1 client", skip: missing) { ctx in
        ctx.report(["peer": .string(OpenSSLPeers.peerVersion), "role": "openssl s_client -tls1_1 ↔ jsec server"])
        try await OpenSSLPeers.refusesOldTLSClient()
    }
    MatrixTest(
        "s_client resumes with our server",
        matrix: .inline(["tls-version": tlsVersions, "method": OpenSSLPeers.ResumeMethod.allCases.map { .string($0.rawValue) }]),
        skipCases: [
            .always(if: missing != nil, reason: missing ?? ""),
            .when(["tls-version": "1.3", "method": "reconnect"], reason: OpenSSLPeers.reconnectTLS13Limitation),
        ]
    ) { ctx in
        let method = OpenSSLPeers.ResumeMethod(rawValue: try ctx.string("method"))!
        ctx.reportPeer(
            OpenSSLPeers.peerVersion, role: "openssl s_client \(method == .reconnect ? "-reconnect" : "-sess_out/-sess_in") ↔ jsec server",
            version: try ctx.tlsVersion())
        try await OpenSSLPeers.sClientResumes(version: ctx.tlsVersion(), method: method)
    }
    MatrixTest(
        "client resumes with s_server", matrix: .inline(["tls-version": tlsVersions]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        ctx.reportPeer(OpenSSLPeers.peerVersion, role: "jsec client ↔ openssl s_server", version: try ctx.tlsVersion())
        try await OpenSSLPeers.clientResumesWithSServer(version: ctx.tlsVersion())
    }
    Test("s_client key update with our server", skip: missing) { ctx in
        ctx.reportPeer(OpenSSLPeers.peerVersion, role: "openssl s_client ↔ jsec server", version: .tls1_3)
        try await OpenSSLKeyUpdate.sClientKeyUpdate()
    }
    Test("client key update with s_server", skip: missing) { ctx in
        ctx.reportPeer(OpenSSLPeers.peerVersion, role: "jsec client ↔ openssl s_server", version: .tls1_3)
        try await OpenSSLKeyUpdate.clientKeyUpdateWithSServer()
    }
}
