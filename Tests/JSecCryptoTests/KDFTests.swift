import Testing
import JSecCrypto

@Suite struct KDFTests {
    @Test func hkdfRFC5869() throws {
        let okm1 = try KDF.hkdf(
            .sha256, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: hex("000102030405060708090a0b0c"),
            info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(okm1.hexString == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        let okm3 = try KDF.hkdf(.sha256, inputKey: [UInt8](repeating: 0x0b, count: 22), salt: [UInt8](), info: [UInt8](), length: 42)
        #expect(okm3.hexString == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        #expect(throws: JSecError.self) { try KDF.hkdf(.sha256, inputKey: [1], salt: [UInt8](), info: [UInt8](), length: 255 * 32 + 1) }
    }

    @Test func pbkdf2RFC6070AndRFC7914() throws {
        #expect(
            try KDF.pbkdf2(.sha1, password: "password", salt: bytes("salt"), iterations: 1, length: 20).hexString == "0c60c80f961f0e71f3a9b524af6012062fe037a6")
        #expect(
            try KDF.pbkdf2(.sha1, password: "password", salt: bytes("salt"), iterations: 2, length: 20).hexString == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
        #expect(
            try KDF.pbkdf2(.sha1, password: "password", salt: bytes("salt"), iterations: 4096, length: 20).hexString
                == "4b007901b765489abead49d926f721d065a429c1")
        #expect(
            try KDF.pbkdf2(.sha256, password: "passwd", salt: bytes("salt"), iterations: 1, length: 64).hexString
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        #expect(throws: JSecError.self) { try KDF.pbkdf2(.sha256, password: "x", salt: bytes("salt"), iterations: 0, length: 32) }
        #expect(throws: JSecError.self) { try KDF.pbkdf2(.sha256, password: "x", salt: bytes("salt"), iterations: 1, length: 2000) }
    }

    @Test func scryptRFC7914() throws {
        #expect(
            try KDF.scrypt(password: [UInt8](), salt: [UInt8](), n: 16, r: 1, p: 1, length: 64).hexString
                == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        #expect(
            try KDF.scrypt(password: bytes("password"), salt: bytes("NaCl"), n: 1024, r: 8, p: 16, length: 64).hexString
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
        #expect(throws: JSecError.self) { try KDF.scrypt(password: [1], salt: [2], n: 1000, r: 8, p: 1, length: 32) }
        #expect(throws: JSecError.self) { try KDF.scrypt(password: [1], salt: [2], n: 1 << 30, r: 8, p: 1, length: 32) }
    }

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
