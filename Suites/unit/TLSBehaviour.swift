import Foundation
import JSec

/// TLS-specific behaviour: upgrade without loss, verification failures, versions,
/// configuration errors, ALPN, SNI, mTLS and connection info.
package enum TLSBehaviour {
    // MARK: - STARTTLS

    /// The TLS client's first bytes arrive together with the last plaintext line: nothing is lost.
    /// `clientIsAcceptor` swaps which side of the TCP connection speaks TLS first.
    package static func upgradeWithCoalescedBytes(clientIsAcceptor: Bool) async throws {
        let pki = TestPKI.shared
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await l.close() } }
        async let accepted = l.accept(timeout: .seconds(10))
        let connector = try await NetStream.connect(host: "127.0.0.1", port: l.port!)
        let acceptor = try await accepted
        let (tlsClient, tlsServer) = clientIsAcceptor ? (acceptor, connector) : (connector, acceptor)
        let clientContext = try TLSContext(pki.clientConfiguration())
        let serverContext = try TLSContext(pki.serverConfiguration())
        // The TLS client writes its last plaintext line and starts TLS at once: the ClientHello
        // follows the line in the same flight.
        try await tlsClient.write("STARTTLS\r\n")
        async let clientSide = TLS.upgrade(tlsClient, asClientOf: "localhost", context: clientContext)
        // The server reads only the line, after both have arrived, then upgrades.
        try await Task.sleep(for: .milliseconds(200))
        let line = try await tlsServer.chunk(10, timeout: .seconds(5))
        try checkEqual(String(decoding: line, as: UTF8.self), "STARTTLS\r\n", "plaintext line")
        try await TLS.upgrade(tlsServer, asServerWith: serverContext)
        _ = try await clientSide
        let data = pattern(70_000, seed: 9)
        try await tlsClient.write(data)
        try check(try await tlsServer.chunk(data.count, timeout: .seconds(10)) == data, "data after the upgrade differs")
        try await tlsServer.write("done")
        try checkEqual(String(decoding: try await tlsClient.chunk(4, timeout: .seconds(10)), as: UTF8.self), "done", "reply")
        await tlsClient.close(); await tlsServer.close()
    }

    // MARK: - Connecting

    /// `TLS.connect` by an IPv4 literal, an IPv6 literal (both connected to directly, no resolver) and a name
    /// (through NIO's resolver): the handshake runs, data flows both ways, the addresses are the ones asked for.
    package static func connectsByLiteralAndName() async throws {
        let pki = TestPKI.shared
        let clientContext = try TLSContext(pki.clientConfiguration())
        let serverContext = try TLSContext(pki.serverConfiguration())
        for (listenOn, connectTo, address) in [("127.0.0.1", "127.0.0.1", "127.0.0.1"), ("::1", "::1", "::1"), ("127.0.0.1", "localhost", "127.0.0.1")] {
            let l = try await TLS.listen(host: listenOn, port: 0, context: serverContext)
            async let accepted = l.accept(timeout: .seconds(10))
            let c = try await TLS.connect(host: connectTo, port: l.port!, serverName: "localhost", context: clientContext, timeout: .seconds(10))
            let s = try await accepted
            try checkEqual(c.remoteAddress, .ip(host: address, port: l.port!), "\(connectTo): the address connected to")
            try checkEqual(c.tls?.info.tlsVersion, .tls1_3, "\(connectTo): negotiated version")
            try await c.write("ping")
            try checkEqual(String(decoding: try await s.chunk(4, timeout: .seconds(10)), as: UTF8.self), "ping", "\(connectTo): client to server")
            try await s.write("pong")
            try checkEqual(String(decoding: try await c.chunk(4, timeout: .seconds(10)), as: UTF8.self), "pong", "\(connectTo): server to client")
            await c.close(); await s.close(); await l.close()
        }
    }

    // MARK: - Verification

    package enum BadServer: String, CaseIterable, Sendable {
        case untrustedSelfSigned = "untrusted-self-signed"
        case wrongHostname = "wrong-hostname"
        case expired
        case otherCA = "other-ca"
    }

    /// The client refuses the server with a `.verification` error whose message names the cause.
    package static func clientRejects(_ bad: BadServer) async throws {
        let pki = TestPKI.shared
        var clientConfig = pki.clientConfiguration()
        var identity = pki.server
        var host = "localhost"
        let expected: String
        switch bad {
        case .untrustedSelfSigned:
            identity = pki.selfSigned
            clientConfig = .client()  // the system trust store does not know it
            expected = "self-signed certificate"
        case .wrongHostname:
            host = "not-this-host.example"
            expected = "is not for 'not-this-host.example'"
        case .expired:
            identity = pki.expiredServer
            expected = "certificate has expired"
        case .otherCA:
            identity = pki.serverFromOtherCA
            expected = "unable to get local issuer certificate"
        }
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(pki.serverConfiguration(identity)))
        defer { Task { await l.close() } }
        let e = try await checkThrowsJSec(.verification, "connect to a \(bad.rawValue) server") {
            _ = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: host, context: TLSContext(clientConfig))
        }
        try check(e.message.lowercased().contains(expected.lowercased()), "message should name the cause '\(expected)': \(e.message)")
    }

    /// A server that requires client certificates rejects a client without one (server side:
    /// `.verification`; the client learns it at the handshake or its first read).
    package static func missingClientCertificate(version: TLSVersion) async throws {
        let pki = TestPKI.shared
        var serverConfig = pki.serverConfiguration()
        serverConfig.clientAuthentication = .required
        serverConfig.maximumVersion = version
        serverConfig.minimumVersion = version
        let serverContext = try TLSContext(serverConfig)
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await l.close() } }
        let serverTask = Task { () throws -> JSecError in
            let plain = try await l.accept(timeout: .seconds(10))
            return try await checkThrowsJSec(.verification, "server handshake without a client certificate") {
                try await TLS.upgrade(plain, asServerWith: serverContext)
            }
        }
        do {
            let c = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: "localhost", context: TLSContext(pki.clientConfiguration()))
            _ = try await c.read(max: 10, timeout: .seconds(10))  // TLS 1.3: the rejection arrives after the handshake
            await c.close()
            throw CheckFailure(message: "the client was not told it was rejected", file: #fileID, line: #line)
        } catch let e as JSecError {
            try checkEqual(e.category, .verification, "client-side error (\(e))")
            try checkEqual(e.code, .jsec(.clientCertificateNotConfigured), "client-side code (\(e))")
        }
        let serverError = try await serverTask.value
        try checkEqual(serverError.code, .peerDidNotReturnCertificate, "server-side code (\(serverError))")
    }

    /// mTLS succeeds with a client certificate from the trusted CA, and each side sees the other's.
    package static func mutualTLS(_ transport: Transport) async throws {
        let pki = TestPKI.shared
        var server = pki.serverConfiguration()
        server.clientAuthentication = .required
        var client = pki.clientConfiguration()
        client.certificateChain = .certificates([pki.client.certificate])
        client.privateKey = .key(pki.client.privateKey)
        try await withPair(transport, server: server, client: client) { pair in
            // In the reversed upgrade the connecting side is the TLS server.
            let (tlsServer, tlsClient) = transport == .upgradedReversed ? (pair.client, pair.server) : (pair.server, pair.client)
            try checkEqual(tlsServer.tls?.info.peerCertificates.first?.commonName, "test-client", "server sees the client certificate")
            try checkEqual(tlsClient.tls?.info.peerCertificates.first?.commonName, "localhost", "client sees the server certificate")
            try await pair.client.write("mtls")
            try checkEqual(try await pair.server.chunk(4), Array("mtls".utf8), "data over mTLS")
        }
    }

    /// A server presenting leaf + intermediate from our CA is accepted by a client that trusts only
    /// the root; a client that is not sent the intermediate cannot build the chain.
    package static func intermediateChain() async throws {
        let pki = TestPKI.shared
        let intermediate = try pki.root.createIntermediate(commonName: "JSec Test Intermediate")
        let leaf = try intermediate.issue(
            CertificateRequest(
                commonName: "localhost", dnsNames: ["localhost"],
                ipAddresses: ["127.0.0.1"], usage: .server))
        let full = TLSConfiguration.server(
            certificateChain: .certificates([leaf.certificate, intermediate.certificate]),
            privateKey: .key(leaf.privateKey))
        // The client trusts the root only (no partial-chain shortcut: the root is the anchor).
        try await withPair(.tlsTCP, server: full) { pair in
            let chain = pair.client.tls?.info.peerCertificates.map { $0.commonName ?? "?" } ?? []
            try checkEqual(chain, ["localhost", "JSec Test Intermediate"], "chain the server sent")
            try await pair.client.write("via intermediate")
            try checkEqual(try await pair.server.chunk(16), Array("via intermediate".utf8), "data")
        }
        let leafOnly = TLSConfiguration.server(certificateChain: .certificates([leaf.certificate]), privateKey: .key(leaf.privateKey))
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(leafOnly))
        defer { Task { await l.close() } }
        let e = try await checkThrowsJSec(.verification, "leaf without its intermediate") {
            _ = try await TLS.connect(host: "127.0.0.1", port: l.port!, context: TLSContext(pki.clientConfiguration()))
        }
        try checkEqual(e.code, .certificate(.unableToGetLocalIssuerCertificate), "code (\(e))")
    }

    // MARK: - Versions, ciphers, info

    /// Pinning a version negotiates exactly that version, and the info reports it with cipher and key type.
    package static func negotiatesRequestedVersion(_ version: TLSVersion, keyType: KeyType) async throws {
        let pki = try await TestPKI.perKeyType.value(for: keyType)
        var server = pki.serverConfiguration()
        server.minimumVersion = version
        server.maximumVersion = version
        try await withPair(.tlsTCP, pki: pki, server: server) { pair in
            let info = try pair.client.tls.map(\.info) ?? { throw CheckFailure(message: "no TLS info", file: #fileID, line: #line) }()
            try checkEqual(info.version, .tls(version), "negotiated version")
            try checkEqual(pair.server.tls?.version, .tls(version), "server's view of the version")
            try check(!info.cipher.isEmpty && info.cipherBits >= 128, "cipher \(info.cipher) with \(info.cipherBits) bits")
            let expectedKey = keyType == .ed25519 ? "ED25519" : keyType == .ecP256 ? "EC" : "RSA"
            try checkEqual(info.peerCertificates.first?.publicKeyAlgorithm, expectedKey, "server key type")
            try checkEqual(pair.server.tls?.info.localCertificateKeyType, expectedKey, "server's own key type")
            try check(info.handshakeDuration > .zero, "handshake duration is measured")
            try checkEqual(info.serverName, nil, "no SNI is sent for an IP literal (RFC 6066)")
            try checkEqual(
                info.peerCertificateChainDER.first.map { try Certificate(der: $0).sha256Fingerprint },
                try pki.server.certificate.sha256Fingerprint, "peer chain DER round trip")
        }
    }

    /// A chosen TLS 1.3 suite and TLS 1.2 cipher are the ones negotiated.
    package static func negotiatesRequestedCipher() async throws {
        var server = TestPKI.shared.serverConfiguration()
        server.cipherSuites = "TLS_CHACHA20_POLY1305_SHA256"
        try await withPair(.tlsTCP, server: server) { pair in
            try checkEqual(pair.client.tls?.cipher, "TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3 suite")
        }
        var server12 = TestPKI.shared.serverConfiguration()
        server12.maximumVersion = .tls1_2
        server12.cipherList = "ECDHE-ECDSA-AES256-GCM-SHA384"
        try await withPair(.tlsTCP, server: server12) { pair in
            try checkEqual(pair.client.tls?.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS 1.2 cipher")
            try checkEqual(pair.client.tls?.version, .tls(.tls1_2), "version")
        }
    }

    /// ALPN: the server picks its most preferred protocol the client offers; both sides see it.
    package static func alpn() async throws {
        var server = TestPKI.shared.serverConfiguration()
        server.applicationProtocols = ["h2", "http/1.1"]
        var client = TestPKI.shared.clientConfiguration()
        client.applicationProtocols = ["http/1.1", "h2"]
        try await withPair(.tlsTCP, server: server, client: client) { pair in
            try checkEqual(pair.client.tls?.alpn, "h2", "client's view")
            try checkEqual(pair.server.tls?.alpn, "h2", "server's view")
        }
        client.applicationProtocols = ["imap"]
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        defer { Task { await l.close() } }
        try await checkThrowsJSec(.handshake, "no common ALPN protocol") {
            _ = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: "localhost", context: TLSContext(client))
        }
    }

    /// SNI: a server with several certificates presents the one for the requested name.
    package static func sniSelectsCertificate() async throws {
        let pki = TestPKI.shared
        let other = try pki.root.issue(CertificateRequest(commonName: "api.example.test", dnsNames: ["api.example.test"], usage: .server))
        let wildcard = try pki.root.issue(CertificateRequest(commonName: "*.wild.test", dnsNames: ["*.wild.test"], usage: .server))
        var server = pki.serverConfiguration()
        server.sniCertificates = [
            SNICertificate(serverName: "api.example.test", certificateChain: .certificates([other.certificate]), privateKey: .key(other.privateKey)),
            SNICertificate(serverName: "*.wild.test", certificateChain: .certificates([wildcard.certificate]), privateKey: .key(wildcard.privateKey)),
        ]
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        defer { Task { await l.close() } }
        let clientContext = try TLSContext(pki.clientConfiguration())
        for (name, cn) in [("api.example.test", "api.example.test"), ("x.wild.test", "*.wild.test"), ("localhost", "localhost")] {
            async let s = l.accept(timeout: .seconds(10))
            let c = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: name, context: clientContext)
            let srv = try await s
            try checkEqual(c.tls?.info.peerCertificates.first?.commonName, cn, "certificate for SNI \(name)")
            try checkEqual(srv.tls?.info.serverName, name, "server sees SNI")
            await c.close(); await srv.close()
        }
    }

    /// Bad options are configuration errors when the context is built, with the code of their class, naming the bad value.
    package static func invalidConfigurationIsRejected() async throws {
        // `code` nil: OpenSSL decided, and the code is one of its (any library and reason).
        func expectBad(_ what: String, naming: String, code: JSecError.Code?, _ edit: (inout TLSConfiguration) -> Void) throws {
            var c = TestPKI.shared.serverConfiguration()
            edit(&c)
            do {
                _ = try TLSContext(c)
                throw CheckFailure(message: "\(what) was accepted", file: #fileID, line: #line)
            } catch let e as JSecError {
                try checkEqual(e.category, .configuration, what)
                if let code {
                    try checkEqual(e.code, code, "\(what): code (\(e))")
                } else {
                    try check(e.code.openSSLLibrary != nil, "\(what): OpenSSL's code, got \(e.code) (\(e))")
                }
                // And the message names the value the program got wrong.
                try check(e.message.contains(naming), "\(what): message should name '\(naming)': \(e.message)")
            }
        }
        try expectBad("unknown TLS 1.2 cipher", naming: "NOT-A-CIPHER", code: .jsec(.unknownName)) {
            $0.cipherList = "ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER"
        }
        try expectBad("unknown TLS 1.3 suite", naming: "TLS_FAKE", code: .jsec(.unknownName)) { $0.cipherSuites = "TLS_AES_128_GCM_SHA256:TLS_FAKE" }
        try expectBad("unknown group", naming: "P-999", code: .jsec(.unknownName)) { $0.groups = "X25519:P-999" }
        try expectBad("min above max", naming: "above", code: .jsec(.conflictingOptions)) {
            $0.minimumVersion = .tls1_3; $0.maximumVersion = .tls1_2
        }
        // OpenSSL decided: its code (ERR_LIB_X509 11, X509_R_KEY_VALUES_MISMATCH 116).
        try expectBad("mismatched key", naming: "does not match", code: .openSSL(library: 11, reason: 116)) {
            $0.privateKey = .key(TestPKI.shared.client.privateKey)
        }
        try expectBad("garbage certificate PEM", naming: "certificate", code: .jsec(.malformedInput)) {
            $0.certificateChain = .pem("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
        }
        try expectBad("garbage key PEM", naming: "private key", code: nil) { $0.privateKey = .pem("hello") }
        try expectBad("missing trust file", naming: "/nonexistent", code: .errno(ENOENT)) { $0.trustRoots = .file("/nonexistent/ca.pem") }
        try expectBad("empty ALPN name", naming: "ALPN", code: .jsec(.invalidOption)) { $0.applicationProtocols = [""] }
        do { _ = try TLSVersion(parsing: "1.1"); throw CheckFailure(message: "TLS 1.1 accepted", file: #fileID, line: #line) } catch let e as JSecError {
            try checkEqual(e.category, .configuration, "TLS 1.1")
            try checkEqual(e.code, .jsec(.unsupportedAlgorithm), "TLS 1.1's code (\(e))")
        }
        // A client without a server name cannot verify the hostname.
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(TestPKI.shared.serverConfiguration()))
        defer { Task { await l.close() } }
        let noName = try await checkThrowsJSec(.configuration, "unix connect without a server name") {
            let s = try await NetStream.connect(host: "127.0.0.1", port: l.port!)
            defer { Task { await s.close() } }
            try await TLS.upgrade(s, asClientOf: nil, context: TLSContext(TestPKI.shared.clientConfiguration()))
        }
        try checkEqual(noName.code, .jsec(.missingOption), "code (\(noName))")
    }
}
