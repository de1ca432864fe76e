import CJSecOpenSSL
import Foundation
import Testing
import JSecCrypto

@Suite struct HygieneTests {
    /// No call leaves entries in this thread's OpenSSL error queue, whether it succeeds or fails
    /// (an entry left behind would be blamed on an unrelated later call).
    @Test func errorQueueIsEmptyAfterEveryCall() throws {
        ERR_clear_error()
        let key = try PrivateKey.generate(.ecP256)
        let pki = try TestPKI()
        let calls: [(String, () throws -> Void)] = [
            ("bad PEM key", { _ = try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }),
            ("wrong password", { _ = try PrivateKey(pem: try key.pem(password: "a"), password: "b") }),
            ("bad DER cert", { _ = try Certificate(der: [0x30, 0x82, 0x01]) }),
            ("bad PEM chain", { _ = try Certificate.chain(pem: "nothing here") }),
            ("good PEM chain", { _ = try Certificate.chain(pem: pki.leaf.certificate.pem + pki.intermediate.certificate.pem) }),
            ("bad signature", { _ = try key.publicKey.verify([0x30, 0x02, 0x01, 0x00], for: [1]) }),
            (
                "AEAD tamper",
                {
                    _ = try AEAD.open(
                        .aes128GCM, key: [UInt8](repeating: 0, count: 16), nonce: [UInt8](repeating: 0, count: 12), ciphertext: [1],
                        tag: [UInt8](repeating: 0, count: 16))
                }
            ),
            ("OAEP wrong key", { _ = try RSAEncryption.decrypt([UInt8](repeating: 1, count: 256), with: try PrivateKey.generate(.rsa2048)) }),
            ("self-signed check", { _ = pki.leaf.certificate.isSelfSigned }),
            ("chain fail", { _ = try CertificateVerifier.verify(pki.leaf.certificate, roots: [pki.root.certificate]) }),
            ("CMS bad", { _ = try CMS.verify([0x30, 0x03, 0x02, 0x01, 0x01]) }),
            (
                "PKCS12 wrong pw",
                { _ = try PKCS12.parse(try PKCS12.create(certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey, password: "x"), password: "y") }
            ),
            ("EC bad point", { _ = try EllipticCurve(.p256).add([4] + [UInt8](repeating: 1, count: 64), [4] + [UInt8](repeating: 2, count: 64)) }),
            ("CSR SANs", { _ = try CertificateSigningRequest.generate(key: key, subject: DistinguishedName(commonName: "x")).subjectAltNames }),
            (
                "key info",
                {
                    _ = key.info; _ = pki.leaf.certificate.publicKeyInfo
                }
            ),
        ]
        for (name, call) in calls {
            _ = try? call()
            #expect(ERR_peek_error() == 0, "\(name) left an OpenSSL error behind")
            ERR_clear_error()
        }
    }

    /// `OpenSSLErrorQueue.clear()` empties a queue that holds entries (it looks before it clears: the queue is
    /// usually empty, and clearing an empty one costs more than looking).
    @Test func clearEmptiesAQueueThatHoldsEntries() {
        ERR_clear_error()
        let bad: [UInt8] = [0x30, 0x82, 0x01]
        bad.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            if let x = d2i_X509(nil, &p, buf.count) { X509_free(x) }
        }
        #expect(ERR_peek_error() != 0, "a failed parse leaves an entry to clear")
        OpenSSLErrorQueue.clear()
        #expect(ERR_peek_error() == 0, "clear emptied it")
        OpenSSLErrorQueue.clear()
        #expect(ERR_peek_error() == 0, "an empty queue stays empty")
    }

    /// Keys, certificates and CAs are Sendable and usable from many tasks at once.
    @Test func concurrentUse() async throws {
        let key = try PrivateKey.generate(.ecP256)
        let ca = try CertificateAuthority.createRoot(serial: 1)
        let serials = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<32 {
                group.addTask {
                    let msg = Array("message \(i)".utf8)
                    let sig = try key.sign(msg)
                    guard try key.publicKey.verify(sig, for: msg) else {
                        throw JSecError(.crypto, "verify failed in task \(i)", code: .jsec(.signatureInvalid))
                    }
                    _ = try Digest.hash(.sha256, msg)
                    return try ca.issue(CertificateRequest(commonName: "t\(i)")).certificate.serialNumberHex
                }
            }
            var all: [String] = []
            for try await s in group { all.append(s) }
            return all
        }
        #expect(Set(serials).count == 32, "sequential serials are unique under concurrency")
        #expect(ca.nextSerial == 33)
    }
}
