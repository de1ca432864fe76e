import Foundation
import JSec
import Synchronization

/// Verification hooks: a custom callback, SPKI pinning and CRL checking.
package enum TLSVerificationHooks {
    /// The client's callback sees the verified chain (leaf first, up to the root) and accepts.
    package static func callbackSeesChainAndAccepts(_ transport: Transport) async throws {
        let pki = TestPKI.shared
        let seen = Mutex<[[UInt8]]>([])
        var client = pki.clientConfiguration()
        client.verificationCallback = { chain in
            seen.withLock { $0 = chain.map(\.der) }
            return .accept
        }
        try await withPair(transport, client: client) { pair in
            try await pair.client.write("ok")
            try checkEqual(try await pair.server.chunk(2, timeout: .seconds(5)), Array("ok".utf8), "data")
        }
        let chain = seen.withLock { $0 }
        try checkEqual(chain, [pki.server.certificate.der, pki.root.certificate.der], "chain given to the callback")
    }

    /// A rejecting callback fails the handshake with `.verification` and the reason (client side).
    package static func clientCallbackRejects() async throws {
        var client = TestPKI.shared.clientConfiguration()
        client.verificationCallback = { _ in .reject("serial 42 is on our deny list") }
        let e = try await TLSOCSP.refused(server: TestPKI.shared.serverConfiguration(), client: client, "client callback rejects")
        try checkEqual(e.code, .jsec(.rejectedByVerificationCallback), "code (\(e))")
        try checkEqual(e.message, "rejected by the verification callback: serial 42 is on our deny list", "message carries the reason")
    }

    /// A server's hooks judge client certificates (mTLS): the callback's rejection, or a pin mismatch,
    /// is a `.verification` error with the reason.
    package static func serverRejectsClient(hook: String, version: TLSVersion) async throws {
        let pki = TestPKI.shared
        var server = pki.serverConfiguration()
        server.clientAuthentication = .required
        server.minimumVersion = version
        server.maximumVersion = version
        let expected: JSecError.Code
        if hook == "pin" {
            server.pinnedPublicKeys = [pki.otherRoot.certificate.publicKeyPin]
            expected = .jsec(.pinMismatch)
        } else {
            server.verificationCallback = { chain in
                chain.first?.subjectName.commonName == "test-client" ? .reject("test-client is suspended") : .accept
            }
            expected = .jsec(.rejectedByVerificationCallback)
        }
        var client = pki.clientConfiguration()
        client.certificateChain = .certificates([pki.client.certificate])
        client.privateKey = .key(pki.client.privateKey)
        let serverContext = try TLSContext(server)
        let l = try await NetListener.listen(host: "127.0.0.1", port: 0)
        defer { Task { await l.close() } }
        let serverTask = Task { () throws -> JSecError in
            let plain = try await l.accept(timeout: .seconds(10))
            return try await checkThrowsJSec(.verification, "server rejects the client") {
                try await TLS.upgrade(plain, asServerWith: serverContext)
            }
        }
        do {
            let c = try await TLS.connect(host: "127.0.0.1", port: l.port!, serverName: "localhost", context: TLSContext(client))
            _ = try await c.read(max: 10, timeout: .seconds(10))  // TLS 1.3: the rejection arrives after the handshake
            await c.close()
        } catch is JSecError {}
        let e = try await serverTask.value
        try checkEqual(e.code, expected, "server's error code (\(e))")
        if hook != "pin" { try checkEqual(e.message, "rejected by the verification callback: test-client is suspended", "message") }
    }

    package enum PinCase: String, CaseIterable, Sendable {
        case leafBase64 = "leaf-base64", leafHex = "leaf-hex", root, wrong
        case selfSignedUnverified = "self-signed-unverified", wrongUnverified = "wrong-unverified"
    }

    /// SPKI pins: a pin of the leaf (base64 or hex) or of the root passes; no match is `.verification`,
    /// also with chain verification off.
    package static func pinning(_ pin: PinCase) async throws {
        let pki = TestPKI.shared
        var client = pki.clientConfiguration()
        var server = pki.serverConfiguration()
        let shouldPass: Bool
        switch pin {
        case .leafBase64: client.pinnedPublicKeys = ["sha256/" + pki.server.certificate.publicKeyPin]; shouldPass = true
        case .leafHex:
            let hex = try Base64.decode(pki.server.certificate.publicKeyPin).map { String(format: "%02x", $0) }.joined()
            client.pinnedPublicKeys = [hex]; shouldPass = true
        case .root: client.pinnedPublicKeys = [pki.root.certificate.publicKeyPin, pki.otherRoot.certificate.publicKeyPin]; shouldPass = true
        case .wrong: client.pinnedPublicKeys = [pki.otherRoot.certificate.publicKeyPin]; shouldPass = false
        case .selfSignedUnverified, .wrongUnverified:
            server = pki.serverConfiguration(pki.selfSigned)
            client = .client(verification: .none)
            client.pinnedPublicKeys = [(pin == .wrongUnverified ? pki.server : pki.selfSigned).certificate.publicKeyPin]
            shouldPass = pin == .selfSignedUnverified
        }
        if shouldPass {
            try await withPair(.tlsTCP, server: server, client: client) { pair in
                try await pair.server.write("pinned")
                try checkEqual(try await pair.client.chunk(6, timeout: .seconds(5)), Array("pinned".utf8), "data")
            }
        } else {
            let e = try await TLSOCSP.refused(server: server, client: client, "pin mismatch (\(pin.rawValue))")
            try checkEqual(e.code, .jsec(.pinMismatch), "code (\(e))")
        }
    }

    /// CRL checking: a revoked leaf fails with "certificate revoked" (CRL objects, PEM text or a file);
    /// a leaf the CRL does not list passes.
    package static func crl(source: String) async throws {
        let ca = try CertificateAuthority.createRoot(commonName: "JSec CRL Test Root")
        let request = CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server)
        let good = try ca.issue(request)
        let revoked = try ca.issue(request)
        try ca.revoke(revoked.certificate, reason: .keyCompromise)
        let list = try ca.generateCRL()
        var client = TLSConfiguration.client(trustRoots: .certificates([ca.certificate]))
        switch source {
        case "objects": client.certificateRevocationLists = [.crls([list])]
        case "pem": client.certificateRevocationLists = [.pem(list.pem)]
        default: client.certificateRevocationLists = [.file(try TestPKI.writeTemp(list.pem, name: "crl-\(UUID().uuidString.prefix(8)).pem"))]
        }
        let server = { (id: CertificateAndKey) in TLSConfiguration.server(id, trustRoots: .certificates([ca.certificate])) }
        let e = try await TLSOCSP.refused(server: server(revoked), client: client, "revoked leaf with a CRL (\(source))")
        try checkEqual(e.code, .certificate(.certificateRevoked), "code (\(e))")
        try await withPair(.tlsTCP, server: server(good), client: client) { pair in
            try await pair.client.write("crl")
            try checkEqual(try await pair.server.chunk(3, timeout: .seconds(5)), Array("crl".utf8), "data with a good leaf")
        }
    }

    /// Bad hook options fail when the context is built.
    package static func invalidOptionsRejected() async throws {
        var c = TestPKI.shared.clientConfiguration()
        c.pinnedPublicKeys = ["not-a-pin"]
        try await checkThrowsJSec(.configuration, "bad pin") { _ = try TLSContext(c) }
        c.pinnedPublicKeys = [Base64.encode([UInt8](repeating: 1, count: 20))]
        try await checkThrowsJSec(.configuration, "pin of the wrong length") { _ = try TLSContext(c) }
        c.pinnedPublicKeys = []
        c.certificateRevocationLists = [.file("/nonexistent/crl.pem")]
        try await checkThrowsJSec(.configuration, "missing CRL file") { _ = try TLSContext(c) }
        c.certificateRevocationLists = [.pem("-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n")]
        try await checkThrowsJSec(.configuration, "garbage CRL") { _ = try TLSContext(c) }
        c.certificateRevocationLists = [.pem("no crl here")]
        try await checkThrowsJSec(.configuration, "text without a CRL") { _ = try TLSContext(c) }
    }
}
