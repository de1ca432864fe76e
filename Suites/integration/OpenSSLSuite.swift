import Assay
import JSec

/// Interop with the `openssl` CLI (installed by .ci/run); skipped with the reason when it is missing.
public let openSSLSuite = Suite("openssl", category: "integration",
                                description: "interop with the openssl CLI: s_server and s_client, both roles", timeout: 60) {
    let missing = OpenSSLPeers.unavailableReason
    MatrixTest("client against s_server", matrix: .inline(["tls-version": tlsVersions]),
               skipCases: [.always(if: missing != nil, reason: missing ?? "")]) { ctx in
        ctx.report(["peer": .string(OpenSSLPeers.peerVersion)])
        try await OpenSSLPeers.clientAgainstSServer(version: ctx.tlsVersion())
    }
    MatrixTest("s_client against server", matrix: .inline(["tls-version": tlsVersions]),
               skipCases: [.always(if: missing != nil, reason: missing ?? "")]) { ctx in
        ctx.report(["peer": .string(OpenSSLPeers.peerVersion)])
        try await OpenSSLPeers.sClientAgainstServer(version: ctx.tlsVersion())
    }
    MatrixTest("refuses TLS 1.0/1.1 server", matrix: .inline(["peer-flag": ["-tls1", "-tls1_1"]]),
               skipCases: [.always(if: missing != nil, reason: missing ?? "")]) { ctx in
        try await OpenSSLPeers.refusesOldTLSServer(ctx.string("peer-flag"))
    }
    Test("refuses TLS 1.1 client", skip: missing) { _ in try await OpenSSLPeers.refusesOldTLSClient() }
    MatrixTest("s_client resumes with our server", matrix: .inline(["tls-version": tlsVersions]),
               skipCases: [.always(if: missing != nil, reason: missing ?? "")]) { ctx in
        try await OpenSSLPeers.sClientReconnectIsReused(version: ctx.tlsVersion())
    }
    MatrixTest("client resumes with s_server", matrix: .inline(["tls-version": tlsVersions]),
               skipCases: [.always(if: missing != nil, reason: missing ?? "")]) { ctx in
        try await OpenSSLPeers.clientResumesWithSServer(version: ctx.tlsVersion())
    }
}
