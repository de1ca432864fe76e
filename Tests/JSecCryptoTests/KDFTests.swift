import Testing
import JSecCrypto

/// Cross-checks against other implementations (the openssl CLI, Python). The known-answer vectors
/// (FIPS, RFC, NIST) have one home, the `unit/crypto-*` Assay suites (Suites/unit/Crypto*.swift), which
/// CI also runs under AddressSanitizer and tools/valgrind runs under memcheck (docs/testing.md).
@Suite struct KDFTests {
    @Test func crossCheckWithPython() throws {
        let ikm = try SecureRandom.bytes(32), salt = try SecureRandom.bytes(16)
        let ours = try KDF.hkdf(.sha384, inputKey: ikm, salt: salt, info: bytes("ctx"), length: 80)
        let pb = try KDF.pbkdf2(.sha512, password: ikm, salt: salt, iterations: 1000, length: 48)
        let script = """
            import sys
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
            from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
            ikm, salt = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
            print(HKDF(hashes.SHA384(), 80, salt, b"ctx").derive(ikm).hex())
            print(PBKDF2HMAC(hashes.SHA512(), 48, salt, 1000).derive(ikm).hex())
            """
        let r = try Peer.python(script, [ikm.hexString, salt.hexString])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.split(separator: "\n").map(String.init) == [ours.hexString, pb.hexString])
    }
}
