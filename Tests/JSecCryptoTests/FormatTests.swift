import Foundation
import Testing
import JSecCrypto

@Suite struct FormatTests {
    @Test func pkcs12RoundTripAndPeers() throws {
        let pki = try TestPKI(leafKey: .rsa2048)
        let leaf = pki.leaf
        let p12 = try PKCS12.create(
            certificate: leaf.certificate, privateKey: leaf.privateKey,
            chain: [pki.intermediate.certificate], password: "p12pass", friendlyName: "my server")
        let parsed = try PKCS12.parse(p12, password: "p12pass")
        #expect(try parsed.certificate?.der == leaf.certificate.der && parsed.privateKey?.der == leaf.privateKey.der)
        #expect(parsed.chain.map(\.der) == [pki.intermediate.certificate.der] && parsed.friendlyName == "my server")
        do { _ = try PKCS12.parse(p12, password: "wrong"); Issue.record("wrong password accepted") } catch let e as JSecError { #expect(e.category == .crypto) }
        #expect(throws: JSecError.self) { try PKCS12.parse(Array(p12.prefix(100)), password: "p12pass") }
        #expect(throws: JSecError.self) { try PKCS12.create(certificate: leaf.certificate, privateKey: try PrivateKey.generate(.rsa2048), password: "x") }
        // openssl and python read ours.
        let f = try pki.dir.write("ours.p12", p12)
        let o = try Peer.openssl(["pkcs12", "-in", f, "-passin", "pass:p12pass", "-nokeys", "-clcerts"])
        #expect(o.status == 0 && o.text.contains("my server"), "\(o.stderr)")
        let py = try Peer.python(
            """
            import sys
            from cryptography.hazmat.primitives.serialization import pkcs12
            k, c, extra = pkcs12.load_key_and_certificates(open(sys.argv[1],'rb').read(), b"p12pass")
            print(c.subject.rfc4514_string(), len(extra), k.key_size)
            """, [f])
        #expect(py.text.trimmingCharacters(in: .whitespacesAndNewlines) == "CN=server.test 1 2048", "\(py.stderr)")
        // We read openssl's.
        try pki.dir.write("key.pem", leaf.privateKey.pem)
        let e = try Peer.openssl([
            "pkcs12", "-export", "-inkey", pki.dir.path("key.pem"), "-in", pki.dir.path("leaf.pem"), "-certfile", pki.dir.path("int.pem"),
            "-name", "theirs", "-passout", "pass:abc", "-out", pki.dir.path("theirs.p12"),
        ])
        #expect(e.status == 0, "\(e.stderr)")
        let theirs = try PKCS12.parse(try pki.dir.read("theirs.p12"), password: "abc")
        #expect(theirs.friendlyName == "theirs" && theirs.privateKey?.matches(leaf.certificate.publicKey!) == true && theirs.chain.count == 1)
    }

    @Test func cmsSignVerifyAndPeers() throws {
        let pki = try TestPKI()
        let data = bytes("signed content\n")
        let signed = try CMS.sign(data, certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey, chain: [pki.intermediate.certificate])
        let v = try CMS.verify(signed, trusted: [pki.root.certificate])
        #expect(v.isValid && v.content == data && v.signers.map(\.der) == [pki.leaf.certificate.der], "\(v.error ?? "")")
        #expect(try !CMS.verify(signed, trusted: [try CertificateAuthority.createRoot().certificate]).isValid)
        #expect(try !CMS.verify(signed, trusted: [pki.root.certificate], purpose: .emailProtection).isValid)
        #expect(try CMS.certificates(in: signed).count == 2)
        let detached = try CMS.sign(data, certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey, detached: true)
        #expect(try CMS.verify(detached, detachedContent: data).isValid)
        #expect(try !CMS.verify(detached, detachedContent: bytes("other content\n")).isValid)
        #expect(try CMS.certificates(in: try CMS.certificatesOnly([pki.root.certificate, pki.intermediate.certificate])).count == 2)
        #expect(throws: JSecError.self) { try CMS.verify([0x30, 0x80, 0x00]) }
        // openssl verifies ours; we verify openssl's.
        try pki.dir.write("signed.der", signed)
        let o = try Peer.openssl([
            "cms", "-verify", "-inform", "DER", "-in", pki.dir.path("signed.der"), "-CAfile", pki.dir.path("root.pem"), "-purpose", "any", "-binary",
        ])
        #expect(o.status == 0 && o.stdout == data, "\(o.stderr)")
        try pki.dir.write("key.pem", pki.leaf.privateKey.pem)
        try pki.dir.write("data", data)
        let s = try Peer.openssl([
            "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-in", pki.dir.path("data"), "-signer", pki.dir.path("leaf.pem"),
            "-inkey", pki.dir.path("key.pem"), "-certfile", pki.dir.path("int.pem"),
        ])
        #expect(s.status == 0)
        let theirs = try CMS.verify(s.stdout, trusted: [pki.root.certificate])
        #expect(theirs.isValid && theirs.content == data, "\(theirs.error ?? "")")
    }

    @Test func cmsEncryptDecryptAndPeers() throws {
        for kt in [KeyType.rsa2048, .ecP256] {
            let pki = try TestPKI(leafKey: kt)
            let data = try SecureRandom.bytes(5000)
            let enc = try CMS.encrypt(data, recipients: [pki.leaf.certificate])
            #expect(try CMS.decrypt(enc, certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey) == data)
            #expect(throws: JSecError.self) { try CMS.decrypt(enc, certificate: nil, privateKey: try PrivateKey.generate(kt)) }
            try pki.dir.write("enc.der", enc)
            try pki.dir.write("key.pem", pki.leaf.privateKey.pem)
            let d = try Peer.openssl([
                "cms", "-decrypt", "-binary", "-inform", "DER", "-in", pki.dir.path("enc.der"), "-recip", pki.dir.path("leaf.pem"), "-inkey",
                pki.dir.path("key.pem"),
            ])
            #expect(d.status == 0 && d.stdout == data, "openssl decrypts our \(kt): \(d.stderr)")
            try pki.dir.write("data", data)
            let e = try Peer.openssl(["cms", "-encrypt", "-binary", "-aes128", "-outform", "DER", "-in", pki.dir.path("data"), pki.dir.path("leaf.pem")])
            #expect(e.status == 0)
            #expect(try CMS.decrypt(e.stdout, certificate: pki.leaf.certificate, privateKey: pki.leaf.privateKey) == data, "we decrypt openssl's \(kt)")
        }
    }

    @Test func ecPointOperations() throws {
        let p256 = try EllipticCurve(.p256)
        let g = try p256.generator()
        #expect(
            g.hexString == "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
        let twoG = try p256.multiply(scalar: [2])
        #expect(
            twoG.hexString
                == "047cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc4766997807775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1")
        #expect(try p256.add(g, g) == twoG)
        for curve in [ECCurve.p256, .p384] {
            let ec = try EllipticCurve(curve)
            let a = try ec.generateScalar(), b = try ec.generateScalar()
            #expect(a.count == curve.byteLength)
            let aG = try ec.multiply(scalar: a), bG = try ec.multiply(scalar: b, compressed: true)
            #expect(bG.count == 1 + curve.byteLength && aG.count == 1 + 2 * curve.byteLength)
            #expect(try ec.multiply(scalar: a, point: bG) == (try ec.multiply(scalar: b, point: aG)))  // Diffie–Hellman
            #expect(try ec.encode(try ec.encode(aG, compressed: true), compressed: false) == aG)
            var off = aG; off[off.count - 1] ^= 1
            #expect(!ec.isValidPoint(off))
            #expect(throws: JSecError.self) { try ec.add(aG, off) }
            #expect(throws: JSecError.self) { try ec.multiply(scalar: [UInt8](repeating: 0, count: 4)) }
            #expect(throws: JSecError.self) { try ec.multiply(scalar: [UInt8](repeating: 0xff, count: curve.byteLength)) }
            // Python computes a·G independently.
            let pyCurve = curve == .p256 ? "SECP256R1" : "SECP384R1"
            let py = try Peer.python(
                """
                import sys
                from cryptography.hazmat.primitives.asymmetric import ec
                from cryptography.hazmat.primitives import serialization as s
                k = ec.derive_private_key(int(sys.argv[1], 16), ec.\(pyCurve)())
                print(k.public_key().public_bytes(s.Encoding.X962, s.PublicFormat.UncompressedPoint).hex())
                """, [a.hexString])
            #expect(py.text.trimmingCharacters(in: .whitespacesAndNewlines) == aG.hexString, "\(py.stderr)")
        }
    }

    @Test func memoryBIOAndDetection() throws {
        let bio = MemoryBIO()
        #expect(bio.write("hello ") == 6)
        bio.write(bytes("world"))
        #expect(bio.pending == 11 && bio.peekAll() == bytes("hello world") && bio.pending == 11)
        #expect(bio.read(max: 5) == bytes("hello") && bio.pending == 6)
        #expect(bio.readAll() == bytes(" world") && bio.readIfAvailable(max: 10) == nil)
        bio.write(bytes("x"))
        bio.reset()
        #expect(bio.pending == 0 && bio.peekAll().isEmpty)
        let cert = try CertificateBuilder.selfSigned()
        #expect(FormatDetector.detect(bytes(cert.certificatePEM)) == .pem && FormatDetector.detect(cert.certificate.der) == .der)
        #expect(FormatDetector.detect(bytes("hello")) == .unknown)
    }
}
