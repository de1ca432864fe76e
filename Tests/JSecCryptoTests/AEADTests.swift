import Testing
import JSecCrypto

/// Cross-checks against other implementations (the openssl CLI, Python). The known-answer vectors
/// (FIPS, RFC, NIST) have one home, the `unit/crypto-*` Assay suites (Suites/unit/Crypto*.swift), which
/// CI also runs under AddressSanitizer and tools/valgrind runs under memcheck (docs/testing.md).
@Suite struct AEADTests {
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
