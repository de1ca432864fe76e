import Testing
import JSecCrypto

@Suite struct KeyTests {
    static let types: [KeyType] = [.rsa2048, .ecP256, .ecP384, .ecP521, .ed25519, .x25519]

    @Test func generateInfoAndRoundTrips() throws {
        for t in Self.types {
            let k = try PrivateKey.generate(t)
            let info = k.info
            switch t {
            case .rsa(let bits): #expect(info.type == "RSA" && info.bits == bits)
            case .ecP256: #expect(info.curve == "P-256" && info.bits == 256)
            case .ecP384: #expect(info.curve == "P-384" && info.bits == 384)
            case .ecP521: #expect(info.curve == "P-521" && info.bits == 521)
            case .ed25519: #expect(info.type == "ED25519")
            case .x25519: #expect(info.type == "X25519")
            }
            let fromPEM = try PrivateKey(pem: k.pem)
            #expect(try fromPEM.matches(k.publicKey))
            #expect(try PrivateKey(der: k.der).der == k.der)
            let enc = try k.pem(password: "s3cret")
            #expect(enc.contains("BEGIN ENCRYPTED PRIVATE KEY"))
            #expect(try PrivateKey(pem: enc, password: "s3cret").der == k.der)
            #expect(try PrivateKey(der: try k.der(password: "pw", cipher: .aes128CBC), password: "pw").der == k.der)
            #expect(try PrivateKey.info(of: Array(enc.utf8), password: "s3cret").encrypted)
            let pub = try PublicKey(pem: k.publicKeyPEM)
            #expect(try pub == k.publicKey)
            #expect(try PublicKey(der: pub.der) == pub)
            #expect(try PrivateKey.convert(Array(k.pem.utf8), to: .der) == k.der)
        }
        #expect(throws: JSecError.self) { try PrivateKey.generate(.rsa(bits: 512)) }
    }

    @Test func badInputIsTypedError() throws {
        let k = try PrivateKey.generate(.ecP256)
        let enc = try k.pem(password: "right")
        func expectCrypto(_ body: () throws -> Void) {
            do { try body(); Issue.record("accepted bad input") } catch let e as JSecError {
                #expect(e.category == .crypto || e.category == .configuration)
            } catch { Issue.record("untyped error \(error)") }
        }
        expectCrypto { _ = try PrivateKey(pem: enc, password: "wrong") }
        expectCrypto { _ = try PrivateKey(pem: enc) }
        expectCrypto { _ = try PrivateKey(der: try k.der(password: "right"), password: "wrong") }
        expectCrypto { _ = try PrivateKey(pem: String(k.pem.prefix(80))) }
        expectCrypto { _ = try PrivateKey(pem: "garbage") }
        expectCrypto { _ = try PrivateKey(der: Array(k.der.prefix(20))) }
        expectCrypto { _ = try PrivateKey(der: []) }
        expectCrypto { _ = try PrivateKey(der: [UInt8](repeating: 0x30, count: 2 << 20)) }
        expectCrypto { _ = try PublicKey(pem: k.pem) }
        expectCrypto { _ = try PublicKey(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        expectCrypto { _ = try PrivateKey(raw: [1, 2, 3], type: .ed25519) }
        expectCrypto { _ = try k.pem(password: "") }
    }

    @Test func ecdhAndX25519() throws {
        for t in [KeyType.x25519, .ecP256, .ecP384] {
            let a = try PrivateKey.generate(t), b = try PrivateKey.generate(t)
            let s1 = try a.sharedSecret(with: b.publicKey), s2 = try b.sharedSecret(with: a.publicKey)
            #expect(s1 == s2 && !s1.isEmpty)
        }
        let mixed = try PrivateKey.generate(.ecP256)
        #expect(throws: JSecError.self) { try mixed.sharedSecret(with: try PrivateKey.generate(.ecP384).publicKey) }
        #expect(throws: JSecError.self) { try PrivateKey.generate(.ed25519).sharedSecret(with: try PrivateKey.generate(.ed25519).publicKey) }
    }

    @Test func peersReadOurKeysAndWeReadTheirs() throws {
        let dir = try TempDir()
        for t in [KeyType.rsa2048, .ecP384, .ed25519, .x25519] {
            let k = try PrivateKey.generate(t)
            let f = try dir.write("k.pem", try k.pem(password: "pw"))
            let r = try Peer.openssl(["pkey", "-in", f, "-passin", "pass:pw", "-pubout"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try r.text == k.publicKeyPEM, "openssl reads our encrypted \(t)")
            let script = """
                import sys
                from cryptography.hazmat.primitives import serialization as s
                k = s.load_der_private_key(open(sys.argv[1],'rb').read(), b"pw")
                print(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode(), end="")
                """
            let d = try dir.write("k.der", try k.der(password: "pw"))
            let p = try Peer.python(script, [d])
            #expect(try p.text == k.publicKeyPEM, "python reads our encrypted DER \(t): \(p.stderr)")
        }
        let gen = try Peer.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-aes-128-cbc", "-pass", "pass:xyz"])
        #expect(gen.status == 0)
        let theirs = try PrivateKey(pem: gen.text, password: "xyz")
        #expect(theirs.info.curve == "P-521")
        let rsa = try Peer.openssl(["genrsa", "-traditional", "3072"])
        #expect(try PrivateKey(pem: rsa.text).info.bits == 3072)
    }
}
