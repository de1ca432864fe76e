import JSec
import JSecCrypto

/// JSecCrypto's primitives, each with known answers (FIPS, RFC, NIST vectors) and with bad input
/// that must be a typed ``JSecError`` of the right category.
enum CryptoPrimitives {
    static func h(_ text: String) throws -> [UInt8] { try Hex.decode(text) }
    static func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// FIPS 180-4 / 202 and RFC 7693 "abc" digests, one-shot and streaming; bad names and use after finalize.
    static func digests() throws {
        let abc: [(DigestAlgorithm, String)] = [
            (.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (.sha224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
            (.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (.sha384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
            (.sha512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
            (.sha3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
            (.sha3_512, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"),
            (.blake2b512, "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"),
            (.blake2s256, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"),
        ]
        try checkEqual(abc.count, DigestAlgorithm.allCases.count, "a vector for every digest")
        for (alg, expected) in abc {
            try checkEqual(try Digest.hash(alg, utf8("abc")).hexString, expected, "\(alg)(abc)")
            try checkEqual(alg.outputSize * 2, expected.count, "\(alg) output size")
            try checkEqual(try DigestAlgorithm(name: alg.description), alg, "name round trip")
            let d = try Digest(alg)
            try d.update(utf8("a"))
            try d.update(utf8("bc"))
            try checkEqual(try d.finalize().hexString, expected, "\(alg) streamed")
            try checkThrowsJSecSync(.usage, "\(alg) update after finalize") { try d.update([1]) }
            try checkThrowsJSecSync(.usage, "\(alg) finalize twice") { _ = try d.finalize() }
        }
        try checkEqual(try Digest.hash(.sha256, [UInt8]()).hexString, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing")
        // FIPS 180-2 appendix B.2 (two blocks) and B.3 (a million 'a', streamed in 1,000-byte pieces).
        try checkEqual(
            try Digest.hash(.sha256, utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hexString,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "SHA-256 two blocks")
        let million = try Digest(.sha256)
        let thousand = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { try million.update(thousand) }
        try checkEqual(try million.finalize().hexString, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "SHA-256 of a million a")
        try checkEqual(try DigestAlgorithm(name: "SHA-256"), .sha256, "SHA-256 spelling")
        try checkThrowsJSecSync(.configuration, "unknown digest") { _ = try DigestAlgorithm(name: "md4") }
    }

    /// RFC 4231 HMAC cases 1 and 2; streaming; verification; constant-time compare; random bytes.
    static func hmacAndRandom() throws {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        try checkEqual(
            try HMAC.authenticationCode(.sha256, key: key1, data: utf8("Hi There")).hexString,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "RFC 4231 case 1")
        try checkEqual(
            try HMAC.authenticationCode(.sha512, key: key1, data: utf8("Hi There")).hexString,
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            "RFC 4231 case 1, SHA-512")
        let jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        try checkEqual(try HMAC.authenticationCode(.sha256, key: utf8("Jefe"), data: utf8("what do ya want for nothing?")).hexString, jefe, "case 2")
        let mac = try HMAC(.sha256, key: utf8("Jefe"))
        try mac.update(utf8("what do ya want "))
        try mac.update(utf8("for nothing?"))
        try checkEqual(try mac.finalize().hexString, jefe, "streamed")
        try checkThrowsJSecSync(.usage, "HMAC update after finalize") { try mac.update([1]) }
        let tag = try h(jefe)
        try check(try HMAC.isValid(tag, .sha256, key: utf8("Jefe"), data: utf8("what do ya want for nothing?")), "valid MAC")
        try check(try !HMAC.isValid(tag, .sha256, key: utf8("Jefe"), data: utf8("what do ya want for nothing!")), "MAC of other data")
        try check(try !HMAC.isValid(tag.dropLast(), .sha256, key: utf8("Jefe"), data: utf8("what do ya want for nothing?")), "short MAC")
        try check(
            ConstantTime.equal([1, 2, 3], [1, 2, 3]) && !ConstantTime.equal([1, 2, 3], [1, 2, 4]) && !ConstantTime.equal([1], [1, 1]),
            "ConstantTime.equal")
        let a = try SecureRandom.bytes(32), b = try SecureRandom.bytes(32)
        try check(a.count == 32 && a != b, "two random draws differ")
        try checkEqual(try SecureRandom.bytes(0), [], "zero bytes")
        try checkEqual(try SecureRandom.challenge().count, 16, "default challenge")
        try checkThrowsJSecSync(.configuration, "negative count") { _ = try SecureRandom.bytes(-1) }
        try checkThrowsJSecSync(.configuration, "too many bytes") { _ = try SecureRandom.bytes(SecureRandom.maximumCount + 1) }
        try checkThrowsJSecSync(.configuration, "short challenge") { _ = try SecureRandom.challenge(length: 7) }
        try checkThrowsJSecSync(.configuration, "long challenge") { _ = try SecureRandom.challenge(length: 65) }
    }

    /// RFC 4648 base64 (and the URL alphabet) and hex.
    static func encodings() throws {
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            try checkEqual(Base64.encode(utf8(plain)), enc, "base64(\(plain))")
            try checkEqual(try Base64.decode(enc), utf8(plain), "unbase64(\(enc))")
        }
        let raw: [UInt8] = [0xfb, 0xff, 0xfe, 0x01]
        try checkEqual(Base64.encodeURL(raw), "-__-AQ", "base64url")
        try checkEqual(try Base64.decodeURL("-__-AQ"), raw, "base64url decode")
        try checkThrowsJSecSync(.configuration, "bad base64") { _ = try Base64.decode("!!!") }
        try checkThrowsJSecSync(.configuration, "standard alphabet given to decodeURL") { _ = try Base64.decodeURL("+//+AQ") }
        try checkEqual(try Hex.decode("DE:ad be\nEF"), [0xde, 0xad, 0xbe, 0xef], "hex with separators")
        try checkEqual([0x00, 0x0f, 0xff].hexString, "000fff", "hexString")
        try checkThrowsJSecSync(.configuration, "odd hex") { _ = try Hex.decode("abc") }
        try checkThrowsJSecSync(.configuration, "non-hex") { _ = try Hex.decode("zz") }
    }

    /// An algorithm the loaded providers lack is a `.crypto` error naming it, never a process abort (issue 12 item 7),
    /// and algorithms are fetched one at a time when first used. "The providers lack it" is a fetcher whose
    /// property query no provider can satisfy (`provider=` names the provider; none is called that): what a
    /// FIPS-only OpenSSL answers for BLAKE2, for every algorithm.
    static func missingAlgorithm() throws {
        let absent = AlgorithmFetcher(properties: "provider=jsec-no-such-provider")
        for alg in DigestAlgorithm.allCases {
            let e = try checkThrowsJSecSync(.crypto, "digest \(alg) from providers that lack it") { _ = try absent.digest(alg) }
            try check(e.message.contains(alg.openSSLName), "the error names \(alg.openSSLName): \(e.message)")
        }
        for alg in AEADAlgorithm.allCases {
            let e = try checkThrowsJSecSync(.crypto, "cipher \(alg) from providers that lack it") { _ = try absent.cipher(alg) }
            try check(e.message.contains(alg.openSSLName), "the error names \(alg.openSSLName): \(e.message)")
        }
        let e = try checkThrowsJSecSync(.crypto, "HMAC from providers that lack it") { _ = try absent.hmac() }
        try check(e.message.contains("HMAC"), "the error names HMAC: \(e.message)")
        // Lazy: a fresh fetcher holds nothing; asking for SHA-256 fetches SHA-256 only.
        let lazy = AlgorithmFetcher(properties: nil)
        try checkEqual(lazy.cachedDigests, [], "nothing fetched up front")
        _ = try lazy.digest(.sha256)
        try checkEqual(lazy.cachedDigests, [.sha256], "only what was asked for is fetched")
        try checkEqual(
            try Digest.hash(.sha256, utf8("abc")).hexString,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "the library's digests still work")
    }

    /// RFC 5869 HKDF, RFC 6070 PBKDF2, RFC 7914 scrypt; out-of-range parameters.
    static func kdfs() throws {
        try checkEqual(
            try KDF.hkdf(
                .sha256, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: h("000102030405060708090a0b0c"),
                info: h("f0f1f2f3f4f5f6f7f8f9"), length: 42
            ).hexString,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", "RFC 5869 case 1")
        try checkEqual(
            try KDF.hkdf(.sha256, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: [UInt8](), info: [UInt8](), length: 42).hexString,
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", "RFC 5869 case 3")
        // SHA-384 and SHA-512 (RFC 5869 has SHA-256 and SHA-1 vectors only): RFC 5869's case 1, 2 and 3 inputs with
        // the other digest. Expected values computed with Python `cryptography` 48.0.0
        // (HKDF(hashes.SHA384()/SHA512(), length, salt, info).derive(ikm)), and agreeing with a from-the-RFC
        // HKDF over Python's stdlib `hmac` and with `openssl kdf -kdfopt digest:SHA384|SHA512 … HKDF`.
        let case2IKM = [UInt8](0x00...0x4f), case2Salt = [UInt8](0x60...0xaf), case2Info = [UInt8](0xb0...0xff)
        let wide: [(DigestAlgorithm, String, String, String)] = [
            (
                .sha384, "9b5097a86038b805309076a44b3a9f38063e25b516dcbf369f394cfab43685f748b6457763e4f0204fc5",
                "484ca052b8cc724fd1c4ec64d57b4e818c7e25a8e0f4569ed72a6a05fe0649eebf69f8d5c832856bf4e4fbc17967d54975324a94987f7f41835817d8994fdbd6f4c09c5500dca24a56222fea53d8967a8b2e",
                "c8c96e710f89b0d7990bca68bcdec8cf854062e54c73a7abc743fade9b242daacc1cea5670415b52849c"
            ),
            (
                .sha512, "832390086cda71fb47625bb5ceb168e4c8e26a1a16ed34d9fc7fe92c1481579338da362cb8d9f925d7cb",
                "ce6c97192805b346e6161e821ed165673b84f400a2b514b2fe23d84cd189ddf1b695b48cbd1c8388441137b3ce28f16aa64ba33ba466b24df6cfcb021ecff235f6a2056ce3af1de44d572097a8505d9e7a93",
                "f5fa02b18298a72a8c23898a8703472c6eb179dc204c03425c970e3b164bf90fff22d04836d0e2343bac"
            ),
        ]
        for (digest, case1, case2, case3) in wide {
            try checkEqual(
                try KDF.hkdf(
                    digest, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: h("000102030405060708090a0b0c"),
                    info: h("f0f1f2f3f4f5f6f7f8f9"), length: 42
                ).hexString, case1, "HKDF-\(digest) case 1 inputs")
            try checkEqual(
                try KDF.hkdf(digest, inputKey: case2IKM, salt: case2Salt, info: case2Info, length: 82).hexString,
                case2, "HKDF-\(digest) case 2 inputs (82 bytes: two blocks)")
            try checkEqual(
                try KDF.hkdf(digest, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: [UInt8](), info: [UInt8](), length: 42).hexString,
                case3, "HKDF-\(digest) case 3 inputs (no salt, no info)")
            _ = try KDF.hkdf(digest, inputKey: [1], salt: [UInt8](), info: [UInt8](), length: 255 * digest.outputSize)
            try checkThrowsJSecSync(.configuration, "HKDF-\(digest) longer than 255 blocks") {
                _ = try KDF.hkdf(digest, inputKey: [1], salt: [UInt8](), info: [UInt8](), length: 255 * digest.outputSize + 1)
            }
        }
        try checkThrowsJSecSync(.configuration, "HKDF too long") {
            _ = try KDF.hkdf(.sha256, inputKey: [1], salt: [UInt8](), info: [UInt8](), length: 255 * 32 + 1)
        }
        try checkThrowsJSecSync(.configuration, "HKDF zero length") { _ = try KDF.hkdf(.sha256, inputKey: [1], salt: [UInt8](), info: [UInt8](), length: 0) }
        for (iterations, expected) in [
            (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"), (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (4096, "4b007901b765489abead49d926f721d065a429c1"),
        ] {
            try checkEqual(
                try KDF.pbkdf2(.sha1, password: "password", salt: utf8("salt"), iterations: iterations, length: 20).hexString,
                expected, "RFC 6070 c=\(iterations)")
        }
        try checkEqual(
            try KDF.pbkdf2(.sha256, password: utf8("passwd"), salt: utf8("salt"), iterations: 1, length: 64).hexString,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
            "RFC 7914 PBKDF2-SHA256")
        try checkThrowsJSecSync(.configuration, "PBKDF2 zero iterations") {
            _ = try KDF.pbkdf2(.sha256, password: "x", salt: utf8("s"), iterations: 0, length: 32)
        }
        try checkThrowsJSecSync(.configuration, "PBKDF2 too long") { _ = try KDF.pbkdf2(.sha256, password: "x", salt: utf8("s"), iterations: 1, length: 1025) }
        try checkEqual(
            try KDF.scrypt(password: [UInt8](), salt: [UInt8](), n: 16, r: 1, p: 1, length: 64).hexString,
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
            "RFC 7914 scrypt 1")
        try checkEqual(
            try KDF.scrypt(password: utf8("password"), salt: utf8("NaCl"), n: 1024, r: 8, p: 16, length: 64).hexString,
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
            "RFC 7914 scrypt 2")
        try checkThrowsJSecSync(.configuration, "scrypt N not a power of two") { _ = try KDF.scrypt(password: [1], salt: [2], n: 1000, r: 8, p: 1, length: 32) }
    }

    /// GCM spec test case 3 (NIST), RFC 8439 §2.8.2; tampering with anything is a `.crypto` error.
    static func aead() throws {
        let key = try h("feffe9928665731c6d6a8f9467308308"), iv = try h("cafebabefacedbaddecaf888")
        let pt = try h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
        let box = try AEAD.seal(.aes128GCM, key: key, nonce: iv, plaintext: pt)
        try checkEqual(
            box.ciphertext.hexString,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            "GCM case 3 ciphertext")
        try checkEqual(box.tag.hexString, "4d5c2af327cd64a62cf35abd2ba6fab4", "GCM case 3 tag")
        try checkEqual(box.combined.count, 12 + pt.count + 16, "combined")
        try checkEqual(try AEAD.open(.aes128GCM, key: key, box: box), pt, "GCM open")
        // Test case 4: the first 60 bytes, with additional data.
        let aad4 = try h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let box4 = try AEAD.seal(.aes128GCM, key: key, nonce: iv, plaintext: Array(pt.prefix(60)), aad: aad4)
        try checkEqual(box4.ciphertext, Array(box.ciphertext.prefix(60)), "GCM case 4 ciphertext")
        try checkEqual(box4.tag.hexString, "5bc94fbc3221a5db94fae95ae7121a47", "GCM case 4 tag")
        try checkEqual(try AEAD.open(.aes128GCM, key: key, box: box4, aad: aad4), Array(pt.prefix(60)), "GCM case 4 open")
        let ckey = try h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"), aad = try h("50515253c0c1c2c3c4c5c6c7")
        let sun = utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
        let cbox = try AEAD.seal(.chacha20Poly1305, key: ckey, nonce: h("070000004041424344454647"), plaintext: sun, aad: aad)
        try checkEqual(
            cbox.ciphertext.hexString,
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
            "RFC 8439 ciphertext")
        try checkEqual(cbox.tag.hexString, "1ae10b594f09e26a7e902ecbd0600691", "RFC 8439 tag")
        try checkEqual(try AEAD.open(.chacha20Poly1305, key: ckey, box: cbox, aad: aad), sun, "ChaCha20-Poly1305 open")
        for alg in AEADAlgorithm.allCases {
            let info = AEAD.info(alg)
            try check(info.isAEAD && info.keyLength == alg.keyLength && info.nonceLength == 12 && info.tagLength == 16, "info \(info)")
            try checkEqual(try AEADAlgorithm(name: alg.description), alg, "name round trip")
            let k = try AEAD.generateKey(alg)
            let sealed = try AEAD.seal(alg, key: k, plaintext: pattern(1000), aad: [9])
            try checkEqual(sealed.nonce.count, alg.nonceLength, "generated nonce")
            var badTag = sealed.tag; badTag[0] ^= 1
            var badCT = sealed.ciphertext; badCT[500] ^= 0x80
            var badKey = k; badKey[0] ^= 1
            try checkThrowsJSecSync(.crypto, "\(alg) tampered tag") {
                _ = try AEAD.open(alg, key: k, nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: badTag, aad: [9])
            }
            try checkThrowsJSecSync(.crypto, "\(alg) tampered ciphertext") {
                _ = try AEAD.open(alg, key: k, nonce: sealed.nonce, ciphertext: badCT, tag: sealed.tag, aad: [9])
            }
            try checkThrowsJSecSync(.crypto, "\(alg) wrong AAD") { _ = try AEAD.open(alg, key: k, box: sealed, aad: [8]) }
            try checkThrowsJSecSync(.crypto, "\(alg) wrong key") { _ = try AEAD.open(alg, key: badKey, box: sealed, aad: [9]) }
            try checkThrowsJSecSync(.configuration, "\(alg) short key") { _ = try AEAD.seal(alg, key: [1, 2, 3], plaintext: [1]) }
            try checkThrowsJSecSync(.configuration, "\(alg) empty nonce") { _ = try AEAD.seal(alg, key: k, nonce: [], plaintext: [1]) }
        }
        try checkThrowsJSecSync(.configuration, "unknown AEAD") { _ = try AEADAlgorithm(name: "aes-128-ccm") }
    }

    /// NIST SP 800-38A F.2.5 (AES-256-CBC); bad padding, bad lengths.
    static func blockCipher() throws {
        let key = try h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"), iv = try h("000102030405060708090a0b0c0d0e0f")
        let block = try h("6bc1bee22e409f96e93d7e117393172a")
        let ct = try BlockCipher.encrypt(.aes256CBC, key: key, iv: iv, plaintext: block)
        try checkEqual(ct.prefix(16).hexString, "f58c4c04d6e5f1ba779eabfb5f7bfbd6", "SP 800-38A F.2.5 block 1")
        try checkEqual(ct.count, 32, "one block plus PKCS#7 padding")
        try checkEqual(try BlockCipher.decrypt(.aes256CBC, key: key, iv: iv, ciphertext: ct), block, "decrypt")
        for alg in BlockCipher.Algorithm.allCases {
            let info = BlockCipher.info(alg)
            try check(!info.isAEAD && info.keyLength == alg.keyLength, "info \(info)")
        }
        try checkThrowsJSecSync(.crypto, "wrong key: bad padding") {
            _ = try BlockCipher.decrypt(.aes256CBC, key: [UInt8](repeating: 7, count: 32), iv: iv, ciphertext: ct)
        }
        try checkThrowsJSecSync(.crypto, "ciphertext not a whole number of blocks") {
            _ = try BlockCipher.decrypt(.aes256CBC, key: key, iv: iv, ciphertext: ct.dropLast())
        }
        try checkThrowsJSecSync(.configuration, "short key") { _ = try BlockCipher.encrypt(.aes128CBC, key: [1], iv: iv, plaintext: block) }
        try checkThrowsJSecSync(.configuration, "short IV") { _ = try BlockCipher.encrypt(.aes128CBC, key: key.prefix(16), iv: [1], plaintext: block) }
    }
}
