internal import CJSecOpenSSL

/// Key derivation functions through OpenSSL 3's `EVP_KDF`: HKDF (RFC 5869), PBKDF2 (RFC 8018), scrypt (RFC 7914).
public enum KDF {
    /// Largest output of one derivation.
    public static let maximumOutputLength = 1 << 16

    /// HKDF extract-and-expand.
    public static func hkdf(
        _ digest: DigestAlgorithm, inputKey: some Collection<UInt8>, salt: some Collection<UInt8>,
        info: some Collection<UInt8>, length: Int
    ) throws -> [UInt8] {
        guard length >= 1, length <= 255 * digest.outputSize else {
            throw JSecError(
                .configuration, "HKDF output length \(length) is out of range (1…\(255 * digest.outputSize) for \(digest))", code: .jsec(.invalidArgument))
        }
        guard digest != .blake2b512, digest != .blake2s256 else {
            throw JSecError(.configuration, "HKDF does not support \(digest)", code: .jsec(.unsupportedAlgorithm))
        }
        let p = ParamList()
        p.utf8("digest", digest.openSSLName)
        p.octets("key", inputKey)
        if !salt.isEmpty { p.octets("salt", salt) }
        if !info.isEmpty { p.octets("info", info) }
        return try derive("HKDF", p, length)
    }

    /// PBKDF2-HMAC. `iterations` ≥ 1; `length` 1…1024.
    public static func pbkdf2(
        _ digest: DigestAlgorithm, password: some Collection<UInt8>, salt: some Collection<UInt8>,
        iterations: Int, length: Int
    ) throws -> [UInt8] {
        guard (1...1024).contains(length) else {
            throw JSecError(.configuration, "PBKDF2 output length \(length) is out of range (1…1024)", code: .jsec(.invalidArgument))
        }
        guard (1...100_000_000).contains(iterations) else {
            throw JSecError(.configuration, "PBKDF2 iterations \(iterations) is out of range (1…10^8)", code: .jsec(.invalidArgument))
        }
        let p = ParamList()
        p.utf8("digest", digest.openSSLName)
        p.octets("pass", password)
        p.octets("salt", salt)
        p.uint64("iter", UInt64(iterations))
        p.int("pkcs5", 1)  // no SP 800-132 lower-bound checks: RFC 6070 vectors use short salts
        return try derive("PBKDF2", p, length)
    }

    /// PBKDF2 with a UTF-8 password.
    public static func pbkdf2(_ digest: DigestAlgorithm, password: String, salt: some Collection<UInt8>, iterations: Int, length: Int) throws -> [UInt8] {
        try pbkdf2(digest, password: Array(password.utf8), salt: salt, iterations: iterations, length: length)
    }

    /// scrypt. `n` is a power of two > 1; memory use is about 128·n·r bytes (limited to 1 GiB).
    public static func scrypt(password: some Collection<UInt8>, salt: some Collection<UInt8>, n: UInt64, r: UInt32, p: UInt32, length: Int) throws -> [UInt8] {
        guard n > 1, n & (n - 1) == 0 else {
            throw JSecError(.configuration, "scrypt N=\(n) must be a power of two greater than 1", code: .jsec(.invalidArgument))
        }
        guard r >= 1, p >= 1, (1...1024).contains(length) else {
            throw JSecError(.configuration, "scrypt parameters out of range (r, p ≥ 1; length 1…1024)", code: .jsec(.invalidArgument))
        }
        let memory = 128 * n.multipliedReportingOverflow(by: UInt64(r)).partialValue
        guard memory <= 1 << 30, n.multipliedReportingOverflow(by: UInt64(r)).overflow == false else {
            throw JSecError(.configuration, "scrypt N=\(n), r=\(r) needs more than 1 GiB", code: .jsec(.invalidArgument))
        }
        let params = ParamList()
        params.octets("pass", password)
        params.octets("salt", salt)
        params.uint64("n", n)
        params.uint32("r", r)
        params.uint32("p", p)
        params.uint64("maxmem_bytes", (1 << 30) + (1 << 24))
        return try derive("SCRYPT", params, length)
    }

    private static func derive(_ name: String, _ params: ParamList, _ length: Int) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let kdf = EVP_KDF_fetch(nil, name, nil) else { throw JSecError.openSSL(.crypto, "OpenSSL lacks KDF \(name)") }
        defer { EVP_KDF_free(kdf) }
        guard let ctx = EVP_KDF_CTX_new(kdf) else { throw JSecError.openSSL(.crypto, "EVP_KDF_CTX_new failed") }
        defer { EVP_KDF_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: length)
        let ok = params.withParams { EVP_KDF_derive(ctx, &out, length, $0) }
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "\(name) derivation failed") }
        return out
    }
}
