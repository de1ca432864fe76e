import Testing
import JSecCrypto

@Suite struct AEADTests {
    // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 3 and 4.
    static let gcmKey = hex("feffe9928665731c6d6a8f9467308308")
    static let gcmIV = hex("cafebabefacedbaddecaf888")
    static let gcmP = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
    static let gcmC = hex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985")

    @Test func aesGCMTestCases3And4() throws {
        let box3 = try AEAD.seal(.aes128GCM, key: Self.gcmKey, nonce: Self.gcmIV, plaintext: Self.gcmP)
        #expect(box3.ciphertext == Self.gcmC)
        #expect(box3.tag.hexString == "4d5c2af327cd64a62cf35abd2ba6fab4")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let box4 = try AEAD.seal(.aes128GCM, key: Self.gcmKey, nonce: Self.gcmIV, plaintext: Self.gcmP.prefix(60), aad: aad)
        #expect(box4.ciphertext == Array(Self.gcmC.prefix(60)))
        #expect(box4.tag.hexString == "5bc94fbc3221a5db94fae95ae7121a47")
        #expect(try AEAD.open(.aes128GCM, key: Self.gcmKey, box: box4, aad: aad) == Array(Self.gcmP.prefix(60)))
    }

    @Test func chachaRFC8439() throws {
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = hex("070000004041424344454647")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let pt = bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
        let box = try AEAD.seal(.chacha20Poly1305, key: key, nonce: nonce, plaintext: pt, aad: aad)
        #expect(
            box.ciphertext.hexString
                == "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
        )
        #expect(box.tag.hexString == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(try AEAD.open(.chacha20Poly1305, key: key, box: box, aad: aad) == pt)
    }

    @Test func wrongTagKeyAADIsAuthenticationError() throws {
        for alg in AEADAlgorithm.allCases {
            let key = try AEAD.generateKey(alg)
            let box = try AEAD.seal(alg, key: key, plaintext: bytes("attack at dawn"), aad: bytes("hdr"))
            #expect(box.nonce.count == 12 && box.tag.count == 16)
            var badTag = box.tag; badTag[0] ^= 1
            var badCT = box.ciphertext; badCT[3] ^= 0x80
            let attempts: [() throws -> [UInt8]] = [
                { try AEAD.open(alg, key: key, nonce: box.nonce, ciphertext: box.ciphertext, tag: badTag, aad: bytes("hdr")) },
                { try AEAD.open(alg, key: key, nonce: box.nonce, ciphertext: badCT, tag: box.tag, aad: bytes("hdr")) },
                { try AEAD.open(alg, key: key, nonce: box.nonce, ciphertext: box.ciphertext, tag: box.tag, aad: bytes("hdX")) },
                { try AEAD.open(alg, key: try AEAD.generateKey(alg), nonce: box.nonce, ciphertext: box.ciphertext, tag: box.tag, aad: bytes("hdr")) },
                { try AEAD.open(alg, key: key, nonce: box.nonce, ciphertext: box.ciphertext, tag: box.tag.prefix(2), aad: bytes("hdr")) },
            ]
            for attempt in attempts {
                do { _ = try attempt(); Issue.record("\(alg): tampered input decrypted") } catch let e as JSecError {
                    #expect(e.category == .crypto && e.message.contains("authentication failed"), "\(e)")
                }
            }
            #expect(throws: JSecError.self) { try AEAD.seal(alg, key: [1, 2, 3], plaintext: [1]) }
            #expect(AEAD.info(alg).keyLength == alg.keyLength && AEAD.info(alg).isAEAD)
        }
    }

    @Test func crossCheckWithPython() throws {
        for alg in AEADAlgorithm.allCases {
            let key = try AEAD.generateKey(alg)
            let pt = try SecureRandom.bytes(1000)
            let aad = try SecureRandom.bytes(20)
            let box = try AEAD.seal(alg, key: key, plaintext: pt, aad: aad)
            let pyClass = alg == .chacha20Poly1305 ? "ChaCha20Poly1305" : "AESGCM"
            let script = """
                import sys
                from cryptography.hazmat.primitives.ciphers.aead import \(pyClass) as C
                k, n, ct, aad, pt2 = (bytes.fromhex(a) for a in sys.argv[1:6])
                print(C(k).decrypt(n, ct, aad).hex())
                print(C(k).encrypt(n, pt2, aad).hex())
                """
            let pt2 = try SecureRandom.bytes(333)
            let r = try Peer.python(script, [key.hexString, box.nonce.hexString, (box.ciphertext + box.tag).hexString, aad.hexString, pt2.hexString])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.text.split(separator: "\n").map(String.init)
            #expect(lines.first == pt.hexString, "python decrypts our \(alg)")
            let theirs = hex(lines.last ?? "")
            #expect(try AEAD.open(alg, key: key, nonce: box.nonce, ciphertext: theirs.dropLast(16), tag: theirs.suffix(16), aad: aad) == pt2)
        }
    }
}

@Suite struct BlockCipherTests {
    @Test func cbcNISTVectorAndOpenSSL() throws {
        // NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first block; PKCS#7 adds one padding block.
        let key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
        let iv = hex("000102030405060708090a0b0c0d0e0f")
        let ct = try BlockCipher.encrypt(.aes256CBC, key: key, iv: iv, plaintext: hex("6bc1bee22e409f96e93d7e117393172a"))
        #expect(ct.prefix(16).hexString == "f58c4c04d6e5f1ba779eabfb5f7bfbd6" && ct.count == 32)
        #expect(try BlockCipher.decrypt(.aes256CBC, key: key, iv: iv, ciphertext: ct) == hex("6bc1bee22e409f96e93d7e117393172a"))
        let k128 = try SecureRandom.bytes(16), iv2 = try SecureRandom.bytes(16), pt = try SecureRandom.bytes(1000)
        let ours = try BlockCipher.encrypt(.aes128CBC, key: k128, iv: iv2, plaintext: pt)
        let dir = try TempDir()
        let f = try dir.write("ct", ours)
        let r = try Peer.openssl(["enc", "-d", "-aes-128-cbc", "-K", k128.hexString, "-iv", iv2.hexString, "-in", f])
        #expect(r.status == 0 && r.stdout == pt, "\(r.stderr)")
        // Fixed inputs, so deterministic: decrypting under the wrong key gives bad padding, a typed error.
        let fixed = try BlockCipher.encrypt(.aes128CBC, key: [UInt8](repeating: 0, count: 16), iv: [UInt8](repeating: 0, count: 16), plaintext: bytes("hello"))
        #expect(throws: JSecError.self) {
            try BlockCipher.decrypt(.aes128CBC, key: [UInt8](repeating: 1, count: 16), iv: [UInt8](repeating: 0, count: 16), ciphertext: fixed)
        }
        #expect(throws: JSecError.self) { try BlockCipher.decrypt(.aes128CBC, key: k128, iv: iv2, ciphertext: Array(ours.prefix(17))) }
        #expect(BlockCipher.info(.aes256CBC).isAEAD == false)
    }
}
