import Foundation
import JSec
import Synchronization

/// OCSP stapling: our server staples, our client requests, reads and (when required) checks.
package enum TLSOCSP {
    package enum BadStaple: String, CaseIterable, Sendable {
        case revoked, unknown, expired, missing
        case wrongSigner = "wrong-signer"
        case otherCertificate = "other-certificate"
    }

    /// A DER OCSP response about `certificate` (default: the server leaf), signed by `signer` (default: the root).
    package static func response(
        _ status: OCSPCertificateStatus, for certificate: Certificate? = nil, signer: CertificateAuthority? = nil,
        thisUpdate: Date = Date(), validity: TimeInterval = 3600
    ) throws -> [UInt8] {
        let pki = TestPKI.shared
        let request = try OCSPRequest.create(for: certificate ?? pki.server.certificate, issuer: pki.root.certificate, includeNonce: false)
        return try (signer ?? pki.root).ocspResponse(
            to: request, status: status, includeNonce: false,
            thisUpdate: thisUpdate, validity: validity
        ).der
    }

    /// Connects a client that must be refused (category `.verification`): no pair, no waiting on an accept.
    static func refused(server: TLSConfiguration, client: TLSConfiguration, _ what: String) async throws -> JSecError {
        let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(server))
        let clientContext = try TLSContext(client)
        do {
            let e = try await checkThrowsJSec(.verification, what) {
                let s = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: "localhost", context: clientContext)
                await s.close()
            }
            await l.close()
            return e
        } catch {
            await l.close()
            throw error
        }
    }

    static func serverConfig(_ stapling: OCSPStapling?) -> TLSConfiguration {
        var c = TestPKI.shared.serverConfiguration()
        c.ocspStapling = stapling
        return c
    }

    static func clientConfig(_ policy: OCSPStatusPolicy) -> TLSConfiguration {
        var c = TestPKI.shared.clientConfiguration()
        c.ocspStatus = policy
        return c
    }

    /// A good, fresh staple passes `.require` on every transport; the client sees the exact bytes; data flows.
    package static func goodStaplePasses(_ transport: Transport) async throws {
        let der = try response(.good)
        try await withPair(transport, server: serverConfig(.response(der)), client: clientConfig(.require)) { pair in
            try checkEqual(pair.client.tls?.info.stapledOCSPResponse, der, "stapled response seen by the client")
            try checkEqual(pair.server.tls?.info.stapledOCSPResponse, nil, "server-side info")
            try await pair.client.write("ping")
            try checkEqual(try await pair.server.chunk(4, timeout: .seconds(5)), Array("ping".utf8), "data after the handshake")
        }
    }

    /// `.require` fails with `.verification` naming the cause for every kind of bad or missing staple.
    package static func clientRejects(_ bad: BadStaple, version: TLSVersion) async throws {
        let pki = TestPKI.shared
        let staple: [UInt8]?
        let expected: JSecError.Code.Reason
        switch bad {
        case .revoked: staple = try response(.revoked(at: Date().addingTimeInterval(-60), reason: .keyCompromise)); expected = .ocspRevoked
        case .unknown: staple = try response(.unknown); expected = .ocspStatusUnknown
        case .expired:
            staple = try response(.good, thisUpdate: Date().addingTimeInterval(-2 * 86_400), validity: 86_400); expected = .ocspExpired
        case .missing: staple = nil; expected = .ocspMissing
        case .wrongSigner: staple = try response(.good, signer: pki.otherRoot); expected = .ocspBadSignature
        case .otherCertificate: staple = try response(.good, for: pki.client.certificate); expected = .ocspNotForCertificate
        }
        var server = serverConfig(staple.map { .response($0) })
        server.minimumVersion = version
        server.maximumVersion = version
        let e = try await refused(server: server, client: clientConfig(.require), "client requiring OCSP against a \(bad.rawValue) staple")
        try checkEqual(e.code, .jsec(expected), "code names the cause (\(e))")
    }

    /// `.request` reports what was stapled (even a revoked one) without failing; no staple: nil.
    package static func requestOnlyReports() async throws {
        let revoked = try response(.revoked(at: Date(), reason: nil))
        try await withPair(.tlsTCP, server: serverConfig(.response(revoked)), client: clientConfig(.request)) { pair in
            try checkEqual(pair.client.tls?.info.stapledOCSPResponse, revoked, "stapled bytes with .request")
        }
        try await withPair(.tlsTCP, server: serverConfig(nil), client: clientConfig(.request)) { pair in
            try checkEqual(pair.client.tls?.info.stapledOCSPResponse, nil, "nothing stapled")
        }
        // A client that does not ask gets nothing, even from a stapling server.
        try await withPair(.tlsTCP, server: serverConfig(.response(revoked)), client: clientConfig(.off)) { pair in
            try checkEqual(pair.client.tls?.info.stapledOCSPResponse, nil, "not requested")
        }
    }

    /// The provider is called per handshake without a refresh interval, and once per interval with one.
    package static func providerRefresh() async throws {
        let der = try response(.good)
        for (interval, expectedCalls) in [(nil, 3), (Duration.seconds(600), 1)] as [(Duration?, Int)] {
            let calls = Atomic<Int>(0)
            let context = try TLSContext(
                serverConfig(
                    .provider(refreshInterval: interval) {
                        calls.add(1, ordering: .relaxed)
                        return der
                    }))
            let l = try await TLS.listen(host: "127.0.0.1", port: 0, context: context)
            let clientContext = try TLSContext(clientConfig(.require))
            for _ in 0..<3 {
                async let s = l.accept(timeout: .seconds(10))
                let c = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: "localhost", context: clientContext)
                try checkEqual(c.tls?.info.stapledOCSPResponse, der, "provider's staple")
                await c.close(); await (try await s).close()
            }
            await l.close()
            try checkEqual(calls.load(ordering: .relaxed), expectedCalls, "provider calls with refresh interval \(String(describing: interval))")
        }
    }

    /// Bad OCSP options fail when the context is built.
    package static func invalidOptionsRejected() async throws {
        try await checkThrowsJSec(.configuration, "garbage staple") { _ = try TLSContext(serverConfig(.response([1, 2, 3]))) }
        try await checkThrowsJSec(.configuration, "empty staple") { _ = try TLSContext(serverConfig(.response([]))) }
        try await checkThrowsJSec(.configuration, "zero refresh interval") {
            _ = try TLSContext(serverConfig(.provider(refreshInterval: .zero) { nil }))
        }
    }

    // MARK: - openssl peers

    /// Our client against `openssl s_server -status_file`: a good staple passes `.require`, a revoked one fails.
    package static func clientAgainstSServer(version: TLSVersion) async throws {
        let pki = TestPKI.shared
        let tag = UUID().uuidString.prefix(8)
        let cert = try TestPKI.writeTemp(pki.server.certificatePEM, name: "ocsp-cert-\(tag).pem")
        let key = try TestPKI.writeTemp(pki.server.privateKeyPEM, name: "ocsp-key-\(tag).pem")
        for revoked in [false, true] {
            let der = try response(revoked ? .revoked(at: Date(), reason: .keyCompromise) : .good)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("jsec-ocsp-\(tag)-\(revoked).der")
            try Data(der).write(to: file)
            let flag = version == .tls1_3 ? "-tls1_3" : "-tls1_2"
            let server = try PeerProcess(
                "openssl",
                [
                    "s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, flag,
                    "-status_file", file.path, "-naccept", "1", "-rev",
                ])
            defer { server.stop() }
            let port = Int(try await server.waitFor("ACCEPT 127\\.0\\.0\\.1:(\\d+)"))!
            let context = try TLSContext(clientConfig(.require))
            if revoked {
                let e = try await checkThrowsJSec(.verification, "revoked staple from s_server") {
                    _ = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context)
                }
                try checkEqual(e.code, .jsec(.ocspRevoked), "code (\(e))")
            } else {
                let s = try await TLS.connect(host: "127.0.0.1", port: port, serverName: "localhost", context: context)
                try checkEqual(s.tls?.info.stapledOCSPResponse, der, "staple from s_server")
                try await s.write("ocsp\n")
                var got: [UInt8] = []
                while !got.contains(UInt8(ascii: "\n")), let part = try await s.read(max: 100, timeout: .seconds(10)) { got += part }
                try checkEqual(String(decoding: got, as: UTF8.self), "psco\n", "s_server -rev reply")
                await s.close()
            }
        }
    }

    /// `openssl s_client -status` against our stapling server prints the response as successful and good.
    package static func sClientSeesStaple(version: TLSVersion) async throws {
        let der = try response(.good)
        var config = serverConfig(.response(der))
        config.minimumVersion = version
        config.maximumVersion = version
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(config))
        let accepted = Task { try await listener.accept(timeout: .seconds(10)) }
        let client = try PeerProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(listener.port!)", "-servername", "localhost", "-status"])
        defer { client.stop() }
        _ = try await client.waitFor("OCSP Response Status: successful")
        _ = try await client.waitFor("Cert Status: good")
        client.closeInput()
        await client.wait()
        if let s = try? await accepted.value { await s.close() }
        await listener.close()
    }
}
