internal import CJSecOpenSSL
import Foundation

/// Ciphers for encrypting a PKCS#8 private key with a password.
public enum KeyEncryptionCipher: String, Sendable, Hashable, CaseIterable {
    case aes128CBC = "AES-128-CBC"
    case aes256CBC = "AES-256-CBC"
}

/// Key encodings that ``PrivateKey/convert(_:to:password:newPassword:)`` produces.
public enum KeyFormat: String, Sendable, Hashable, CaseIterable {
    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`, or `BEGIN ENCRYPTED PRIVATE KEY` with a password).
    case pem
    /// PKCS#8 DER (an EncryptedPrivateKeyInfo with a password).
    case der
}

extension PrivateKey {
    /// Parses a DER private key: PKCS#8 (encrypted when `password` is given), or traditional RSA/EC.
    ///
    /// - Throws: ``JSecError`` with category `.crypto` when `der` is empty, or with code
    ///   `.openSSL(library:reason:)` when it is malformed, not a private key, or `password` is wrong; category
    ///   `.configuration` when `der` is larger than 1 MiB (the input limit for keys).
    public convenience init(der: [UInt8], password: String? = nil) throws {
        guard !der.isEmpty else { throw JSecError(.crypto, "empty DER private key", code: .jsec(.malformedInput)) }
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        var key: OpaquePointer?
        if let password {
            let bio = MemoryBIO(der)
            key = password.withCString { pw in
                d2i_PKCS8PrivateKey_bio(bio.bio, nil, pemPasswordCallback, UnsafeMutableRawPointer(mutating: pw))
            }
        } else {
            key = der.withUnsafeBufferPointer { buf in
                var p: UnsafePointer<UInt8>? = buf.baseAddress
                return d2i_AutoPrivateKey(nil, &p, buf.count)
            }
        }
        guard let key else {
            throw JSecError.openSSL(
                .crypto,
                password == nil
                    ? "cannot parse the DER private key (malformed, not a private key, or encrypted)"
                    : "cannot parse the encrypted DER private key (malformed, or wrong password)")
        }
        self.init(taking: key)
    }

    /// Parses PEM or DER, detecting which (jsec's `load-key`).
    public convenience init(bytes: [UInt8], password: String? = nil) throws {
        switch FormatDetector.detect(bytes) {
        case .pem: try self.init(pem: String(decoding: bytes, as: UTF8.self), password: password)
        default: try self.init(der: bytes, password: password)
        }
    }

    /// A raw Ed25519 or X25519 private key (32 bytes, RFC 8032 / RFC 7748).
    public convenience init(raw: [UInt8], type: KeyType) throws {
        let name: String
        switch type {
        case .ed25519: name = "ED25519"
        case .x25519: name = "X25519"
        default: throw JSecError(.configuration, "raw private keys are only supported for Ed25519 and X25519", code: .jsec(.wrongKeyType))
        }
        guard raw.count == 32 else { throw JSecError(.crypto, "a raw \(name) private key is 32 bytes, got \(raw.count)", code: .jsec(.malformedInput)) }
        OpenSSLErrorQueue.clear()
        guard let key = EVP_PKEY_new_raw_private_key_ex(nil, name, nil, raw, raw.count) else {
            throw JSecError.openSSL(.crypto, "invalid raw \(name) private key")
        }
        self.init(taking: key)
    }

    /// Unencrypted PKCS#8 DER.
    public var der: [UInt8] {
        get throws {
            OpenSSLErrorQueue.clear()
            let bio = MemoryBIO()
            guard i2d_PKCS8PrivateKey_bio(bio.bio, pkey, nil, nil, 0, nil, nil) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot encode the private key as PKCS#8 DER")
            }
            return bio.readAll()
        }
    }

    /// PKCS#8 PEM encrypted with `password` (PBES2, PBKDF2-HMAC-SHA256, `cipher`).
    public func pem(password: String, cipher: KeyEncryptionCipher = .aes256CBC) throws -> String {
        String(decoding: try encrypted(password: password, cipher: cipher, pem: true), as: UTF8.self)
    }

    /// PKCS#8 DER (EncryptedPrivateKeyInfo) encrypted with `password`.
    public func der(password: String, cipher: KeyEncryptionCipher = .aes256CBC) throws -> [UInt8] {
        try encrypted(password: password, cipher: cipher, pem: false)
    }

    private func encrypted(password: String, cipher: KeyEncryptionCipher, pem: Bool) throws -> [UInt8] {
        guard !password.isEmpty else { throw JSecError(.configuration, "an empty password cannot encrypt a key", code: .jsec(.invalidArgument)) }
        OpenSSLErrorQueue.clear()
        guard let c = EVP_CIPHER_fetch(nil, cipher.rawValue, nil) else { throw JSecError.openSSL(.crypto, "cipher \(cipher.rawValue) unavailable") }
        defer { EVP_CIPHER_free(c) }
        let bio = MemoryBIO()
        let pw = Array(password.utf8CString)
        let ok = pw.withUnsafeBufferPointer { p -> Int32 in
            let ptr = UnsafeMutablePointer(mutating: p.baseAddress!)
            return pem
                ? PEM_write_bio_PKCS8PrivateKey(bio.bio, pkey, c, ptr, Int32(pw.count - 1), nil, nil)
                : i2d_PKCS8PrivateKey_bio(bio.bio, pkey, c, ptr, Int32(pw.count - 1), nil, nil)
        }
        guard ok == 1 else { throw JSecError.openSSL(.crypto, "cannot encrypt the private key") }
        return bio.readAll()
    }

    /// The key in `format`, encrypted when `password` is given.
    public func export(_ format: KeyFormat, password: String? = nil, cipher: KeyEncryptionCipher = .aes256CBC) throws -> [UInt8] {
        switch (format, password) {
        case (.pem, nil): return Array(try pem.utf8)
        case (.der, nil): return try der
        case (.pem, let pw?): return Array(try pem(password: pw, cipher: cipher).utf8)
        case (.der, let pw?): return try der(password: pw, cipher: cipher)
        }
    }

    /// Re-encodes a PEM or DER private key (jsec's `convert-key`).
    public static func convert(_ data: [UInt8], to format: KeyFormat, password: String? = nil, newPassword: String? = nil) throws -> [UInt8] {
        try PrivateKey(bytes: data, password: password).export(format, password: newPassword)
    }

    /// The public half.
    /// The public half (a separate key object holding no private material).
    public var publicKey: PublicKey {
        get throws { try PublicKey(der: KeyEncoding.publicDER(pkey)) }
    }

    /// Public key as SubjectPublicKeyInfo DER.
    public var publicKeyDER: [UInt8] { get throws { try KeyEncoding.publicDER(pkey) } }

    /// Raw private key bytes for Ed25519/X25519 (nil for other types).
    public var rawPrivateKey: [UInt8]? {
        let id = EVP_PKEY_get_base_id(pkey)
        guard id == EVP_PKEY_ED25519 || id == EVP_PKEY_X25519 else { return nil }
        var len = 32
        var out = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_private_key(pkey, &out, &len) == 1 else { ERR_clear_error(); return nil }
        return Array(out.prefix(len))
    }

    public var info: KeyInfo { KeyInfo(pkey, encrypted: false, isPrivate: true) }

    /// Key information of a PEM/DER key without needing the password when it is encrypted
    /// only for the `encrypted` flag: an encrypted key still needs `password` for type/bits.
    public static func info(of data: [UInt8], password: String? = nil) throws -> KeyInfo {
        let text = String(decoding: data.prefix(4096), as: UTF8.self)
        let encrypted = text.contains("ENCRYPTED")
        let key = try PrivateKey(bytes: data, password: password)
        return KeyInfo(key.pkey, encrypted: encrypted || password != nil, isPrivate: true)
    }

    /// Whether `other` is the public half of this key.
    public func matches(_ other: PublicKey) -> Bool { EVP_PKEY_eq(pkey, other.pkey) == 1 }

    /// Diffie–Hellman: X25519 or ECDH on the same P-curve (jsec's `ecdh-derive`).
    public func sharedSecret(with peer: PublicKey) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { throw JSecError.openSSL(.crypto, "cannot create a derive context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) == 1 else { throw JSecError.openSSL(.crypto, "\(algorithm) keys cannot derive a shared secret") }
        guard EVP_PKEY_derive_set_peer(ctx, peer.pkey) == 1 else {
            throw JSecError.openSSL(.crypto, "peer key (\(peer.algorithm)) does not match this \(algorithm) key")
        }
        var len = 0
        guard EVP_PKEY_derive(ctx, nil, &len) == 1 else { throw JSecError.openSSL(.crypto, "derive failed") }
        var out = [UInt8](repeating: 0, count: len)
        guard EVP_PKEY_derive(ctx, &out, &len) == 1 else { throw JSecError.openSSL(.crypto, "derive failed") }
        return Array(out.prefix(len))
    }
}

/// Guessing whether bytes are PEM or DER (jsec's `detect-format`).
public enum FormatDetector {
    public enum Format: String, Sendable { case pem, der, unknown }

    public static func detect(_ data: some Collection<UInt8>) -> Format {
        let head = Array(data.prefix(8192))
        if let s = String(bytes: head, encoding: .utf8), s.contains("-----BEGIN ") { return .pem }
        if head.first == 0x30, head.count >= 2 { return .der }
        return .unknown
    }
}
