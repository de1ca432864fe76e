internal import CJSecOpenSSL

/// How to sign: the digest (ignored by Ed25519, which signs the message itself) and the RSA padding.
public struct SignatureOptions: Sendable, Hashable {
    public enum RSAPadding: Sendable, Hashable {
        case pkcs1v15
        /// PSS with MGF1 over the same digest; salt length equal to the digest length.
        case pss
    }

    public var digest: DigestAlgorithm
    public var rsaPadding: RSAPadding

    public init(digest: DigestAlgorithm = .sha256, rsaPadding: RSAPadding = .pkcs1v15) {
        self.digest = digest
        self.rsaPadding = rsaPadding
    }

    public static let `default` = SignatureOptions()
    public static let rsaPSS = SignatureOptions(rsaPadding: .pss)
}

/// Largest message accepted by sign/verify in one call (64 MiB).
let maximumSignedMessage = 1 << 26

extension PrivateKey {
    /// Signs `data`: RSA (PKCS#1 v1.5 or PSS), ECDSA (DER-encoded signature), Ed25519 (64 bytes).
    public func sign(_ data: some Collection<UInt8>, options: SignatureOptions = .default) throws -> [UInt8] {
        guard data.count <= maximumSignedMessage else {
            throw JSecError(.configuration, "message of \(data.count) bytes is too large to sign", code: .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_MD_CTX_new() else { throw JSecError.openSSL(.crypto, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        let mdName = SignatureSupport.digestName(for: pkey, options)
        guard EVP_DigestSignInit_ex(ctx, &pctx, mdName, nil, nil, pkey, nil) == 1 else {
            throw JSecError.openSSL(.crypto, "\(algorithm) keys cannot sign with \(options.digest)")
        }
        try SignatureSupport.configure(pctx, pkey, options)
        return try data.withContiguousBytes { msg -> [UInt8] in
            let m = msg.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var len = 0
            guard EVP_DigestSign(ctx, nil, &len, m, msg.count) == 1 else { throw JSecError.openSSL(.crypto, "signing failed") }
            var sig = [UInt8](repeating: 0, count: len)
            guard EVP_DigestSign(ctx, &sig, &len, m, msg.count) == 1 else { throw JSecError.openSSL(.crypto, "signing failed") }
            return Array(sig.prefix(len))
        }
    }

    /// Verifies with the public half of this key.
    public func verify(_ signature: some Collection<UInt8>, for data: some Collection<UInt8>, options: SignatureOptions = .default) throws -> Bool {
        try SignatureSupport.verify(pkey, Array(signature), data, options)
    }
}

extension PublicKey {
    /// True when `signature` is a valid signature of `data`; false for a wrong signature.
    /// Throws only when the key cannot verify at all (e.g. an X25519 key) or the input is oversized.
    public func verify(_ signature: some Collection<UInt8>, for data: some Collection<UInt8>, options: SignatureOptions = .default) throws -> Bool {
        try SignatureSupport.verify(pkey, Array(signature), data, options)
    }
}

enum SignatureSupport {
    static func digestName(for pkey: OpaquePointer, _ options: SignatureOptions) -> String? {
        let id = EVP_PKEY_get_base_id(pkey)
        if id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 { return nil }
        return options.digest.openSSLName
    }

    static func configure(_ pctx: OpaquePointer?, _ pkey: OpaquePointer, _ options: SignatureOptions) throws {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA, let pctx else { return }
        switch options.rsaPadding {
        case .pkcs1v15:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 else { throw JSecError.openSSL(.crypto, "cannot set PKCS#1 v1.5 padding") }
        case .pss:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1
            else { throw JSecError.openSSL(.crypto, "cannot set PSS padding") }
        }
    }

    static func verify(_ pkey: OpaquePointer, _ signature: [UInt8], _ data: some Collection<UInt8>, _ options: SignatureOptions) throws -> Bool {
        guard data.count <= maximumSignedMessage else {
            throw JSecError(.configuration, "message of \(data.count) bytes is too large to verify", code: .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        guard let ctx = EVP_MD_CTX_new() else { throw JSecError.openSSL(.crypto, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(ctx, &pctx, digestName(for: pkey, options), nil, nil, pkey, nil) == 1 else {
            throw JSecError.openSSL(.crypto, "\(PrivateKey.algorithmName(of: pkey)) keys cannot verify with \(options.digest)")
        }
        try configure(pctx, pkey, options)
        if signature.isEmpty { return false }
        let r = data.withContiguousBytes { msg in
            EVP_DigestVerify(ctx, signature, signature.count, msg.baseAddress!.assumingMemoryBound(to: UInt8.self), msg.count)
        }
        OpenSSLErrorQueue.clear()  // a bad signature leaves decoding errors behind: not ours to report
        return r == 1
    }
}
