import Assay
import JSec

/// DTLS interop with the `openssl` CLI (s_server/s_client -dtls1_2); skipped with the reason when it is missing.
package let dtlsOpenSSLSuite = Suite(
    "openssl-dtls", category: "integration",
    description: "DTLS 1.2 interop with openssl s_server and s_client, both roles", timeout: 60
) {
    let missing = OpenSSLPeers.unavailableReason
    MatrixTest(
        "client against s_server",
        matrix: .inline(["cipher": ["default", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"], "ip": ["v4", "v6"]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")], ensured: [["cipher": "default", "ip": "v4"]]
    ) { ctx in
        ctx.report(["peer": .string(OpenSSLPeers.peerVersion)])
        let cipher = try ctx.string("cipher")
        try await DTLSOpenSSLPeers.clientAgainstSServer(cipher: cipher == "default" ? nil : cipher, ipv6: try ctx.string("ip") == "v6")
    }
    Test("mutual TLS with s_server", skip: missing) { _ in try await DTLSOpenSSLPeers.mutualTLSWithSServer() }
    Test("client resumes with s_server", skip: missing) { _ in try await DTLSOpenSSLPeers.clientResumesWithSServer() }
    MatrixTest(
        "s_client against server", matrix: .inline(["mtls": [false, true]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")], ensured: [["mtls": false]]
    ) { ctx in
        try await DTLSOpenSSLPeers.sClientAgainstServer(mutual: ctx.bool("mtls"))
    }
    Test("s_client resumes with our server", skip: missing) { _ in try await DTLSOpenSSLPeers.sClientResumes() }
    Test("verification failure with s_server", skip: missing) { _ in try await DTLSOpenSSLPeers.verificationFailureWithSServer() }
    Test("upgrade a UDP channel against s_server", skip: missing) { _ in try await DTLSOpenSSLPeers.upgradeAgainstSServer() }
    Test("DTLSClientHandler in a NIO pipeline against s_server", skip: missing) { _ in try await DTLSHandlerOpenSSL.againstSServer() }
    Test("lossy handshake with s_server", skip: missing) { _ in
        try await DTLSOpenSSLPeers.lossyHandshakeWithSServer(dropRate: 0.2, seed: 10)
    }
    MatrixTest(
        "small mtu with s_server", matrix: .inline(["mtu": [300, 576]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")], ensured: [["mtu": 576]]
    ) { ctx in
        try await DTLSOpenSSLPeers.smallMTUWithSServer(ctx.int("mtu"))
    }
    Test("s_client idle timeout", skip: missing) { _ in try await DTLSOpenSSLPeers.sClientIdleTimeout() }
}
