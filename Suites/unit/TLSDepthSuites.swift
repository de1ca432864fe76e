import Assay
import JSec

/// OCSP stapling: our server and client, and openssl s_server / s_client.
package let tlsOCSPSuite = Suite("tls-ocsp", category: "unit", description: "OCSP stapling: staple, request, require", timeout: 60) {
    let missing = OpenSSLPeers.unavailableReason
    MatrixTest(
        "good staple passes require", matrix: .inline(["transport": ["tls-tcp", "tls-unix", "upgraded"]]),
        ensured: [["transport": "tls-tcp"]]
    ) { ctx in
        try await TLSOCSP.goodStaplePasses(ctx.transport())
    }
    MatrixTest(
        "client rejects bad staple",
        matrix: .inline(["staple": TLSOCSP.BadStaple.allCases.map { .string($0.rawValue) }, "tls-version": tlsVersions]),
        ensured: [["staple": "revoked", "tls-version": "1.3"]]
    ) { ctx in
        try await TLSOCSP.clientRejects(TLSOCSP.BadStaple(rawValue: ctx.string("staple"))!, version: ctx.tlsVersion())
    }
    Test("request only reports") { _ in try await TLSOCSP.requestOnlyReports() }
    Test("provider refresh") { _ in try await TLSOCSP.providerRefresh() }
    Test("invalid options are rejected") { _ in try await TLSOCSP.invalidOptionsRejected() }
    MatrixTest(
        "client against s_server -status_file", matrix: .inline(["tls-version": tlsVersions]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        try await TLSOCSP.clientAgainstSServer(version: ctx.tlsVersion())
    }
    MatrixTest(
        "s_client -status sees the staple", matrix: .inline(["tls-version": tlsVersions]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        try await TLSOCSP.sClientSeesStaple(version: ctx.tlsVersion())
    }
}

/// Verification hooks: custom callback, SPKI pinning, CRLs.
package let tlsVerificationHooksSuite = Suite(
    "tls-verify-hooks", category: "unit",
    description: "custom verification callback, public key pinning, CRL checking", timeout: 60
) {
    MatrixTest(
        "callback sees the chain", matrix: .inline(["transport": ["tls-tcp", "tls-unix", "upgraded"]]),
        ensured: [["transport": "tls-tcp"]]
    ) { ctx in
        try await TLSVerificationHooks.callbackSeesChainAndAccepts(ctx.transport())
    }
    Test("client callback rejects") { _ in try await TLSVerificationHooks.clientCallbackRejects() }
    MatrixTest(
        "server rejects a client", matrix: .inline(["hook": ["callback", "pin"], "tls-version": tlsVersions]),
        ensured: [["hook": "callback", "tls-version": "1.3"]]
    ) { ctx in
        try await TLSVerificationHooks.serverRejectsClient(hook: ctx.string("hook"), version: ctx.tlsVersion())
    }
    MatrixTest(
        "pinning", matrix: .inline(["pin": TLSVerificationHooks.PinCase.allCases.map { .string($0.rawValue) }]),
        ensured: [["pin": "wrong"]]
    ) { ctx in
        try await TLSVerificationHooks.pinning(TLSVerificationHooks.PinCase(rawValue: ctx.string("pin"))!)
    }
    MatrixTest("CRL", matrix: .inline(["source": ["objects", "pem", "file"]]), ensured: [["source": "file"]]) { ctx in
        try await TLSVerificationHooks.crl(source: ctx.string("source"))
    }
    Test("invalid options are rejected") { _ in try await TLSVerificationHooks.invalidOptionsRejected() }
}

/// TLS 1.2 renegotiation, opt-in on both sides.
package let tlsRenegotiationSuite = Suite(
    "tls-renegotiation", category: "unit",
    description: "TLS 1.2 secure renegotiation while data flows; refused when off", timeout: 60
) {
    MatrixTest(
        "renegotiation while data flows",
        matrix: .inline(["transport": ["tls-tcp", "tls-unix", "upgraded"], "initiator": ["client", "server"]]),
        ensured: [["transport": "tls-tcp", "initiator": "client"]]
    ) { ctx in
        try await TLSRenegotiation.whileDataFlows(ctx.transport(), initiator: ctx.string("initiator"))
    }
    Test("refused when off") { _ in try await TLSRenegotiation.refused() }
    let missing = OpenSSLPeers.unavailableReason
    MatrixTest(
        "client against s_server", matrix: .inline(["s_server-allows": [true, false]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        try await TLSRenegotiation.clientAgainstSServer(allowedByPeer: ctx.bool("s_server-allows"))
    }
    MatrixTest(
        "s_client renegotiates with our server", matrix: .inline(["server-allows": [true, false]]),
        skipCases: [.always(if: missing != nil, reason: missing ?? "")]
    ) { ctx in
        try await TLSRenegotiation.sClientRenegotiates(serverAllows: ctx.bool("server-allows"))
    }
}
