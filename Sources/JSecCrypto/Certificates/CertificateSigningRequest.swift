internal import CJSecOpenSSL
import Foundation

/// A PKCS#10 certificate signing request (`X509_REQ`) with one owner that frees it.
public final class CertificateSigningRequest: @unchecked Sendable {
    // @unchecked Sendable: the X509_REQ is never mutated after construction (read-only use is thread-safe).
    package let request: OpaquePointer

    package init(taking request: OpaquePointer) { self.request = request }
    deinit { X509_REQ_free(request) }

    /// Creates and signs a CSR for `key` (jsec's `generate-csr`). SANs go into an extensionRequest attribute.
    public static func generate(
        key: PrivateKey, subject: DistinguishedName, dnsNames: [String] = [], ipAddresses: [String] = [],
        emails: [String] = [], digest: DigestAlgorithm = .sha256
    ) throws -> CertificateSigningRequest {
        OpenSSLErrorQueue.clear()
        guard let req = X509_REQ_new() else { throw JSecError.openSSL(.crypto, "X509_REQ_new failed") }
        let csr = CertificateSigningRequest(taking: req)
        guard jsec_X509_REQ_set_version(req, 0) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the CSR version") }
        let name = try subject.makeX509Name()
        defer { X509_NAME_free(name) }
        guard X509_REQ_set_subject_name(req, name) == 1, X509_REQ_set_pubkey(req, key.pkey) == 1 else {
            throw JSecError.openSSL(.crypto, "cannot fill in the CSR")
        }
        var sans: [String] = []
        for d in dnsNames {
            guard !d.isEmpty, !d.contains(","), !d.contains(":") else {
                throw JSecError(.configuration, "invalid DNS name '\(d)'", code: .jsec(.invalidArgument))
            }
            sans.append("DNS:\(d)")
        }
        for ip in ipAddresses {
            guard IPAddress.isLiteral(ip) else { throw JSecError(.configuration, "invalid IP address '\(ip)'", code: .jsec(.invalidArgument)) }
            sans.append("IP:\(ip)")
        }
        for e in emails {
            guard e.contains("@"), !e.contains(",") else { throw JSecError(.configuration, "invalid email '\(e)'", code: .jsec(.invalidArgument)) }
            sans.append("email:\(e)")
        }
        if !sans.isEmpty {
            guard let exts = jsec_sk_X509_EXTENSION_new_null() else { throw JSecError.openSSL(.crypto, "stack allocation failed") }
            defer { jsec_sk_X509_EXTENSION_pop_free(exts) }
            guard let ext = X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, sans.joined(separator: ",")) else {
                throw JSecError.openSSL(.configuration, "invalid subjectAltName")
            }
            guard jsec_sk_X509_EXTENSION_push(exts, ext) > 0 else {
                X509_EXTENSION_free(ext)  // not in the stack: pop_free would not free it
                throw JSecError.openSSL(.crypto, "cannot add the subjectAltName")
            }
            guard X509_REQ_add_extensions(req, exts) == 1 else { throw JSecError.openSSL(.crypto, "cannot add CSR extensions") }
        }
        let mdName: String? = (key.algorithm == "ED25519" || key.algorithm == "ED448") ? nil : digest.openSSLName
        guard X509_REQ_sign(req, key.pkey, mdName == nil ? nil : try digest.md()) > 0 else {
            throw JSecError.openSSL(.crypto, "signing the CSR failed")
        }
        return csr
    }

    public convenience init(pem: String) throws {
        guard pem.utf8.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(pem.utf8.count) }
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(Array(pem.utf8))
        guard let r = PEM_read_bio_X509_REQ(bio.bio, nil, nil, nil) else { throw JSecError.openSSL(.crypto, "cannot parse the PEM CSR") }
        self.init(taking: r)
    }

    public convenience init(der: [UInt8]) throws {
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        let r: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_X509_REQ(nil, &p, buf.count)
        }
        guard let r, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER CSR (\(der.count) bytes)") }
        self.init(taking: r)
    }

    public var pem: String {
        let bio = MemoryBIO()
        guard PEM_write_bio_X509_REQ(bio.bio, request) == 1 else { outOfMemory("PEM_write_bio_X509_REQ") }
        return String(decoding: bio.readAll(), as: UTF8.self)
    }

    public var der: [UInt8] {
        let bio = MemoryBIO()
        guard i2d_X509_REQ_bio(bio.bio, request) == 1 else { outOfMemory("i2d_X509_REQ_bio") }
        return bio.readAll()
    }

    public var subject: DistinguishedName { DistinguishedName(X509_REQ_get_subject_name(request)) }

    /// The requested public key; nil when the CSR carries an unusable key.
    public var publicKey: PublicKey? {
        defer { ERR_clear_error() }
        return X509_REQ_get_pubkey(request).map { PublicKey(taking: $0) }
    }

    /// Whether the CSR's self-signature verifies with its own public key (proof of possession).
    public var isSignatureValid: Bool {
        defer { ERR_clear_error() }
        guard let key = X509_REQ_get0_pubkey(request) else { return false }
        return X509_REQ_verify(request, key) == 1
    }

    /// Subject alternative names requested through the extensionRequest attribute.
    public var subjectAltNames: [Certificate.AltName] {
        defer { ERR_clear_error() }
        guard let exts = X509_REQ_get_extensions(request) else { return [] }
        defer { jsec_sk_X509_EXTENSION_pop_free(exts) }
        for i in 0..<jsec_sk_X509_EXTENSION_num(exts) {
            guard let ext = jsec_sk_X509_EXTENSION_value(exts, i),
                OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name,
                let raw = X509V3_EXT_d2i(ext)
            else { continue }
            return Certificate.altNames(OpaquePointer(raw))
        }
        return []
    }

    public var dnsNames: [String] { subjectAltNames.compactMap { if case .dns(let n) = $0 { return n } else { return nil } } }
    public var ipAddresses: [String] { subjectAltNames.compactMap { if case .ip(let n) = $0 { return n } else { return nil } } }
}
