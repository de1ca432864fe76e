import Assay
import JSec

/// DTLS interop with GnuTLS (`gnutls-serv --udp`, `gnutls-cli --udp`); skipped with the reason when gnutls-bin is missing.
package let dtlsGnuTLSSuite = Suite(
    "gnutls-dtls", category: "integration",
    description: "DTLS 1.2 interop with gnutls-serv --udp and gnutls-cli --udp, both roles", timeout: 60
) {
    let missing = DTLSGnuTLSPeers.unavailableReason
    let skip: [SkipCase] = [.always(if: missing != nil, reason: missing ?? "")]
    MatrixTest(
        "client against gnutls-serv",
        matrix: .inline(["cipher": ["default", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"], "ip": ["v4", "v6"]]),
        skipCases: skip, ensured: [["cipher": "default", "ip": "v4"]]
    ) { ctx in
        let cipher = try ctx.string("cipher")
        let facts = try await DTLSGnuTLSPeers.clientAgainstServ(cipher: cipher == "default" ? nil : cipher, ipv6: try ctx.string("ip") == "v6")
        ctx.reportDTLS(role: "jsec client ↔ gnutls-serv --udp", facts)
    }
    Test("mutual TLS with gnutls-serv", skip: missing) { ctx in
        ctx.reportDTLS(role: "jsec client (certificate) ↔ gnutls-serv --udp --require-client-cert", try await DTLSGnuTLSPeers.mutualTLSWithServ())
    }
    Test("client resumes with gnutls-serv", skip: missing) { ctx in
        ctx.reportDTLS(role: "jsec client ↔ gnutls-serv --udp, resumed", try await DTLSGnuTLSPeers.clientResumesWithServ())
    }
    MatrixTest("gnutls-cli against server", matrix: .inline(["mtls": [false, true]]), skipCases: skip, ensured: [["mtls": false]]) { ctx in
        let mutual = try ctx.bool("mtls")
        ctx.reportDTLS(role: "gnutls-cli --udp\(mutual ? " (certificate)" : "") ↔ jsec server", try await DTLSGnuTLSPeers.cliAgainstServer(mutual: mutual))
    }
    Test("gnutls-cli without a certificate is refused", skip: missing) { ctx in
        ctx.reportDTLS(
            role: "gnutls-cli --udp (no certificate) ↔ jsec server (certificate required)",
            try await DTLSGnuTLSPeers.cliWithoutCertificateRefused())
    }
    Test("gnutls-cli resumes with our server", skip: missing) { ctx in
        ctx.reportDTLS(role: "gnutls-cli --udp --resume ↔ jsec server", try await DTLSGnuTLSPeers.cliResumes())
    }
    MatrixTest("gnutls-cli small mtu", matrix: .inline(["mtu": [300, 576]]), skipCases: skip, ensured: [["mtu": 576]]) { ctx in
        ctx.reportDTLS(role: "gnutls-cli --udp --mtu ↔ jsec server", try await DTLSGnuTLSPeers.cliSmallMTU(ctx.int("mtu")))
    }
}

extension TestContext {
    /// The peer program and version, the role, and what the scenario saw (negotiated version, cipher, gnutls-cli's lines).
    func reportDTLS(role: String, _ facts: [String: String]) {
        report(["peer": .string(GnuTLSPeer.version), "role": .string(role)])
        report(.object(facts.mapValues { .string($0) }))
    }
}
