internal import CJSecOpenSSL

/// Unauthenticated AES-CBC with PKCS#7 padding (jsec's `:aes-128-cbc`/`:aes-256-cbc`), for
/// interoperating with formats that need it. Prefer ``AEAD``: CBC has no integrity protection.
public enum BlockCipher {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case aes128CBC = "AES-128-CBC"
        case aes256CBC = "AES-256-CBC"
        public var keyLength: Int { self == .aes128CBC ? 16 : 32 }
        public var ivLength: Int { 16 }
    }

    public static func info(_ algorithm: Algorithm) -> CipherInfo {
        CipherInfo(name: algorithm.rawValue.lowercased(), keyLength: algorithm.keyLength, nonceLength: algorithm.ivLength, tagLength: 0, isAEAD: false)
    }

    public static func encrypt(
        _ algorithm: Algorithm, key: some Collection<UInt8>, iv: some Collection<UInt8>, plaintext: some Collection<UInt8>
    ) throws -> [UInt8] {
        try run(algorithm, Array(key), Array(iv), Array(plaintext), encrypt: true)
    }

    /// Decrypts; bad padding (usually a wrong key or corrupted data) is a `.crypto` error.
    public static func decrypt(
        _ algorithm: Algorithm, key: some Collection<UInt8>, iv: some Collection<UInt8>, ciphertext: some Collection<UInt8>
    ) throws -> [UInt8] {
        try run(algorithm, Array(key), Array(iv), Array(ciphertext), encrypt: false)
    }

    private static func run(_ alg: Algorithm, _ key: [UInt8], _ iv: [UInt8], _ input: [UInt8], encrypt: Bool) throws -> [UInt8] {
        guard key.count == alg.keyLength else {
            throw JSecError(.configuration, "\(alg.rawValue) needs a \(alg.keyLength)-byte key, got \(key.count)", code: .jsec(.invalidArgument))
        }
        guard iv.count == alg.ivLength else {
            throw JSecError(.configuration, "\(alg.rawValue) needs a 16-byte IV, got \(iv.count)", code: .jsec(.invalidArgument))
        }
        guard input.count <= AEAD.maximumMessageLength else {
            throw JSecError(.configuration, "message of \(input.count) bytes is too large", code: .jsec(.inputTooLarge))
        }
        if !encrypt, input.isEmpty || input.count % 16 != 0 {
            throw JSecError(.crypto, "CBC ciphertext length \(input.count) is not a positive multiple of 16", code: .jsec(.malformedInput))
        }
        OpenSSLErrorQueue.clear()
        guard let cipher = EVP_CIPHER_fetch(nil, alg.rawValue, nil) else { throw JSecError.openSSL(.crypto, "cipher \(alg.rawValue) unavailable") }
        defer { EVP_CIPHER_free(cipher) }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw JSecError.openSSL(.crypto, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_CipherInit_ex2(ctx, cipher, key, iv, encrypt ? 1 : 0, nil) == 1 else { throw JSecError.openSSL(.crypto, "cannot initialise \(alg.rawValue)") }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var len: Int32 = 0, total = 0
        if !input.isEmpty {
            guard EVP_CipherUpdate(ctx, &out, &len, input, Int32(input.count)) == 1 else { throw JSecError.openSSL(.crypto, "\(alg.rawValue) update failed") }
            total = Int(len)
        }
        let ok = out.withUnsafeMutableBufferPointer { EVP_CipherFinal_ex(ctx, $0.baseAddress! + total, &len) }
        guard ok == 1 else {
            for i in out.indices { out[i] = 0 }
            let entries = OpenSSLErrorQueue.drainEntries()
            throw JSecError(
                .crypto, encrypt ? "\(alg.rawValue) final failed" : "\(alg.rawValue) decryption failed: bad padding (wrong key or corrupted data)",
                code: encrypt ? JSecError.Code(firstOf: entries) : .jsec(.authenticationFailed))
        }
        total += Int(len)
        return Array(out.prefix(total))
    }
}
