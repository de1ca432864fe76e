internal import CJSecOpenSSL
import Foundation

extension CertificateAuthority {
    /// A signed v2 CRL of everything revoked so far (jsec's `ca/crl`), with a CRL number and an
    /// authority key identifier, valid from `thisUpdate` for `daysValid` days. The default
    /// `thisUpdate` is one minute ago, as a certificate's default `notBefore` is: OpenSSL checks
    /// against `time()`, a coarse clock that can lag `Date()` by a tick, and a verifier's clock
    /// may be a little behind ours; "now" would make a fresh CRL "not yet valid".
    public func generateCRL(daysValid: Int = 30, thisUpdate: Date = Date().addingTimeInterval(-60)) throws -> CertificateRevocationList {
        guard (1...3650).contains(daysValid) else {
            throw JSecError(.configuration, "CRL validity \(daysValid) days is out of range (1…3650)", code: .jsec(.invalidArgument))
        }
        OpenSSLErrorQueue.clear()
        guard let crl = X509_CRL_new() else { throw JSecError.openSSL(.crypto, "X509_CRL_new failed") }
        let result = CertificateRevocationList(taking: crl)
        guard X509_CRL_set_version(crl, 1) == 1, X509_CRL_set_issuer_name(crl, X509_get_subject_name(certificate.x509)) == 1 else {
            throw JSecError.openSSL(.crypto, "cannot fill in the CRL")
        }
        try withASN1Time(thisUpdate) { t in
            guard X509_CRL_set1_lastUpdate(crl, t) == 1 else { throw JSecError.openSSL(.crypto, "cannot set lastUpdate") }
        }
        try withASN1Time(thisUpdate.addingTimeInterval(TimeInterval(daysValid) * 86_400)) { t in
            guard X509_CRL_set1_nextUpdate(crl, t) == 1 else { throw JSecError.openSSL(.crypto, "cannot set nextUpdate") }
        }
        for entry in revoked {
            guard let r = X509_REVOKED_new() else { throw JSecError.openSSL(.crypto, "X509_REVOKED_new failed") }
            // Until the CRL takes it (X509_CRL_add0_revoked), the entry is ours to free on every error path.
            do {
                try fillRevoked(r, entry)
            } catch {
                X509_REVOKED_free(r)
                throw error
            }
            guard X509_CRL_add0_revoked(crl, r) == 1 else {
                X509_REVOKED_free(r)
                throw JSecError.openSSL(.crypto, "cannot add serial \(entry.serialHex) to the CRL")
            }
        }
        guard X509_CRL_sort(crl) == 1 else { throw JSecError.openSSL(.crypto, "cannot sort the CRL entries") }
        guard let number = ASN1_INTEGER_new() else { throw JSecError.openSSL(.crypto, "ASN1_INTEGER_new failed") }
        defer { ASN1_INTEGER_free(number) }
        guard ASN1_INTEGER_set_uint64(number, registry.takeCRLNumber()) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the CRL number") }
        guard X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) == 1 else { throw JSecError.openSSL(.crypto, "cannot add the CRL number") }
        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, certificate.x509, nil, nil, crl, 0)
        // The authority key identifier is never silently left out.
        guard let akid = X509V3_EXT_conf_nid(nil, &ctx, NID_authority_key_identifier, "keyid:always") else {
            throw JSecError.openSSL(.crypto, "cannot make the CRL's authority key identifier")
        }
        defer { X509_EXTENSION_free(akid) }
        guard X509_CRL_add_ext(crl, akid, -1) == 1 else { throw JSecError.openSSL(.crypto, "cannot add the CRL's authority key identifier") }
        guard X509_CRL_sign(crl, privateKey.pkey, CertificateBuilder.signingDigest(for: privateKey)) > 0 else {
            throw JSecError.openSSL(.crypto, "signing the CRL failed")
        }
        return result
    }
}

/// Sets a revoked entry's serial, date and reason (the caller owns `r` and frees it if this throws).
private func fillRevoked(_ r: OpaquePointer, _ entry: RevokedCertificate) throws {
    let serial = try SerialNumber.asn1(entry.serialHex)
    defer { ASN1_INTEGER_free(serial) }
    guard X509_REVOKED_set_serialNumber(r, serial) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the revoked serial \(entry.serialHex)") }
    try withASN1Time(entry.revocationDate) { t in
        guard X509_REVOKED_set_revocationDate(r, t) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the revocation date of \(entry.serialHex)") }
    }
    guard let reason = entry.reason else { return }
    guard let e = ASN1_ENUMERATED_new() else { throw JSecError.openSSL(.crypto, "ASN1_ENUMERATED_new failed") }
    defer { ASN1_ENUMERATED_free(e) }
    guard ASN1_ENUMERATED_set(e, reason.rawValue) == 1, X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) == 1 else {
        throw JSecError.openSSL(.crypto, "cannot add the revocation reason of \(entry.serialHex)")
    }
}

/// Calls `body` with a temporary ASN1_TIME for `date`.
func withASN1Time<R>(_ date: Date, _ body: (UnsafeMutablePointer<ASN1_TIME>) throws -> R) throws -> R {
    guard let t = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970)) else { throw JSecError.openSSL(.crypto, "ASN1_TIME_set failed") }
    defer { ASN1_TIME_free(t) }
    return try body(t)
}
