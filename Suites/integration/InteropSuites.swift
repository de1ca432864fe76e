import Assay
import JSec

/// The interop matrix every scripted peer runs: both roles × TLS 1.2/1.3 × basic, mTLS, ALPN, resumption.
func interopTests(_ peer: some InteropPeer, serverName: String, clientName: String) -> [TestDefinition] {
    let missing = peer.unavailableReason
    let matrix: MatrixSource = .inline([
        "tls-version": tlsVersions,
        "feature": InteropFeature.allCases.map { .string($0.rawValue) },
    ])
    return MatrixTest(
        "jsec client against \(serverName)", matrix: matrix, skip: missing,
        ensured: [["tls-version": "1.3", "feature": "resumption"]]
    ) { ctx in
        let version = try ctx.tlsVersion(), feature = try ctx.feature()
        ctx.reportPeer(peer.versionDescription, role: "jsec client ↔ \(serverName)", version: version, feature: feature)
        let outcome = try await InteropScenario.ourClient(against: peer, version: version, feature: feature)
        ctx.reportOutcome(outcome)
    }.definitions
        + MatrixTest(
            "\(clientName) against jsec server", matrix: matrix, skip: missing,
            ensured: [["tls-version": "1.3", "feature": "resumption"]]
        ) { ctx in
            let version = try ctx.tlsVersion(), feature = try ctx.feature()
            ctx.reportPeer(peer.versionDescription, role: "\(clientName) ↔ jsec server", version: version, feature: feature)
            let outcome = try await InteropScenario.peerClient(peer, version: version, feature: feature)
            ctx.reportOutcome(outcome)
        }.definitions
        + MatrixTest(
            "mTLS refuses a client without a certificate", matrix: .inline(["tls-version": tlsVersions]),
            skip: missing
        ) { ctx in
            let version = try ctx.tlsVersion()
            ctx.reportPeer(peer.versionDescription, role: "both roles, no client certificate", version: version)
            let notes = try await InteropScenario.mtlsRefusals(peer, version: version)
            ctx.report(.array(notes.map { .string($0) }))
        }.definitions
}

package let gnuTLSSuite = Suite(
    "gnutls", category: "integration",
    description: "interop with GnuTLS: gnutls-serv and gnutls-cli, both roles, TLS 1.2/1.3, mTLS, ALPN, resumption",
    timeout: 120
) {
    interopTests(GnuTLSPeer(), serverName: "gnutls-serv", clientName: "gnutls-cli")
}

package let pythonSSLSuite = Suite(
    "python-ssl", category: "integration",
    description: "interop with Python's ssl module over asyncio, both roles, TLS 1.2/1.3, mTLS, ALPN, resumption",
    timeout: 120
) {
    interopTests(ScriptPeer.python, serverName: "python asyncio server", clientName: "python asyncio client")
}

package let nodeTLSSuite = Suite(
    "node-tls", category: "integration",
    description: "interop with Node.js's tls module, both roles, TLS 1.2/1.3, mTLS, ALPN, resumption",
    timeout: 120
) {
    interopTests(ScriptPeer.node, serverName: "node tls server", clientName: "node tls client")
}

extension TestContext {
    func feature() throws -> InteropFeature {
        let name = try string("feature")
        guard let f = InteropFeature(rawValue: name) else { throw CheckFailure(message: "unknown feature '\(name)'", file: #fileID, line: #line) }
        return f
    }

    /// Says which peer (program and version) and which TLS version the case ran against (JSON `data`, verbosity 5).
    func reportPeer(_ peer: String, role: String, version: TLSVersion, feature: InteropFeature? = nil) {
        var entry: [String: JSONValue] = ["peer": .string(peer), "role": .string(role), "tls-version": .string(version.protocolName)]
        if let feature { entry["feature"] = .string(feature.rawValue) }
        report(.object(entry))
    }

    func reportOutcome(_ o: InteropOutcome) {
        report(["jsec-saw": .array(o.ours.map { .string($0.description) })])
        report(["peer-saw": .array(o.theirs.map { .string($0.description) })])
    }
}
