import Testing
import JSecCrypto
import Foundation

/// Cross-checks against other implementations (the openssl CLI, Python). The known-answer vectors
/// (FIPS, RFC, NIST) have one home, the `unit/crypto-*` Assay suites (Suites/unit/Crypto*.swift), which
/// CI also runs under AddressSanitizer and tools/valgrind runs under memcheck (docs/testing.md).
@Suite struct SignatureTests {
    static let cases: [(KeyType, SignatureOptions)] = [
        (.rsa2048, .default), (.rsa2048, SignatureOptions(digest: .sha512)), (.rsa2048, .rsaPSS),
        (.rsa2048, SignatureOptions(digest: .sha384, rsaPadding: .pss)),
        (.ecP256, .default), (.ecP384, SignatureOptions(digest: .sha384)), (.ecP521, SignatureOptions(digest: .sha512)),
        (.ed25519, .default),
    ]

    @Test func signVerifyAndTamper() throws {
        let msg = bytes("the message")
        for (t, o) in Self.cases {
            let k = try PrivateKey.generate(t)
            let sig = try k.sign(msg, options: o)
            #expect(try k.publicKey.verify(sig, for: msg, options: o), "\(t) \(o)")
            #expect(try !k.publicKey.verify(sig, for: bytes("the messagE"), options: o))
            var bad = sig; bad[bad.count / 2] ^= 1
            #expect(try !k.publicKey.verify(bad, for: msg, options: o))
            #expect(try !k.publicKey.verify([UInt8](), for: msg, options: o))
            #expect(try !k.publicKey.verify(Array(sig.prefix(5)), for: msg, options: o))
            #expect(try !(try PrivateKey.generate(t)).publicKey.verify(sig, for: msg, options: o))
        }
        #expect(throws: JSecError.self) { try PrivateKey.generate(.x25519).sign(msg) }
    }

    /// What we sign openssl verifies, and what openssl signs we verify.
    @Test func crossCheckWithOpenSSL() throws {
        let dir = try TempDir()
        let data = try dir.write("data", try SecureRandom.bytes(3000))
        let msg = try dir.read("data")
        for (t, o) in Self.cases {
            let k = try PrivateKey.generate(t)
            let keyFile = try dir.write("key.pem", k.pem)
            let pubFile = try dir.write("pub.pem", k.publicKeyPEM)
            try dir.write("sig", try k.sign(msg, options: o))
            var pss: [String] = []
            if case .rsa = t, o.rsaPadding == .pss { pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] }
            let verifyArgs: [String], signArgs: [String]
            if t == .ed25519 {
                verifyArgs = ["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pubFile, "-in", data, "-sigfile", dir.path("sig")]
                signArgs = ["pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", data, "-out", dir.path("theirs")]
            } else {
                verifyArgs = ["dgst", "-\(o.digest.description)", "-verify", pubFile] + pss + ["-signature", dir.path("sig"), data]
                signArgs = ["dgst", "-\(o.digest.description)", "-sign", keyFile] + pss + ["-out", dir.path("theirs"), data]
            }
            let v = try Peer.openssl(verifyArgs)
            #expect(v.status == 0 && v.text.contains("Verified"), "openssl verifies our \(t) \(o): \(v.text) \(v.stderr)")
            let s = try Peer.openssl(signArgs)
            #expect(s.status == 0, "\(s.stderr)")
            #expect(try k.publicKey.verify(try dir.read("theirs"), for: msg, options: o), "we verify openssl's \(t) \(o)")
        }
    }

    @Test func crossCheckWithPython() throws {
        let k = try PrivateKey.generate(.ecP256)
        let msg = bytes("python cross-check")
        let sig = try k.sign(msg)
        let script = """
            import sys
            from cryptography.hazmat.primitives import hashes, serialization as s
            from cryptography.hazmat.primitives.asymmetric import ec
            pub = s.load_pem_public_key(sys.argv[1].encode())
            pub.verify(bytes.fromhex(sys.argv[2]), sys.argv[3].encode(), ec.ECDSA(hashes.SHA256()))
            priv = ec.generate_private_key(ec.SECP256R1())
            print(priv.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode())
            print(priv.sign(b"from python", ec.ECDSA(hashes.SHA256())).hex())
            """
        let r = try Peer.python(script, [k.publicKeyPEM, sig.hexString, "python cross-check"])
        #expect(r.status == 0, "python verifies our ECDSA: \(r.stderr)")
        let parts = r.text.components(separatedBy: "-----END PUBLIC KEY-----")
        let pub = try PublicKey(pem: parts[0] + "-----END PUBLIC KEY-----\n")
        #expect(try pub.verify(hex(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)), for: bytes("from python")))
    }

    @Test func rsaOAEP() throws {
        let k = try PrivateKey.generate(.rsa2048)
        #expect(try RSAEncryption.maximumPlaintextLength(for: k.publicKey) == 256 - 66)
        #expect(try RSAEncryption.maximumPlaintextLength(for: k.publicKey, padding: .oaep(.sha1)) == 256 - 42)
        #expect(try RSAEncryption.maximumPlaintextLength(for: k.publicKey, padding: .pkcs1) == 245)
        for padding in [RSAEncryptionPadding.oaepSHA256, .oaep(.sha1), .oaep(.sha512), .pkcs1] {
            let max = try RSAEncryption.maximumPlaintextLength(for: k.publicKey, padding: padding)
            let pt = try SecureRandom.bytes(max)
            let ct = try RSAEncryption.encrypt(pt, for: k.publicKey, padding: padding)
            #expect(try RSAEncryption.decrypt(ct, with: k, padding: padding) == pt)
            #expect(throws: JSecError.self) { try RSAEncryption.encrypt(pt + [0], for: k.publicKey, padding: padding) }
        }
        let ct = try RSAEncryption.encrypt(bytes("hi"), for: k.publicKey)
        #expect(throws: JSecError.self) { try RSAEncryption.decrypt(ct, with: try PrivateKey.generate(.rsa2048)) }
        #expect(throws: JSecError.self) { try RSAEncryption.encrypt(bytes("hi"), for: try PrivateKey.generate(.ecP256).publicKey) }
        // Python decrypts ours and encrypts for us.
        let script = """
            import sys
            from cryptography.hazmat.primitives import hashes, serialization as s
            from cryptography.hazmat.primitives.asymmetric import padding as p
            key = s.load_pem_private_key(sys.argv[1].encode(), None)
            pad = p.OAEP(p.MGF1(hashes.SHA256()), hashes.SHA256(), None)
            print(key.decrypt(bytes.fromhex(sys.argv[2]), pad).decode())
            print(key.public_key().encrypt(b"from python", pad).hex())
            """
        let r = try Peer.python(script, [k.pem, ct.hexString])
        let lines = r.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "hi", "\(r.stderr)")
        #expect(try RSAEncryption.decrypt(hex(lines.last ?? ""), with: k) == bytes("from python"))
    }
}
