import Testing
import JSecCrypto

@Suite struct DigestTests {
    // FIPS 180-2 / NIST CAVP examples ("abc"), FIPS 202 SHA-3, RFC 7693 BLAKE2 appendix.
    static let abc: [(DigestAlgorithm, String)] = [
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

    @Test func knownAnswersABC() throws {
        for (alg, expected) in Self.abc {
            #expect(try Digest.hash(alg, bytes("abc")).hexString == expected, "\(alg)")
            #expect(alg.outputSize * 2 == expected.count)
        }
    }

    @Test func sha256TwoBlockAndMillionA() throws {
        #expect(
            try Digest.hash(.sha256, bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let d = try Digest(.sha256)
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { try d.update(chunk) }
        #expect(try d.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(throws: JSecError.self) { try d.update([1]) }
    }

    @Test func streamingEqualsOneShotAndOpenSSL() throws {
        let data = try SecureRandom.bytes(10_000)
        let dir = try TempDir()
        let file = try dir.write("data", data)
        for alg in DigestAlgorithm.allCases {
            let d = try Digest(alg)
            var i = 0
            while i < data.count { try d.update(data[i..<min(i + 777, data.count)]); i += 777 }
            let streamed = try d.finalize()
            #expect(streamed == (try Digest.hash(alg, data)))
            let r = try Peer.openssl(["dgst", "-\(alg.description)", "-r", file])
            #expect(r.status == 0)
            #expect(r.text.hasPrefix(streamed.hexString), "openssl \(alg)")
        }
        #expect(try Digest.hash(.sha256, [UInt8]()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacRFC4231() throws {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        #expect(
            try HMAC.authenticationCode(.sha256, key: key1, data: bytes("Hi There")).hexString
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            try HMAC.authenticationCode(.sha512, key: key1, data: bytes("Hi There")).hexString
                == "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        #expect(
            try HMAC.authenticationCode(.sha256, key: bytes("Jefe"), data: bytes("what do ya want for nothing?")).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let mac = try HMAC.authenticationCode(.sha384, key: key1, data: bytes("Hi There"))
        #expect(try HMAC.isValid(mac, .sha384, key: key1, data: bytes("Hi There")))
        #expect(try !HMAC.isValid(mac, .sha384, key: key1, data: bytes("Hi there")))
        let h = try HMAC(.sha256, key: bytes("Jefe"))
        try h.update(bytes("what do ya want "))
        try h.update(bytes("for nothing?"))
        #expect(try h.finalize().hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hmacEveryDigestMatchesPython() throws {
        let key = try SecureRandom.bytes(100), data = try SecureRandom.bytes(1000)  // key longer than some block sizes
        let names: [DigestAlgorithm: String] = [
            .sha1: "sha1", .sha224: "sha224", .sha256: "sha256", .sha384: "sha384", .sha512: "sha512",
            .sha3_256: "sha3_256", .sha3_512: "sha3_512", .blake2b512: "blake2b", .blake2s256: "blake2s",
        ]
        let script = """
            import sys, hmac, hashlib
            k, d = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
            for n in sys.argv[3:]: print(hmac.new(k, d, getattr(hashlib, n)).hexdigest())
            """
        let algs = DigestAlgorithm.allCases
        let r = try Peer.python(script, [key.hexString, data.hexString] + algs.map { names[$0]! })
        let theirs = r.text.split(separator: "\n").map(String.init)
        #expect(theirs.count == algs.count, "\(r.stderr)")
        for (alg, expected) in zip(algs, theirs) {
            #expect(try HMAC.authenticationCode(alg, key: key, data: data).hexString == expected, "HMAC-\(alg)")
        }
    }

    @Test func constantTimeAndRandom() throws {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
        let a = try SecureRandom.bytes(32), b = try SecureRandom.bytes(32)
        #expect(a.count == 32 && a != b)
        #expect(try SecureRandom.challenge().count == 16)
        #expect(throws: JSecError.self) { try SecureRandom.challenge(length: 4) }
        #expect(throws: JSecError.self) { try SecureRandom.bytes(-1) }
        #expect(throws: JSecError.self) { try SecureRandom.bytes(SecureRandom.maximumCount + 1) }
    }

    @Test func base64() throws {
        let cases: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, enc) in cases {  // RFC 4648 §10
            #expect(Base64.encode(bytes(plain)) == enc)
            #expect(try Base64.decode(enc) == bytes(plain))
        }
        let raw: [UInt8] = [0xfb, 0xff, 0xfe, 0x01]
        #expect(Base64.encode(raw) == "+//+AQ==")
        #expect(Base64.encodeURL(raw) == "-__-AQ")
        #expect(try Base64.decodeURL("-__-AQ") == raw)
        #expect(throws: JSecError.self) { try Base64.decode("!!!") }
        #expect(throws: JSecError.self) { try Base64.decodeURL("+//+AQ") }
    }
}
