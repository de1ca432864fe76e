internal import CJSecOpenSSL

/// Authenticated ciphers.
public enum AEADAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case aes128GCM = "AES-128-GCM"
    case aes256GCM = "AES-256-GCM"
    case chacha20Poly1305 = "ChaCha20-Poly1305"

    public var openSSLName: String { rawValue }
    public var description: String { rawValue.lowercased() }
    public var keyLength: Int { self == .aes128GCM ? 16 : 32 }
    /// The standard (and default) nonce length: 12 bytes.
    public var nonceLength: Int { 12 }
    public var tagLength: Int { 16 }

    /// Parses `aes-128-gcm`, `aes-256-gcm`, `chacha20-poly1305`.
    public init(name: String) throws {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "aes-128-gcm", "aes128gcm": self = .aes128GCM
        case "aes-256-gcm", "aes256gcm": self = .aes256GCM
        case "chacha20-poly1305", "chacha20poly1305": self = .chacha20Poly1305
        default: throw JSecError(.configuration, "unknown AEAD algorithm '\(name)'", code: .jsec(.unknownName))
        }
    }
}

/// Description of a cipher (jsec's `cipher-info`).
public struct CipherInfo: Sendable, Hashable {
    public let name: String
    public let keyLength: Int
    public let nonceLength: Int
    public let tagLength: Int
    public let isAEAD: Bool
}

/// Ciphertext and tag of an AEAD encryption.
public struct SealedBox: Sendable, Hashable {
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let tag: [UInt8]
    /// nonce ‖ ciphertext ‖ tag.
    public var combined: [UInt8] { nonce + ciphertext + tag }
}

/// AES-GCM and ChaCha20-Poly1305 encryption with associated data.
public enum AEAD {
    /// Largest plaintext accepted in one call (64 MiB).
    public static let maximumMessageLength = 1 << 26

    public static func info(_ algorithm: AEADAlgorithm) -> CipherInfo {
        CipherInfo(
            name: algorithm.description, keyLength: algorithm.keyLength, nonceLength: algorithm.nonceLength,
            tagLength: algorithm.tagLength, isAEAD: true)
    }

    /// A fresh random key of the right length.
    public static func generateKey(_ algorithm: AEADAlgorithm) throws -> [UInt8] { try SecureRandom.bytes(algorithm.keyLength) }

    /// A fresh random 12-byte nonce. Never reuse a nonce with the same key.
    public static func generateNonce(_ algorithm: AEADAlgorithm) throws -> [UInt8] { try SecureRandom.bytes(algorithm.nonceLength) }

    /// Encrypts `plaintext`; a random nonce is generated when `nonce` is nil.
    public static func seal(
        _ algorithm: AEADAlgorithm, key: some Collection<UInt8>, nonce: [UInt8]? = nil,
        plaintext: some Collection<UInt8>, aad: some Collection<UInt8> = [UInt8]()
    ) throws -> SealedBox {
        let iv = try nonce ?? generateNonce(algorithm)
        let (out, tag) = try run(algorithm, encrypt: true, key: Array(key), nonce: iv, input: Array(plaintext), aad: Array(aad), tag: nil)
        return SealedBox(nonce: iv, ciphertext: out, tag: tag)
    }

    /// Decrypts and authenticates. A wrong key, nonce, AAD, ciphertext or tag throws a `.crypto` error
    /// ("authentication failed") and no plaintext is returned.
    public static func open(
        _ algorithm: AEADAlgorithm, key: some Collection<UInt8>, nonce: [UInt8], ciphertext: some Collection<UInt8>,
        tag: some Collection<UInt8>, aad: some Collection<UInt8> = [UInt8]()
    ) throws -> [UInt8] {
        try run(algorithm, encrypt: false, key: Array(key), nonce: nonce, input: Array(ciphertext), aad: Array(aad), tag: Array(tag)).0
    }

    /// Decrypts a ``SealedBox``.
    public static func open(_ algorithm: AEADAlgorithm, key: some Collection<UInt8>, box: SealedBox, aad: some Collection<UInt8> = [UInt8]()) throws -> [UInt8]
    {
        try open(algorithm, key: key, nonce: box.nonce, ciphertext: box.ciphertext, tag: box.tag, aad: aad)
    }

    private static func run(
        _ alg: AEADAlgorithm, encrypt: Bool, key: [UInt8], nonce: [UInt8], input: [UInt8], aad: [UInt8], tag: [UInt8]?
    ) throws -> ([UInt8], [UInt8]) {
        guard key.count == alg.keyLength else {
            throw JSecError(.configuration, "\(alg) needs a \(alg.keyLength)-byte key, got \(key.count)", code: .jsec(.invalidArgument))
        }
        let nonceOK = alg == .chacha20Poly1305 ? nonce.count == 12 : (1...128).contains(nonce.count)
        guard nonceOK else { throw JSecError(.configuration, "invalid nonce length \(nonce.count) for \(alg)", code: .jsec(.invalidArgument)) }
        guard input.count <= maximumMessageLength else {
            throw JSecError(.configuration, "message of \(input.count) bytes exceeds \(maximumMessageLength)", code: .jsec(.inputTooLarge))
        }
        if let tag, !(4...16).contains(tag.count) || (alg == .chacha20Poly1305 && tag.count != 16) {
            throw JSecError(.crypto, "authentication failed: invalid tag length \(tag.count)", code: .jsec(.authenticationFailed))
        }
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_CIPHER_CTX_new() else { throw JSecError.openSSL(.crypto, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let cipher = try AlgorithmFetcher.shared.cipher(alg)
        let enc: Int32 = encrypt ? 1 : 0
        guard EVP_CipherInit_ex2(ctx, cipher, nil, nil, enc, nil) == 1,
            EVP_CIPHER_CTX_ctrl(ctx, jsec_EVP_CTRL_AEAD_SET_IVLEN(), Int32(nonce.count), nil) == 1,
            EVP_CipherInit_ex2(ctx, nil, key, nonce, enc, nil) == 1
        else { throw JSecError.openSSL(.crypto, "cannot initialise \(alg)") }
        var len: Int32 = 0
        if !aad.isEmpty {
            guard EVP_CipherUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1 else { throw JSecError.openSSL(.crypto, "\(alg): AAD failed") }
        }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var total = 0
        if !input.isEmpty {
            guard EVP_CipherUpdate(ctx, &out, &len, input, Int32(input.count)) == 1 else { throw JSecError.openSSL(.crypto, "\(alg) update failed") }
            total = Int(len)
        }
        if let tag {
            var t = tag
            guard EVP_CIPHER_CTX_ctrl(ctx, jsec_EVP_CTRL_AEAD_SET_TAG(), Int32(t.count), &t) == 1 else {
                throw JSecError.openSSL(.crypto, "authentication failed: cannot set tag")
            }
        }
        let finalOK = out.withUnsafeMutableBufferPointer { EVP_CipherFinal_ex(ctx, $0.baseAddress! + total, &len) }
        guard finalOK == 1 else {
            for i in out.indices { out[i] = 0 }
            let entries = OpenSSLErrorQueue.drainEntries()
            if !encrypt { throw JSecError(.crypto, "authentication failed: wrong key, nonce, AAD, ciphertext or tag", code: .jsec(.authenticationFailed)) }
            throw JSecError(.crypto, "\(alg) final failed", code: JSecError.Code(firstOf: entries))
        }
        total += Int(len)
        out.removeSubrange(total...)
        if encrypt {
            var t = [UInt8](repeating: 0, count: alg.tagLength)
            guard EVP_CIPHER_CTX_ctrl(ctx, jsec_EVP_CTRL_AEAD_GET_TAG(), Int32(t.count), &t) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot read the \(alg) tag")
            }
            return (out, t)
        }
        return (out, [])
    }
}
