internal import CJSecOpenSSL

/// RSA encryption padding.
public enum RSAEncryptionPadding: Sendable, Hashable {
    /// OAEP with MGF1 over the same digest (the default: SHA-256).
    case oaep(DigestAlgorithm)
    /// PKCS#1 v1.5 encryption padding (legacy; prefer OAEP).
    case pkcs1

    public static let oaepSHA256 = RSAEncryptionPadding.oaep(.sha256)
}

/// RSA-OAEP (and legacy PKCS#1 v1.5) encryption.
public enum RSAEncryption {
    /// The largest plaintext `key` can encrypt with `padding`: k − 2·hLen − 2 for OAEP, k − 11 for PKCS#1.
    public static func maximumPlaintextLength(for key: PublicKey, padding: RSAEncryptionPadding = .oaepSHA256) throws -> Int {
        try maximum(key.pkey, padding)
    }

    public static func encrypt(_ plaintext: some Collection<UInt8>, for key: PublicKey, padding: RSAEncryptionPadding = .oaepSHA256) throws -> [UInt8] {
        let max = try maximum(key.pkey, padding)
        guard plaintext.count <= max else {
            throw JSecError(
                .configuration, "plaintext of \(plaintext.count) bytes exceeds the \(max)-byte maximum for this key and padding", code: .jsec(.inputTooLarge))
        }
        return try run(key.pkey, Array(plaintext), padding, encrypt: true)
    }

    public static func decrypt(_ ciphertext: some Collection<UInt8>, with key: PrivateKey, padding: RSAEncryptionPadding = .oaepSHA256) throws -> [UInt8] {
        _ = try maximum(key.pkey, padding)
        return try run(key.pkey, Array(ciphertext), padding, encrypt: false)
    }

    static func maximum(_ pkey: OpaquePointer, _ padding: RSAEncryptionPadding) throws -> Int {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA else {
            throw JSecError(.crypto, "RSA encryption needs an RSA key, not \(PrivateKey.algorithmName(of: pkey))", code: .jsec(.wrongKeyType))
        }
        let k = Int(EVP_PKEY_get_size(pkey))
        switch padding {
        case .pkcs1: return k - 11
        case .oaep(let md): return k - 2 * md.outputSize - 2
        }
    }

    private static func run(_ pkey: OpaquePointer, _ input: [UInt8], _ padding: RSAEncryptionPadding, encrypt: Bool) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { throw JSecError.openSSL(.crypto, "cannot create an RSA context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 else {
            throw JSecError.openSSL(.crypto, "RSA \(encrypt ? "encrypt" : "decrypt") init failed")
        }
        switch padding {
        case .pkcs1:
            guard EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 else { throw JSecError.openSSL(.crypto, "cannot set PKCS#1 padding") }
        case .oaep(let md):
            let evp = try md.md()
            guard EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_oaep_md(ctx, evp) == 1,
                EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, evp) == 1
            else { throw JSecError.openSSL(.crypto, "cannot set OAEP-\(md) padding") }
        }
        var len = 0
        guard (encrypt ? EVP_PKEY_encrypt(ctx, nil, &len, input, input.count) : EVP_PKEY_decrypt(ctx, nil, &len, input, input.count)) == 1 else {
            throw JSecError.openSSL(.crypto, encrypt ? "RSA encryption failed" : "RSA decryption failed")
        }
        var out = [UInt8](repeating: 0, count: len)
        guard (encrypt ? EVP_PKEY_encrypt(ctx, &out, &len, input, input.count) : EVP_PKEY_decrypt(ctx, &out, &len, input, input.count)) == 1 else {
            throw JSecError.openSSL(.crypto, encrypt ? "RSA encryption failed" : "RSA decryption failed (wrong key, padding or corrupted ciphertext)")
        }
        return Array(out.prefix(len))
    }
}
