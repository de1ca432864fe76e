import Assay
import JSec

/// JSecCrypto's public API in the unit category (issue 7 item 2): every call with good input
/// (known answers from FIPS/NIST/RFC vectors where they exist) and with bad input (a typed error).
package let cryptoPrimitivesSuite = Suite(
    "crypto-primitives", category: "unit",
    description: "digests, HMAC, random, base64/hex, KDFs, AEAD, AES-CBC", timeout: 120
) {
    Test("digests") { _ in try CryptoPrimitives.digests() }
    Test("HMAC and random") { _ in try CryptoPrimitives.hmacAndRandom() }
    Test("base64 and hex") { _ in try CryptoPrimitives.encodings() }
    Test("KDFs") { _ in try CryptoPrimitives.kdfs() }
    Test("missing algorithm is a typed error") { _ in try CryptoPrimitives.missingAlgorithm() }
    Test("AEAD") { _ in try CryptoPrimitives.aead() }
    Test("AES-CBC") { _ in try CryptoPrimitives.blockCipher() }
}

package let cryptoKeysSuite = Suite(
    "crypto-keys", category: "unit",
    description: "keys, signatures, RSA encryption, ECDH/X25519, EC points", timeout: 180
) {
    MatrixTest(
        "key round trips", matrix: .inline(["key-type": ["rsa2048", "p256", "p384", "p521", "ed25519", "x25519"]]),
        ensured: [["key-type": "p256"]]
    ) { ctx in
        try CryptoKeys.roundTrips(KeyType(name: ctx.string("key-type")))
    }
    Test("bad keys") { _ in try CryptoKeys.badKeys() }
    Test("signatures") { _ in try CryptoKeys.signatures() }
    Test("RSA encryption") { _ in try CryptoKeys.rsaEncryption() }
    Test("key agreement and EC points") { _ in try CryptoKeys.keyAgreementAndPoints() }
}

package let cryptoPKISuite = Suite(
    "crypto-pki", category: "unit",
    description: "certificates, CA, CSR, CRL, chain verification, OCSP, PKCS#12, CMS", timeout: 180
) {
    Test("certificates") { _ in try CryptoPKI.certificates() }
    Test("certificate authority") { _ in try CryptoPKI.authority() }
    Test("OCSP") { _ in try CryptoPKI.ocsp() }
    Test("PKCS#12") { _ in try CryptoPKI.pkcs12() }
    Test("CMS") { _ in try CryptoPKI.cms() }
    Test("CRL without an authority key identifier is an error") { _ in try CryptoPKI.crlWithoutAuthorityKeyIdentifier() }
}

package let cryptoSupportSuite = Suite(
    "crypto-support", category: "unit",
    description: "MemoryBIO, JSecError and the OpenSSL error queue, backend info, IP and DN parsing", timeout: 60
) {
    Test("memory BIO") { _ in try CryptoSupport.memoryBIO() }
    Test("errors and small parsers") { _ in try CryptoSupport.errors() }
}
