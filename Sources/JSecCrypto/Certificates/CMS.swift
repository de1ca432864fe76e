internal import CJSecOpenSSL

/// Result of ``CMS/verify(_:trusted:detachedContent:purpose:)``.
public struct CMSVerification: Sendable {
    public let isValid: Bool
    /// The signed content (the detached content when one was given).
    public let content: [UInt8]
    public let signers: [Certificate]
    /// Why verification failed (nil when valid).
    public let error: String?
}

/// Symmetric ciphers for CMS enveloped data.
public enum CMSCipher: String, Sendable, CaseIterable {
    case aes128CBC = "AES-128-CBC", aes192CBC = "AES-192-CBC", aes256CBC = "AES-256-CBC"
}

/// Cryptographic Message Syntax (RFC 5652): signed data and enveloped data, DER in and out.
public enum CMS {
    /// Largest content or CMS input accepted (16 MiB).
    public static let maximumInput = 1 << 24

    /// Signs `data` with `certificate`/`privateKey`, embedding the signer and `chain` certificates.
    public static func sign(
        _ data: some Collection<UInt8>, certificate: Certificate, privateKey: PrivateKey,
        chain: [Certificate] = [], detached: Bool = false
    ) throws -> [UInt8] {
        guard data.count <= maximumInput else {
            throw JSecError(.configuration, "CMS content of \(data.count) bytes is too large", code: .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        let input = MemoryBIO(Array(data))
        guard let certs = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
        defer { jsec_sk_X509_free(certs) }
        for c in chain { guard jsec_sk_X509_push(certs, c.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add a chain certificate") } }
        let flags = UInt32(CMS_BINARY) | (detached ? UInt32(CMS_DETACHED) : 0)
        guard let cms = CMS_sign(certificate.x509, privateKey.pkey, certs, input.bio, flags) else {
            throw JSecError.openSSL(.crypto, "CMS signing failed")
        }
        defer { CMS_ContentInfo_free(cms) }
        return try encode(cms)
    }

    /// A certs-only SignedData carrying `certificates` (a "degenerate" PKCS#7/CMS bundle).
    public static func certificatesOnly(_ certificates: [Certificate]) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let certs = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
        defer { jsec_sk_X509_free(certs) }
        for c in certificates { guard jsec_sk_X509_push(certs, c.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add a certificate") } }
        guard let cms = CMS_sign(nil, nil, certs, nil, UInt32(CMS_BINARY | CMS_PARTIAL | CMS_DETACHED)) else {
            throw JSecError.openSSL(.crypto, "CMS certs-only failed")
        }
        defer { CMS_ContentInfo_free(cms) }
        return try encode(cms)
    }

    /// The certificates embedded in a CMS structure.
    public static func certificates(in der: [UInt8]) throws -> [Certificate] {
        let cms = try decode(der)
        defer { CMS_ContentInfo_free(cms) }
        guard let sk = CMS_get1_certs(cms) else { return [] }
        var out: [Certificate] = []
        for i in 0..<jsec_sk_X509_num(sk) { if let x = jsec_sk_X509_value(sk, i) { out.append(Certificate(retaining: x)) } }
        jsec_sk_X509_pop_free(sk)
        return out
    }

    /// Verifies signed data. With `trusted` empty only the signatures are checked (the signer chain is not).
    /// Malformed input throws; a bad signature or untrusted signer gives `isValid == false`.
    /// `purpose` is checked on the signer chain: `.any` (default) accepts any certificate from a trusted
    /// root, `.emailProtection` demands S/MIME signing certificates as OpenSSL's `cms -verify` does.
    public static func verify(
        _ der: [UInt8], trusted: [Certificate] = [], detachedContent: [UInt8]? = nil,
        purpose: CertificatePurpose = .any
    ) throws -> CMSVerification {
        let cms = try decode(der)
        defer { CMS_ContentInfo_free(cms) }
        guard let store = X509_STORE_new() else { throw JSecError.openSSL(.crypto, "X509_STORE_new failed") }
        defer { X509_STORE_free(store) }
        for t in trusted { guard X509_STORE_add_cert(store, t.x509) == 1 else { throw JSecError.openSSL(.crypto, "cannot add a trusted certificate") } }
        // A purpose that failed to set would not be checked at all.
        if let p = purpose.x509Purpose, X509_STORE_set_purpose(store, p) != 1 { throw JSecError.openSSL(.crypto, "cannot set the purpose \(purpose)") }
        let out = MemoryBIO()
        let dcont = detachedContent.map { MemoryBIO($0) }
        var flags = UInt32(CMS_BINARY)
        if trusted.isEmpty { flags |= UInt32(CMS_NO_SIGNER_CERT_VERIFY) }
        OpenSSLErrorQueue.clear()
        let ok = CMS_verify(cms, nil, store, dcont?.bio, out.bio, flags) == 1
        let errors = OpenSSLErrorQueue.drain()
        var signers: [Certificate] = []
        if let sk = CMS_get0_signers(cms) {
            for i in 0..<jsec_sk_X509_num(sk) { if let x = jsec_sk_X509_value(sk, i) { signers.append(Certificate(retaining: x)) } }
            jsec_sk_X509_free(sk)
        }
        OpenSSLErrorQueue.clear()
        return CMSVerification(
            isValid: ok, content: ok ? out.readAll() : [], signers: signers,
            error: ok ? nil : (errors.last ?? "CMS verification failed"))
    }

    /// Encrypts `data` for each recipient certificate (RSA key transport or EC key agreement).
    public static func encrypt(_ data: some Collection<UInt8>, recipients: [Certificate], cipher: CMSCipher = .aes256CBC) throws -> [UInt8] {
        guard !recipients.isEmpty else { throw JSecError(.configuration, "CMS encryption needs at least one recipient", code: .jsec(.invalidArgument)) }
        guard data.count <= maximumInput else {
            throw JSecError(.configuration, "CMS content of \(data.count) bytes is too large", code: .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        guard let c = EVP_CIPHER_fetch(nil, cipher.rawValue, nil) else { throw JSecError.openSSL(.crypto, "cipher \(cipher.rawValue) unavailable") }
        defer { EVP_CIPHER_free(c) }
        guard let certs = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
        defer { jsec_sk_X509_free(certs) }
        for r in recipients { guard jsec_sk_X509_push(certs, r.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add a recipient") } }
        let input = MemoryBIO(Array(data))
        guard let cms = CMS_encrypt(certs, input.bio, c, UInt32(CMS_BINARY)) else {
            throw JSecError.openSSL(.crypto, "CMS encryption failed (recipient keys must be RSA or EC)")
        }
        defer { CMS_ContentInfo_free(cms) }
        return try encode(cms)
    }

    /// Decrypts enveloped data with the recipient's key (and certificate, to pick the right recipient).
    public static func decrypt(_ der: [UInt8], certificate: Certificate?, privateKey: PrivateKey) throws -> [UInt8] {
        let cms = try decode(der)
        defer { CMS_ContentInfo_free(cms) }
        let out = MemoryBIO()
        OpenSSLErrorQueue.clear()
        guard CMS_decrypt(cms, privateKey.pkey, certificate?.x509, nil, out.bio, UInt32(CMS_BINARY)) == 1 else {
            throw JSecError.openSSL(.crypto, "CMS decryption failed (not a recipient, wrong key, or corrupted data)")
        }
        return out.readAll()
    }

    static func decode(_ der: [UInt8]) throws -> OpaquePointer {
        guard !der.isEmpty, der.count <= maximumInput else {
            throw JSecError(
                .crypto, "CMS input of \(der.count) bytes is empty or too large", code: der.isEmpty ? .jsec(.malformedInput) : .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        let cms: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_CMS_ContentInfo(nil, &p, buf.count)
        }
        guard let cms else { throw JSecError.openSSL(.crypto, "cannot parse the DER CMS structure") }
        return cms
    }

    static func encode(_ cms: OpaquePointer) throws -> [UInt8] {
        let bio = MemoryBIO()
        guard i2d_CMS_bio(bio.bio, cms) == 1 else { throw JSecError.openSSL(.crypto, "CMS encoding failed") }
        return bio.readAll()
    }
}
