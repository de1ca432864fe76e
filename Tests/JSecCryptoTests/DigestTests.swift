import Testing
import JSecCrypto

/// Cross-checks against other implementations (the openssl CLI, Python). The known-answer vectors
/// (FIPS, RFC, NIST) have one home, the `unit/crypto-*` Assay suites (Suites/unit/Crypto*.swift), which
/// CI also runs under AddressSanitizer and tools/valgrind runs under memcheck (docs/testing.md).
@Suite struct DigestTests {
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

}
