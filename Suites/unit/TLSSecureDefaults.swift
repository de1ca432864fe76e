import Assay
import Foundation
import JSec

/// Secure defaults against real peers (`openssl s_client` / `s_server`): the default TLS 1.2 list is ECDHE with
/// AEAD only, the named profiles, the TLS 1.2 floor (TLS 1.0/1.1 peers) and a configured minimum.
package let tlsDefaultsSuite = Suite(
    "tls-defaults", category: "unit",
    description: "secure defaults: AEAD-only TLS 1.2, security profiles, version floor, against openssl s_client/s_server",
    timeout: 90
) {
    MatrixTest(
        "server refuses legacy TLS 1.2 suites",
        matrix: .inline(["suite": SecureDefaults.legacySuites.map { .string($0) }, "profile": ["intermediate", "compatible"]]),
        ensured: [["suite": "AES128-SHA", "profile": "intermediate"], ["suite": "AES128-SHA", "profile": "compatible"]]
    ) { ctx in
        try await SecureDefaults.serverAgainstLegacyClient(suite: ctx.string("suite"), profile: ctx.profile())
    }
    MatrixTest(
        "client refuses legacy TLS 1.2 suites",
        matrix: .inline(["suite": SecureDefaults.legacySuites.map { .string($0) }, "profile": ["intermediate", "compatible"]]),
        ensured: [["suite": "AES128-SHA", "profile": "intermediate"]]
    ) { ctx in
        try await SecureDefaults.clientAgainstLegacyServer(suite: ctx.string("suite"), profile: ctx.profile())
    }
    MatrixTest(
        "TLS 1.0 and 1.1 peers refused",
        matrix: .inline(["peer-version": ["tls1", "tls1_1"], "side": ["server", "client"], "profile": ["intermediate", "compatible"]]),
        ensured: [["peer-version": "tls1_1", "side": "server", "profile": "compatible"]]
    ) { ctx in
        try await SecureDefaults.oldVersionRefused(flag: "-" + ctx.string("peer-version"), ourSide: ctx.string("side"), profile: ctx.profile())
    }
    MatrixTest(
        "configured minimum is enforced", matrix: .inline(["side": ["server", "client"], "how": ["minimumVersion", "modern"]]),
        ensured: [["side": "server", "how": "modern"]]
    ) { ctx in
        try await SecureDefaults.tls13OnlyRefusesTLS12Peer(ourSide: ctx.string("side"), viaProfile: ctx.string("how") == "modern")
    }
    // Issue 20 item 3: the default offered X448 and P-521 (OpenSSL's default groups) beyond Mozilla's X25519, P-256, P-384.
    MatrixTest(
        "server refuses groups outside the default",
        matrix: .inline(["group": ["X448", "secp521r1"], "profile": ["intermediate", "compatible"], "version": ["1.3", "1.2"]]),
        ensured: [["group": "X448", "profile": "intermediate", "version": "1.3"], ["group": "X448", "profile": "compatible", "version": "1.3"]]
    ) { ctx in
        try await SecureDefaults.serverAgainstGroupOnlyClient(group: ctx.string("group"), profile: ctx.profile(), version: ctx.string("version"))
    }
    MatrixTest(
        "client does not offer groups outside the default",
        matrix: .inline(["group": ["X448", "secp521r1"], "profile": ["intermediate", "compatible"]]),
        ensured: [["group": "X448", "profile": "intermediate"]]
    ) { ctx in
        try await SecureDefaults.clientAgainstGroupOnlyServer(group: ctx.string("group"), profile: ctx.profile())
    }
    Test("JSec client with a legacy list against the default server") { _ in try await SecureDefaults.jsecLegacyClient() }
    Test("DTLS 1.2 gets the AEAD-only default") { _ in try await SecureDefaults.dtlsDefault() }
    Test("profile configuration errors") { _ in try SecureDefaults.profileConfigurationErrors() }
}

extension TestContext {
    func profile() throws -> TLSSecurityProfile {
        let name = try string("profile")
        guard let p = TLSSecurityProfile(rawValue: name) else { throw CheckFailure(message: "unknown profile \(name)", file: #fileID, line: #line) }
        return p
    }
}

package enum SecureDefaults {
    /// TLS 1.2 suites the default (`.intermediate`) refuses and `.compatible` (OpenSSL's default list) accepts:
    /// static RSA with CBC and SHA-1, static RSA with GCM (no forward secrecy), ECDHE with CBC and SHA-1,
    /// ECDHE-ECDSA with CBC and SHA-384.
    package static let legacySuites = ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"]

    /// The PKI whose key can authenticate `suite` (RSA for the RSA and static-RSA suites, P-256 for ECDSA).
    static func pki(for suite: String) async throws -> TestPKI {
        suite.contains("ECDSA") ? TestPKI.shared : try await MatrixPKI.named("rsa2048").pki
    }

    static func files(_ pki: TestPKI) throws -> (cert: String, key: String, ca: String) {
        let tag = UUID().uuidString.prefix(8)
        return (
            try TestPKI.writeTemp(pki.server.certificatePEM, name: "defaults-server-\(tag).pem"),
            try TestPKI.writeTemp(pki.server.privateKeyPEM, name: "defaults-key-\(tag).pem"),
            try TestPKI.writeTemp(pki.root.certificate.pem, name: "defaults-ca-\(tag).pem")
        )
    }

    /// The first handshake failure the listener records (bounded wait: the peer may exit before our side logs it).
    static func firstFailure(_ listener: NetListener) async throws -> JSecError {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let e = listener.handshakeFailures.first { return e }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CheckFailure(message: "the listener recorded no handshake failure", file: #fileID, line: #line)
    }

    /// Runs `openssl s_client` with `arguments` against our server configured by `config`.
    /// Accepted: returns the server's negotiated cipher. Refused: checks that s_client failed and the
    /// server recorded a `.handshake` failure, and returns nil.
    static func sClient(
        against config: TLSConfiguration, _ arguments: [String], ca: String, expectAccepted: Bool,
        refusal: String
    ) async throws -> String? {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        defer { Task { await listener.close() } }
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost",
                "-CAfile", ca, "-verify_return_error",
            ] + arguments)
        defer { client.stop() }
        if expectAccepted {
            let s = try await listener.accept(timeout: .seconds(10))
            _ = try await client.waitFor("Verify return code: 0 \\(ok\\)")
            client.closeInput()
            let cipher = s.tls?.cipher
            await s.close()
            let status = await client.wait()
            try checkEqual(status, 0, "s_client \(arguments) exit status; it printed: \(client.output.suffix(800))")
            return cipher
        }
        client.closeInput()
        let status = await client.wait()
        try check(status != 0, "s_client \(arguments) must fail, it exited \(status): \(client.output.suffix(800))")
        let e = try await firstFailure(listener)
        try checkEqual(e.category, .handshake, "category of the server's refusal (\(e))")
        try check(e.message.lowercased().contains(refusal), "the refusal names '\(refusal)': \(e.message)")
        return nil
    }

    /// An s_client offering only one legacy TLS 1.2 suite: refused by the default (`.intermediate`) server with
    /// "no shared cipher", accepted with that suite by a `.compatible` server.
    package static func serverAgainstLegacyClient(suite: String, profile: TLSSecurityProfile) async throws {
        let pki = try await pki(for: suite)
        var config = pki.serverConfiguration()
        if profile != .intermediate { config.securityProfile = profile }  // .intermediate: the untouched default
        let f = try files(pki)
        let cipher = try await sClient(
            against: config, ["-tls1_2", "-cipher", suite], ca: f.ca,
            expectAccepted: profile == .compatible, refusal: "no shared cipher")
        if profile == .compatible { try checkEqual(cipher, suite, "suite the .compatible server negotiated") }
    }

    /// Our client against an s_server that offers only one legacy suite: the default client refuses
    /// (`.handshake`), a `.compatible` client connects with that suite.
    package static func clientAgainstLegacyServer(suite: String, profile: TLSSecurityProfile) async throws {
        let pki = try await pki(for: suite)
        let f = try files(pki)
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", f.cert, "-key", f.key,
                "-tls1_2", "-cipher", suite, "-naccept", "1",
            ])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        var config = pki.clientConfiguration()
        if profile != .intermediate { config.securityProfile = profile }
        if profile == .compatible {
            let s = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
            try checkEqual(s.tls?.cipher, suite, "suite the .compatible client negotiated")
            await s.close()
        } else {
            try await checkThrowsJSec(.handshake, "default client against an s_server offering only \(suite)") {
                _ = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
            }
        }
    }

    /// TLS 1.0 / 1.1 peers (openssl at security level 0, so OpenSSL itself would speak them) are refused
    /// whatever the profile: our server records a `.handshake` failure naming the version, our client throws one.
    package static func oldVersionRefused(flag: String, ourSide: String, profile: TLSSecurityProfile) async throws {
        let pki = TestPKI.shared
        let f = try files(pki)
        if ourSide == "server" {
            var config = pki.serverConfiguration()
            config.securityProfile = profile
            _ = try await sClient(
                against: config, [flag, "-cipher", "DEFAULT:@SECLEVEL=0"], ca: f.ca,
                expectAccepted: false, refusal: "unsupported protocol")
            return
        }
        let server = try PeerProcess(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:0", "-cert", f.cert, "-key", f.key,
                flag, "-cipher", "DEFAULT:@SECLEVEL=0", "-naccept", "1",
            ])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        var config = pki.clientConfiguration()
        config.securityProfile = profile
        let e = try await checkThrowsJSec(.handshake, "our client against a \(flag)-only s_server") {
            _ = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
        }
        try check(e.message.lowercased().contains("version"), "the refusal names the version: \(e.message)")
    }

    /// A TLS 1.3-only side (`minimumVersion = .tls1_3`, or the `.modern` profile) refuses a TLS 1.2-only peer;
    /// the same peer is accepted by the default configuration (so the refusal is the minimum's doing).
    package static func tls13OnlyRefusesTLS12Peer(ourSide: String, viaProfile: Bool) async throws {
        let pki = TestPKI.shared
        let f = try files(pki)
        func restrict(_ c: inout TLSConfiguration) {
            if viaProfile { c.securityProfile = .modern } else { c.minimumVersion = .tls1_3 }
        }
        if ourSide == "server" {
            var config = pki.serverConfiguration()
            let accepted = try await sClient(against: config, ["-tls1_2"], ca: f.ca, expectAccepted: true, refusal: "")
            try check(accepted != nil, "the default server accepts s_client -tls1_2")
            restrict(&config)
            _ = try await sClient(against: config, ["-tls1_2"], ca: f.ca, expectAccepted: false, refusal: "unsupported protocol")
            return
        }
        for refused in [false, true] {
            let server = try PeerProcess(
                "openssl",
                [
                    "s_server", "-accept", "127.0.0.1:0", "-cert", f.cert, "-key", f.key,
                    "-tls1_2", "-naccept", "1",
                ])
            defer { server.stop() }
            let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
            var config = pki.clientConfiguration()
            if refused {
                restrict(&config)
                let e = try await checkThrowsJSec(.handshake, "TLS 1.3-only client against s_server -tls1_2") {
                    _ = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
                }
                try check(e.message.lowercased().contains("version"), "the refusal names the version: \(e.message)")
            } else {
                let s = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
                try checkEqual(s.tls?.version, .tls(.tls1_2), "the default client speaks TLS 1.2 with s_server -tls1_2")
                await s.close()
            }
        }
    }

    /// How `openssl s_client` names the key exchange group it got ("Server Temp Key: X448, 448 bits",
    /// "Server Temp Key: ECDH, secp521r1, 521 bits").
    static func tempKeyLine(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("Server Temp Key:") }.map(String.init)
    }

    /// An s_client offering only `group` (X448 or secp521r1): refused by the default server (no shared group), served
    /// with that group by a `.compatible` one.
    /// With TLS 1.2 the certificate is RSA: an ECDSA P-256 certificate needs P-256 among the client's groups there.
    package static func serverAgainstGroupOnlyClient(group: String, profile: TLSSecurityProfile, version: String) async throws {
        let pki = version == "1.2" ? try await MatrixPKI.named("rsa2048").pki : TestPKI.shared
        var config = pki.serverConfiguration()
        if profile != .intermediate { config.securityProfile = profile }  // .intermediate: the untouched default
        let f = try files(pki)
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        defer { Task { await listener.close() } }
        let client = try PeerProcess(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost",
                "-CAfile", f.ca, "-verify_return_error", "-groups", group, version == "1.2" ? "-tls1_2" : "-tls1_3",
            ])
        defer { client.stop() }
        if profile == .compatible {
            let s = try await listener.accept(timeout: .seconds(10))
            _ = try await client.waitFor("Verify return code: 0 \\(ok\\)")
            client.closeInput()
            await s.close()
            let status = await client.wait()
            try checkEqual(status, 0, "s_client -groups \(group) exit status; it printed: \(client.output.suffix(800))")
            let line = tempKeyLine(client.output) ?? "none"
            try check(line.contains(group), "the .compatible server agreed on \(group): \(line)")
            return
        }
        client.closeInput()
        let status = await client.wait()
        try check(status != 0, "s_client -groups \(group) must fail against the default server, it exited \(status): \(client.output.suffix(800))")
        try checkEqual(tempKeyLine(client.output), nil, "no key exchange took place")
        let e = try await firstFailure(listener)
        try checkEqual(e.category, .handshake, "category of the server's refusal (\(e))")
    }

    /// Our client against an `openssl s_server -groups <group>`: the default client offers neither X448 nor P-521,
    /// so the handshake fails; a `.compatible` client offers them and connects.
    package static func clientAgainstGroupOnlyServer(group: String, profile: TLSSecurityProfile) async throws {
        let pki = TestPKI.shared
        let f = try files(pki)
        let server = try PeerProcess(
            "openssl",
            ["s_server", "-accept", "127.0.0.1:0", "-cert", f.cert, "-key", f.key, "-groups", group, "-naccept", "1"])
        defer { server.stop() }
        let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
        var config = pki.clientConfiguration()
        if profile != .intermediate { config.securityProfile = profile }
        if profile == .compatible {
            let s = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
            try checkEqual(s.tls?.version, .tls(.tls1_3), "the .compatible client's version with s_server -groups \(group)")
            await s.close()
        } else {
            try await checkThrowsJSec(.handshake, "default client against an s_server accepting only \(group)") {
                _ = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: TLSContext(config))
            }
        }
    }

    /// A JSec client configured with an explicit legacy list (a peer we control end to end): refused by a default
    /// server on both sides, accepted by a `.compatible` server.
    package static func jsecLegacyClient() async throws {
        let pki = try await MatrixPKI.named("rsa2048").pki
        var client = pki.clientConfiguration()
        client.cipherList = "AES128-SHA"
        client.maximumVersion = .tls1_2
        let defaultServer = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(pki.serverConfiguration()))
        defer { Task { await defaultServer.close() } }
        try await checkThrowsJSec(.handshake, "AES128-SHA-only client against the default server") {
            _ = try await TLS.connect(host: "127.0.0.1", port: defaultServer.port!, serverName: "localhost", context: TLSContext(client))
        }
        let e = try await firstFailure(defaultServer)
        try checkEqual(e.category, .handshake, "the server's refusal (\(e))")
        var compatible = pki.serverConfiguration()
        compatible.securityProfile = .compatible
        let compatibleServer = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(compatible))
        defer { Task { await compatibleServer.close() } }
        let s = try await TLS.connect(host: "127.0.0.1", port: compatibleServer.port!, serverName: "localhost", context: TLSContext(client))
        try checkEqual(s.tls?.cipher, "AES128-SHA", "suite against the .compatible server")
        await s.close()
    }

    /// DTLS 1.2 takes the same default list: a DTLS client offering only ECDHE-ECDSA-AES128-SHA (CBC, SHA-1)
    /// is refused by a default DTLS server and served by a `.compatible` one.
    package static func dtlsDefault() async throws {
        let pki = TestPKI.shared
        var client = pki.clientConfiguration()
        client.cipherList = "ECDHE-ECDSA-AES128-SHA"
        client.handshakeTimeout = .seconds(10)
        let defaultServer = try await DTLSEchoServer()
        do {
            try await checkThrowsJSec(.handshake, "CBC-only DTLS client against the default DTLS server") {
                _ = try await DTLS.connect(host: "127.0.0.1", port: defaultServer.port, serverName: "localhost", context: DTLS.context(client))
            }
        } catch { await defaultServer.close(); throw error }
        await defaultServer.close()
        var compatible = pki.serverConfiguration()
        compatible.securityProfile = .compatible
        let compatibleServer = try await DTLSEchoServer(configuration: compatible)
        do {
            let c = try await DTLS.connect(host: "127.0.0.1", port: compatibleServer.port, serverName: "localhost", context: DTLS.context(client))
            try checkEqual(c.cipher, "ECDHE-ECDSA-AES128-SHA", "suite against the .compatible DTLS server")
            await c.close()
        } catch { await compatibleServer.close(); throw error }
        await compatibleServer.close()
    }

    /// Contradictions between a profile and explicit settings are `.configuration` errors, never silently resolved.
    package static func profileConfigurationErrors() throws {
        let pki = TestPKI.shared
        var modernWithList = pki.serverConfiguration()
        modernWithList.securityProfile = .modern
        modernWithList.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256"
        try checkThrowsJSecSync(.configuration, ".modern with a TLS 1.2 cipher list") { _ = try TLSContext(modernWithList) }
        var modernMax12 = pki.clientConfiguration()
        modernMax12.securityProfile = .modern
        modernMax12.maximumVersion = .tls1_2
        try checkThrowsJSecSync(.configuration, ".modern with maximum TLS 1.2") { _ = try TLSContext(modernMax12) }
        var modernDTLS = pki.serverConfiguration()
        modernDTLS.securityProfile = .modern
        try checkThrowsJSecSync(.configuration, ".modern for DTLS") { _ = try DTLS.context(modernDTLS) }
        var modernRenegotiation = pki.clientConfiguration()
        modernRenegotiation.securityProfile = .modern
        modernRenegotiation.allowRenegotiation = true
        try checkThrowsJSecSync(.configuration, ".modern with renegotiation (TLS 1.2 only)") { _ = try TLSContext(modernRenegotiation) }
        // The default is .intermediate, and each profile builds a context.
        try checkEqual(TLSConfiguration().securityProfile, .intermediate, "default profile")
        for p in TLSSecurityProfile.allCases {
            var c = pki.serverConfiguration()
            c.securityProfile = p
            _ = try TLSContext(c)
        }
    }
}
