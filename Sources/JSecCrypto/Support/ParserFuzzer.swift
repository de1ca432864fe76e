import Foundation

/// A fuzz self-test of every parser in JSecCrypto: seeds of each kind (certificates, keys, CSRs,
/// CRLs, OCSP, CMS, PKCS#12, PEM) are mutated reproducibly and parsed; each input must give either
/// a value or a `.crypto`/`.configuration` ``JSecError``. Used by the test suite (≥ 100,000 inputs)
/// and by `Examples/crypto-fuzz` under valgrind (leaks).
public enum ParserFuzzer {
    public struct Report: Sendable, CustomStringConvertible {
        public var inputs = 0
        public var accepted = 0
        /// Inputs that produced anything other than a value or a typed `.crypto`/`.configuration` error.
        public var failures: [String] = []
        public var perParser: [String: Int] = [:]
        public var description: String {
            "\(inputs) mutated inputs over \(perParser.count) parsers: \(accepted) parsed, \(inputs - accepted) rejected with a typed error, \(failures.count) failures"
        }
    }

    /// Runs every parser; `scale` 1.0 is 112,600 inputs (encrypted inputs, slow because of PBKDF2, are 600 of them).
    public static func run(scale: Double = 1.0, seed: UInt64 = 0x5EED_1234) throws -> Report {
        let root = try CertificateAuthority.createRoot(keyType: .ecP384, serial: 1)
        let ca = try root.createIntermediate(commonName: "Fuzz Intermediate")
        let leaf = try ca.issue(CertificateRequest(commonName: "fuzz.test", dnsNames: ["fuzz.test"], ipAddresses: ["10.1.2.3"]), keyType: .rsa2048)
        let ecKey = try PrivateKey.generate(.ecP256)
        let edKey = try PrivateKey.generate(.ed25519)
        let csr = try CertificateSigningRequest.generate(
            key: ecKey, subject: DistinguishedName(commonName: "fuzz.test", organization: "F"), dnsNames: ["fuzz.test"])
        try ca.revoke(leaf.certificate, reason: .keyCompromise)
        let crl = try ca.generateCRL()
        let req = try OCSPRequest.create(for: leaf.certificate, issuer: ca.certificate)
        let resp = try ca.ocspResponse(to: req)
        let cmsSigned = try CMS.sign(Array("fuzz".utf8), certificate: leaf.certificate, privateKey: leaf.privateKey)
        let cmsEnv = try CMS.encrypt(Array("fuzz".utf8), recipients: [leaf.certificate])

        typealias Parser = (name: String, seed: [UInt8], iterations: Int, parse: ([UInt8]) throws -> Void)
        let der: [Parser] = [
            ("certificate DER", leaf.certificate.der, 16_000, { try touch(try Certificate(der: $0)) }),
            ("root DER", root.certificate.der, 8_000, { try touch(try Certificate(der: $0)) }),
            ("certificate bytes", ca.certificate.der, 6_000, { try touch(try Certificate(bytes: $0)) }),
            ("RSA key DER", try leaf.privateKey.der, 6_000, { _ = try PrivateKey(der: $0).info }),
            ("EC key DER", try ecKey.der, 8_000, { _ = try PrivateKey(der: $0).info }),
            ("Ed25519 key DER", try edKey.der, 6_000, { _ = try PrivateKey(der: $0).rawPrivateKey }),
            ("public key DER", try ecKey.publicKeyDER, 8_000, { _ = try PublicKey(der: $0).info }),
            (
                "CSR DER", csr.der, 8_000,
                {
                    let c = try CertificateSigningRequest(der: $0); _ = (c.isSignatureValid, c.subjectAltNames, c.subject, c.publicKey)
                }
            ),
            (
                "CRL DER", crl.der, 8_000,
                {
                    let c = try CertificateRevocationList(der: $0); _ = (c.revoked, c.issuer, c.nextUpdate)
                }
            ),
            (
                "OCSP request", req.der, 8_000,
                {
                    let r = try OCSPRequest(der: $0); _ = (r.certIDs, r.nonce)
                }
            ),
            (
                "OCSP response", resp.der, 6_000,
                { _ = try? OCSPResponse(der: $0).status(of: leaf.certificate, issuer: ca.certificate, trusted: [root.certificate]) }
            ),
            ("CMS signed", cmsSigned, 4_000, { _ = try CMS.verify($0) }),
            ("CMS enveloped", cmsEnv, 4_000, { _ = try CMS.certificates(in: $0) }),
        ]
        let pem: [(name: String, seed: String, iterations: Int, parse: (String) throws -> Void)] = [
            ("certificate PEM", leaf.certificate.pem + ca.certificate.pem, 4_000, { _ = try Certificate.chain(pem: $0) }),
            ("EC key PEM", try ecKey.pem, 4_000, { _ = try PrivateKey(pem: $0) }),
            ("public key PEM", try ecKey.publicKeyPEM, 3_000, { _ = try PublicKey(pem: $0) }),
            ("CSR PEM", csr.pem, 3_000, { _ = try CertificateSigningRequest(pem: $0) }),
            ("CRL PEM", crl.pem, 2_000, { _ = try CertificateRevocationList(pem: $0) }),
        ]
        let encrypted: [Parser] = [
            ("encrypted key DER", try ecKey.der(password: "pw"), 300, { _ = try PrivateKey(der: $0, password: "pw") }),
            (
                "PKCS#12", try PKCS12.create(certificate: leaf.certificate, privateKey: leaf.privateKey, chain: [ca.certificate], password: "pw"), 300,
                { _ = try PKCS12.parse($0, password: "pw") }
            ),
        ]

        var rng = SplitMix64(state: seed)
        var report = Report()
        func attempt(_ name: String, _ body: () throws -> Void) {
            report.inputs += 1
            report.perParser[name, default: 0] += 1
            do { try body(); report.accepted += 1 } catch let e as JSecError where e.category == .crypto || e.category == .configuration {} catch {
                report.failures.append("\(name): \(error)")
            }
        }
        func count(_ n: Int) -> Int { max(1, Int(Double(n) * scale)) }
        for p in der + encrypted {
            for _ in 0..<count(p.iterations) {
                let input = Mutator.mutate(p.seed, &rng)
                attempt(p.name) { try p.parse(input) }
            }
        }
        for p in pem {
            for _ in 0..<count(p.iterations) {
                let input = Mutator.mutatePEM(p.seed, &rng)
                attempt(p.name) { try p.parse(input) }
            }
        }
        return report
    }

    /// Reads every accessor of a parsed certificate: a parser that accepts must yield a usable object.
    static func touch(_ c: Certificate) throws {
        _ = (c.subject, c.issuer, c.subjectName, c.issuerName, c.commonName, c.subjectAltNames, c.notBefore, c.notAfter)
        _ = (c.serialNumberHex, c.publicKeyAlgorithm, c.publicKeyBits, c.publicKey, c.publicKeyInfo, c.keyUsage, c.extendedKeyUsage)
        _ = (c.isCA, c.pathLength, c.isSelfSigned, try c.sha1Fingerprint, try c.sha256Fingerprint, c.signatureAlgorithm, c.version, c.der, c.pem)
    }
}

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
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            if b.isEmpty { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<9, using: &rng) {
            case 0: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)  // bit flip
            case 1: b[i] = UInt8.random(in: 0...255, using: &rng)  // random byte
            case 2: b[i] = [0x00, 0xff, 0x7f, 0x80, 0x81, 0x82, 0x30, 0x04][Int.random(in: 0..<8, using: &rng)]  // DER-significant bytes
            case 3: b.removeSubrange(i...)  // truncate
            case 4: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...16, using: &rng)))  // delete a range
            case 5: b.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
            case 6: let j = Int.random(in: i..<b.count, using: &rng); b.insert(contentsOf: b[i...j].prefix(64), at: j)  // duplicate a range
            case 7: if i + 1 < b.count { b[i + 1] = 0x84; if i + 5 < b.count { b[i + 2] = 0x7f } }  // huge length field
            default: b.swapAt(i, Int.random(in: 0..<b.count, using: &rng))
            }
        }
        return b
    }

    /// Mutates a PEM's base64 body or armour.
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
