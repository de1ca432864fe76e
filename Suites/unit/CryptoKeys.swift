import JSec

/// Keys (generation, PEM/DER, encrypted PKCS#8, raw), signatures, RSA encryption, ECDH and EC
/// points: known answers where a standard gives them, round trips and typed errors otherwise.
enum CryptoKeys {
    /// One RSA key per process (generation is slow in debug and sanitizer builds).
    static let rsa: PrivateKey = {
        do { return try PrivateKey.generate(.rsa2048) } catch { fatalError("RSA key generation failed: \(error)") }
    }()

    static func keys(_ type: KeyType) throws -> PrivateKey {
        if case .rsa = type { return rsa }
        return try PrivateKey.generate(type)
    }

    /// Generate, export and re-import in every encoding; info; bad PEM/DER/password.
    static func roundTrips(_ type: KeyType) throws {
        let key = try keys(type)
        let info = key.info
        try check(info.isPrivate && !info.encrypted, "private, unencrypted: \(info)")
        try checkEqual(try PrivateKey(pem: key.pem).der, key.der, "PEM round trip")
        try checkEqual(try PrivateKey(der: key.der).pem, key.pem, "DER round trip")
        try checkEqual(try PrivateKey(bytes: Array(key.pem.utf8)).der, key.der, "detected PEM")
        try checkEqual(FormatDetector.detect(Array(key.pem.utf8)), .pem, "PEM detected")
        try checkEqual(FormatDetector.detect(key.der), .der, "DER detected")
        for cipher in KeyEncryptionCipher.allCases {
            let encPEM = try key.pem(password: "secret", cipher: cipher)
            try check(encPEM.contains("ENCRYPTED PRIVATE KEY"), "encrypted PEM")
            try checkEqual(try PrivateKey(pem: encPEM, password: "secret").der, key.der, "encrypted PEM \(cipher)")
            try checkEqual(try PrivateKey.info(of: Array(encPEM.utf8), password: "secret").encrypted, true, "info sees encryption")
            try checkThrowsJSecSync(.crypto, "info of an encrypted key without the password") { _ = try PrivateKey.info(of: Array(encPEM.utf8)) }
            try checkThrowsJSecSync(.crypto, "wrong password (\(cipher))") { _ = try PrivateKey(pem: encPEM, password: "wrong") }
            let encDER = try key.der(password: "secret", cipher: cipher)
            try checkEqual(try PrivateKey(der: encDER, password: "secret").der, key.der, "encrypted DER \(cipher)")
        }
        for format in KeyFormat.allCases {
            let out = try PrivateKey.convert(Array(key.pem.utf8), to: format, newPassword: "pw")
            try checkEqual(try PrivateKey(bytes: out, password: "pw").der, try key.der, "convert to \(format)")
            try checkEqual(try key.export(format), format == .pem ? Array(try key.pem.utf8) : try key.der, "export \(format)")
        }
        let pub = try key.publicKey
        try check(key.matches(pub) && !key.matches(try PrivateKey.generate(.ecP256).publicKey), "matches")
        try checkEqual(try PublicKey(pem: key.publicKeyPEM), pub, "public PEM")
        try checkEqual(try PublicKey(der: key.publicKeyDER), pub, "public DER")
        try checkEqual(try pub.pem, try key.publicKeyPEM, "public PEM encodings agree")
        try checkEqual(try pub.der, try key.publicKeyDER, "public DER encodings agree")
        try checkEqual(pub.algorithm, key.algorithm, "algorithm")
        try checkEqual(pub.bits, key.bits, "bits")
        try check(!pub.info.isPrivate, "public info")
        var badDER = try key.der; badDER[badDER.count / 2] ^= 0xff; badDER.removeLast(3)
        try checkThrowsJSecSync(.crypto, "truncated DER") { _ = try PrivateKey(der: badDER) }
        try checkThrowsJSecSync(.crypto, "empty DER") { _ = try PrivateKey(der: []) }
        try checkThrowsJSecSync(.crypto, "public key DER as private") { _ = try PrivateKey(der: key.publicKeyDER) }
        try checkThrowsJSecSync(.crypto, "private DER as public") { _ = try PublicKey(der: key.der) }
    }

    /// Malformed key text of every kind; bad key type names and sizes.
    static func badKeys() throws {
        let garbage = "-----BEGIN PRIVATE KEY-----\nnot base64 at all!!\n-----END PRIVATE KEY-----\n"
        try checkThrowsJSecSync(.crypto, "garbage PEM") { _ = try PrivateKey(pem: garbage) }
        try checkThrowsJSecSync(.crypto, "empty PEM") { _ = try PrivateKey(pem: "") }
        try checkThrowsJSecSync(.crypto, "certificate PEM as key") { _ = try PrivateKey(pem: TestPKI.shared.server.certificatePEM) }
        try checkThrowsJSecSync(.crypto, "private key PEM as public") { _ = try PublicKey(pem: TestPKI.shared.server.privateKeyPEM) }
        try checkThrowsJSecSync(.crypto, "info of junk") { _ = try PrivateKey.info(of: [1, 2, 3]) }
        try checkEqual(FormatDetector.detect([0x01, 0x02]), .unknown, "junk is unknown")
        try checkThrowsJSecSync(.configuration, "unknown key type") { _ = try KeyType(name: "dsa1024") }
        try checkEqual(try KeyType(name: "RSA-3072"), .rsa3072, "key type name")
        try checkEqual(try KeyType(name: "ec-p384").description, "EC-P384", "description")
        try checkThrowsJSecSync(.configuration, "512-bit RSA") { _ = try PrivateKey.generate(.rsa(bits: 512)) }
        try checkThrowsJSecSync(.configuration, "raw P-256 key") { _ = try PrivateKey(raw: [UInt8](repeating: 1, count: 32), type: .ecP256) }
        try checkThrowsJSecSync(.crypto, "raw key of 31 bytes") { _ = try PrivateKey(raw: [UInt8](repeating: 1, count: 31), type: .ed25519) }
        try checkThrowsJSecSync(.crypto, "raw public key of 33 bytes") { _ = try PublicKey(raw: [UInt8](repeating: 1, count: 33), type: .x25519) }
        try checkThrowsJSecSync(.configuration, "raw RSA public key") { _ = try PublicKey(raw: [UInt8](repeating: 1, count: 32), type: .rsa2048) }
    }

    /// RFC 8032 §7.1 Ed25519 tests 1 and 2; sign/verify for every key type and option; tampering.
    static func signatures() throws {
        let k1 = try PrivateKey(raw: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), type: .ed25519)
        try checkEqual(k1.publicKey.raw?.hexString, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "RFC 8032 test 1 public key")
        try checkEqual(k1.rawPrivateKey?.hexString, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "raw private key back")
        try checkEqual(
            try k1.sign([UInt8]()).hexString,
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            "RFC 8032 test 1 signature")
        let pub2 = try PublicKey(raw: Hex.decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"), type: .ed25519)
        let sig2 = try Hex.decode(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        try check(try pub2.verify(sig2, for: [0x72]), "RFC 8032 test 2 verifies")
        try check(try !pub2.verify(sig2, for: [0x73]), "other message")
        let cases: [(KeyType, SignatureOptions)] = [
            (.rsa2048, .default), (.rsa2048, .rsaPSS), (.rsa2048, SignatureOptions(digest: .sha512)),
            (.ecP256, .default), (.ecP384, SignatureOptions(digest: .sha384)),
            (.ecP521, SignatureOptions(digest: .sha512)), (.ed25519, .default),
        ]
        let msg = pattern(3_000, seed: 13)
        for (type, options) in cases {
            let key = try keys(type)
            let sig = try key.sign(msg, options: options)
            try check(try key.verify(sig, for: msg, options: options), "\(type) verifies with the private key")
            try check(try key.publicKey.verify(sig, for: msg, options: options), "\(type) verifies with the public key")
            var bad = sig; bad[bad.count / 2] ^= 1
            try check(try !key.publicKey.verify(bad, for: msg, options: options), "\(type) tampered signature")
            try check(try !key.publicKey.verify(sig, for: msg + [0], options: options), "\(type) other message")
            try check(try !key.publicKey.verify([], for: msg, options: options), "\(type) empty signature")
        }
        try checkThrowsJSecSync(.crypto, "X25519 cannot sign") { _ = try PrivateKey.generate(.x25519).sign(msg) }
    }

    /// RSA-OAEP and PKCS#1 v1.5 encryption: limits, wrong key, tampering, non-RSA keys.
    static func rsaEncryption() throws {
        let paddings: [RSAEncryptionPadding] = [.oaepSHA256, .oaep(.sha1), .oaep(.sha512), .pkcs1]
        let expectedMax = [256 - 2 * 32 - 2, 256 - 2 * 20 - 2, 256 - 2 * 64 - 2, 256 - 11]
        for (padding, max) in zip(paddings, expectedMax) {
            try checkEqual(try RSAEncryption.maximumPlaintextLength(for: rsa.publicKey, padding: padding), max, "max plaintext \(padding)")
            let pt = pattern(max, seed: 14)
            let ct = try RSAEncryption.encrypt(pt, for: rsa.publicKey, padding: padding)
            try checkEqual(ct.count, 256, "ciphertext is the modulus size")
            try checkEqual(try RSAEncryption.decrypt(ct, with: rsa, padding: padding), pt, "decrypt \(padding)")
            try checkThrowsJSecSync(.configuration, "plaintext over the limit (\(padding))") {
                _ = try RSAEncryption.encrypt(pt + [0], for: rsa.publicKey, padding: padding)
            }
            if padding != .pkcs1 {
                var bad = ct; bad[100] ^= 1
                try checkThrowsJSecSync(.crypto, "tampered ciphertext (\(padding))") { _ = try RSAEncryption.decrypt(bad, with: rsa, padding: padding) }
            }
        }
        let ec = try PrivateKey.generate(.ecP256)
        try checkThrowsJSecSync(.crypto, "RSA encryption to an EC key") { _ = try RSAEncryption.encrypt([1], for: ec.publicKey) }
        try checkThrowsJSecSync(.crypto, "RSA decryption with an EC key") { _ = try RSAEncryption.decrypt([UInt8](repeating: 1, count: 256), with: ec) }
    }

    /// ECDH and X25519 (RFC 7748 §6.1 known answer); mismatched curves; points on curves.
    static func keyAgreementAndPoints() throws {
        let alice = try PrivateKey(raw: Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), type: .x25519)
        let bobPub = try PublicKey(raw: Hex.decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), type: .x25519)
        try checkEqual(alice.publicKey.raw?.hexString, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "RFC 7748 Alice's public key")
        try checkEqual(
            try alice.sharedSecret(with: bobPub).hexString, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "RFC 7748 shared secret")
        for type in [KeyType.ecP256, .ecP384] {
            let a = try PrivateKey.generate(type), b = try PrivateKey.generate(type)
            try checkEqual(try a.sharedSecret(with: b.publicKey), try b.sharedSecret(with: a.publicKey), "\(type) ECDH agrees")
        }
        try checkThrowsJSecSync(.crypto, "ECDH across curves") {
            _ = try PrivateKey.generate(.ecP256).sharedSecret(with: PrivateKey.generate(.ecP384).publicKey)
        }
        try checkThrowsJSecSync(.crypto, "Ed25519 cannot agree") {
            _ = try PrivateKey.generate(.ed25519).sharedSecret(with: PrivateKey.generate(.ed25519).publicKey)
        }
        // SEC 1 points: the P-256 generator and 2G are published constants.
        let p256 = try EllipticCurve(.p256)
        let g = try p256.generator()
        try checkEqual(
            g.hexString, "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
            "P-256 G")
        let twoG = try p256.multiply(scalar: [2])
        try checkEqual(
            twoG.hexString,
            "047cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc4766997807775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1", "P-256 2G")
        try checkEqual(try p256.add(g, g), twoG, "G + G")
        try checkEqual(try p256.generator(compressed: true).count, 33, "compressed G")
        for curve in ECCurve.allCases {
            let ec = try EllipticCurve(curve)
            let a = try ec.generateScalar(), b = try ec.generateScalar()
            try checkEqual(a.count, curve.byteLength, "\(curve) scalar size")
            let aG = try ec.multiply(scalar: a), bG = try ec.multiply(scalar: b, compressed: true)
            try checkEqual(try ec.multiply(scalar: a, point: bG), try ec.multiply(scalar: b, point: aG), "\(curve) Diffie–Hellman")
            try checkEqual(try ec.encode(try ec.encode(aG, compressed: true), compressed: false), aG, "\(curve) compress round trip")
            var off = aG; off[off.count - 1] ^= 1
            try check(ec.isValidPoint(aG) && !ec.isValidPoint(off), "\(curve) on-curve check")
            try checkThrowsJSecSync(.crypto, "\(curve) point off the curve") { _ = try ec.add(aG, off) }
            try checkThrowsJSecSync(.crypto, "\(curve) zero scalar") { _ = try ec.multiply(scalar: [0]) }
            try checkThrowsJSecSync(.crypto, "\(curve) scalar too long") { _ = try ec.multiply(scalar: [UInt8](repeating: 1, count: curve.byteLength + 1)) }
            try checkThrowsJSecSync(.crypto, "\(curve) empty point") { _ = try ec.encode([], compressed: true) }
        }
    }
}
