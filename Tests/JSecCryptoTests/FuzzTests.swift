import Foundation
import Testing
import JSecCrypto

/// Reproducible pseudo-random numbers (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Mutator {
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            if b.isEmpty { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<9, using: &rng) {
            case 0: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)               // bit flip
            case 1: b[i] = UInt8.random(in: 0...255, using: &rng)                   // random byte
            case 2: b[i] = [0x00, 0xff, 0x7f, 0x80, 0x81, 0x82, 0x30, 0x04][Int.random(in: 0..<8, using: &rng)]  // interesting DER bytes
            case 3: b.removeSubrange(i...)                                           // truncate
            case 4: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...16, using: &rng)))  // delete a range
            case 5: b.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
            case 6: let j = Int.random(in: i..<b.count, using: &rng); b.insert(contentsOf: b[i...j].prefix(64), at: j)  // duplicate a range
            case 7: if i + 1 < b.count { b[i + 1] = 0x84; if i + 5 < b.count { b[i + 2] = 0x7f } }  // huge length field
            default: b.swapAt(i, Int.random(in: 0..<b.count, using: &rng))
            }
        }
        return b
    }

    /// Mutates the base64 body of a PEM, keeping its armour, or the armour itself.
    static func mutatePEM(_ pem: String, _ rng: inout SplitMix64) -> String {
        var chars = Array(pem.utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n ".utf8)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !chars.isEmpty else { break }
            let i = Int.random(in: 0..<chars.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: chars[i] = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            case 1: chars.removeSubrange(i...)
            case 2: chars.remove(at: i)
            default: chars.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: i)
            }
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

@Suite struct FuzzTests {
    static func residentMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = Double(s.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return pages * 4096 / 1_048_576
    }

    /// Reads every accessor of a parsed certificate (a parser that accepts must yield a usable object).
    static func touch(_ c: Certificate) {
        _ = (c.subject, c.issuer, c.subjectName, c.issuerName, c.commonName, c.subjectAltNames, c.notBefore, c.notAfter)
        _ = (c.serialNumberHex, c.publicKeyAlgorithm, c.publicKeyBits, c.publicKey, c.publicKeyInfo, c.keyUsage, c.extendedKeyUsage)
        _ = (c.isCA, c.pathLength, c.isSelfSigned, c.sha1Fingerprint, c.sha256Fingerprint, c.signatureAlgorithm, c.version, c.der, c.pem)
    }

    /// Every parser over ≥ 100,000 mutated inputs: each returns a value or throws a JSecError; none crashes.
    @Test func parsersSurviveMutatedInput() throws {
        let pki = try TestPKI(leafKey: .rsa2048)
        let ecKey = try PrivateKey.generate(.ecP256)
        let edKey = try PrivateKey.generate(.ed25519)
        let csr = try CertificateSigningRequest.generate(key: ecKey, subject: DistinguishedName(commonName: "fuzz.test"), dnsNames: ["fuzz.test"])
        try pki.intermediate.revoke(pki.leaf.certificate, reason: .keyCompromise)
        let crl = try pki.intermediate.generateCRL()
        let req = try OCSPRequest.create(for: pki.leaf.certificate, issuer: pki.intermediate.certificate)
        let resp = try pki.intermediate.ocspResponse(to: req)
        let cmsSigned = try CMS.sign(bytes("fuzz"), certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey)
        let cmsEnv = try CMS.encrypt(bytes("fuzz"), recipients: [pki.leaf.certificate])

        typealias Parser = (name: String, seed: [UInt8], parse: ([UInt8]) throws -> Void, iterations: Int)
        let parsers: [Parser] = [
            ("certificate DER", pki.leaf.certificate.der, { c in Self.touch(try Certificate(der: c)) }, 16_000),
            ("root DER", pki.root.certificate.der, { let c = try Certificate(der: $0); _ = (c.keyUsage, c.subjectAltNames, c.subjectName, c.isSelfSigned) }, 8_000),
            ("certificate any", pki.intermediate.certificate.der, { c in Self.touch(try Certificate(bytes: c)) }, 6_000),
            ("RSA key DER", pki.leaf.privateKey.der, { _ = try PrivateKey(der: $0) }, 6_000),
            ("EC key DER", ecKey.der, { _ = try PrivateKey(der: $0) }, 8_000),
            ("Ed25519 key DER", edKey.der, { _ = try PrivateKey(der: $0) }, 6_000),
            ("public key DER", ecKey.publicKeyDER, { _ = try PublicKey(der: $0) }, 8_000),
            ("CSR DER", csr.der, { let c = try CertificateSigningRequest(der: $0); _ = (c.isSignatureValid, c.subjectAltNames) }, 8_000),
            ("CRL DER", crl.der, { let c = try CertificateRevocationList(der: $0); _ = c.revoked }, 8_000),
            ("OCSP request", req.der, { let r = try OCSPRequest(der: $0); _ = (r.certIDs, r.nonce) }, 8_000),
            ("OCSP response", resp.der, { _ = try OCSPResponse(der: $0) }, 6_000),
            ("CMS signed", cmsSigned, { _ = try CMS.verify($0) }, 4_000),
            ("CMS enveloped", cmsEnv, { _ = try CMS.certificates(in: $0) }, 4_000),
        ]
        let pemParsers: [(String, String, (String) throws -> Void, Int)] = [
            ("certificate PEM", pki.leaf.certificate.pem + pki.intermediate.certificate.pem, { _ = try Certificate.chain(pem: $0) }, 4_000),
            ("EC key PEM", ecKey.pem, { _ = try PrivateKey(pem: $0) }, 4_000),
            ("public key PEM", ecKey.publicKeyPEM, { _ = try PublicKey(pem: $0) }, 3_000),
            ("CSR PEM", csr.pem, { _ = try CertificateSigningRequest(pem: $0) }, 3_000),
            ("CRL PEM", crl.pem, { _ = try CertificateRevocationList(pem: $0) }, 2_000),
        ]
        var rng = SplitMix64(state: 0x5EED_1234)
        var total = 0, accepted = 0
        var rssAfterWarmup = 0.0
        for (index, p) in parsers.enumerated() {
            for _ in 0..<p.iterations {
                let input = Mutator.mutate(p.seed, &rng)
                do { try p.parse(input); accepted += 1 }
                catch let e as JSecError { if e.category != .crypto && e.category != .configuration { Issue.record("\(p.name): \(e)") } }
                catch { Issue.record("\(p.name): untyped error \(error)") }
                total += 1
            }
            if index == 1 { rssAfterWarmup = Self.residentMB() }
        }
        for (name, seed, parse, iterations) in pemParsers {
            for _ in 0..<iterations {
                do { try parse(Mutator.mutatePEM(seed, &rng)); accepted += 1 }
                catch let e as JSecError { if e.category != .crypto && e.category != .configuration { Issue.record("\(name): \(e)") } }
                catch { Issue.record("\(name): untyped error \(error)") }
                total += 1
            }
        }
        // Encrypted inputs with a password (PBKDF2 makes these slow: fewer iterations).
        let encKey = try ecKey.der(password: "pw")
        let p12 = try PKCS12.create(certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey, password: "pw")
        for _ in 0..<300 {
            for (seed, parse) in [(encKey, { (b: [UInt8]) throws in _ = try PrivateKey(der: b, password: "pw") }),
                                  (p12, { (b: [UInt8]) throws in _ = try PKCS12.parse(b, password: "pw") })] {
                do { try parse(Mutator.mutate(seed, &rng)); accepted += 1 }
                catch let e as JSecError { #expect(e.category == .crypto || e.category == .configuration) }
                total += 1
            }
        }
        let growth = Self.residentMB() - rssAfterWarmup
        print("fuzz: \(total) mutated inputs, \(accepted) parsed, \(total - accepted) rejected with a typed error; RSS growth after warm-up \(String(format: "%.1f", growth)) MB")
        #expect(total >= 100_000)
        #expect(growth < 64, "memory grew by \(growth) MB over the fuzz run (leak?)")
    }
}
