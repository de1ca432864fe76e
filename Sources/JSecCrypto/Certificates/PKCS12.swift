internal import CJSecOpenSSL

/// The contents of a PKCS#12 file.
public struct PKCS12Contents: Sendable {
    public let certificate: Certificate?
    public let privateKey: PrivateKey?
    /// Additional (CA) certificates.
    public let chain: [Certificate]
    public let friendlyName: String?
}

/// PKCS#12 (`.p12`/`.pfx`) create and parse (jsec's `create-pkcs12`/`parse-pkcs12`).
public enum PKCS12 {
    /// Creates a password-protected PKCS#12 (OpenSSL 3 defaults: AES-256-CBC, PBKDF2, HMAC-SHA256 MAC).
    public static func create(
        certificate: Certificate, privateKey: PrivateKey, chain: [Certificate] = [],
        password: String, friendlyName: String? = nil
    ) throws -> [UInt8] {
        guard let pub = certificate.publicKey, privateKey.matches(pub) else {
            throw JSecError(.configuration, "the private key does not belong to the certificate", code: .jsec(.keyMismatch))
        }
        OpenSSLErrorQueue.clear()
        guard let ca = jsec_sk_X509_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
        defer { jsec_sk_X509_free(ca) }  // PKCS12_create takes its own references
        for c in chain { guard jsec_sk_X509_push(ca, c.x509) > 0 else { throw JSecError.openSSL(.crypto, "cannot add a chain certificate") } }
        guard let p12 = PKCS12_create(password, friendlyName, privateKey.pkey, certificate.x509, ca, 0, 0, 0, 0, 0) else {
            throw JSecError.openSSL(.crypto, "PKCS12_create failed")
        }
        defer { PKCS12_free(p12) }
        return derEncode { i2d_PKCS12(p12, $0) }
    }

    /// Parses a DER PKCS#12. A wrong password is a `.crypto` error.
    public static func parse(_ der: [UInt8], password: String) throws -> PKCS12Contents {
        guard !der.isEmpty, der.count <= KeyLimits.maximumInput else {
            throw JSecError(
                .crypto, "PKCS#12 input of \(der.count) bytes is empty or too large", code: der.isEmpty ? .jsec(.malformedInput) : .jsec(.inputTooLarge))
        }
        OpenSSLErrorQueue.clear()
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PKCS12(nil, &p, buf.count)
        }
        guard let p12 = parsed else { throw JSecError.openSSL(.crypto, "cannot parse the PKCS#12 data") }
        defer { PKCS12_free(p12) }
        if PKCS12_mac_present(p12) == 1, PKCS12_verify_mac(p12, password, -1) != 1 {
            throw JSecError.openSSL(.crypto, "PKCS#12 MAC verification failed (wrong password or corrupted file)")
        }
        var pkey: OpaquePointer?
        var cert: OpaquePointer?
        var ca: OpaquePointer?
        guard PKCS12_parse(p12, password, &pkey, &cert, &ca) == 1 else {
            throw JSecError.openSSL(.crypto, "cannot decrypt the PKCS#12 contents (wrong password?)")
        }
        let key = pkey.map { PrivateKey(taking: $0) }
        let certificate = cert.map { Certificate(taking: $0) }
        var chain: [Certificate] = []
        if let ca {
            for i in 0..<jsec_sk_X509_num(ca) { if let x = jsec_sk_X509_value(ca, i) { chain.append(Certificate(retaining: x)) } }
            jsec_sk_X509_pop_free(ca)
        }
        var name: String?
        if let certificate {
            var len: Int32 = 0
            if let alias = X509_alias_get0(certificate.x509, &len), len > 0 {
                name = String(decoding: UnsafeBufferPointer(start: alias, count: Int(len)), as: UTF8.self)
            }
        }
        OpenSSLErrorQueue.clear()
        return PKCS12Contents(certificate: certificate, privateKey: key, chain: chain, friendlyName: name)
    }
}
