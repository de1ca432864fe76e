internal import CJSecOpenSSL
import Foundation

/// CRL reason codes (RFC 5280 §5.3.1).
public enum RevocationReason: Int, Sendable, Hashable, CaseIterable {
    case unspecified = 0, keyCompromise = 1, caCompromise = 2, affiliationChanged = 3, superseded = 4
    case cessationOfOperation = 5, certificateHold = 6, removeFromCRL = 8, privilegeWithdrawn = 9, aaCompromise = 10

    /// Parses jsec-style names such as `key-compromise` or `keyCompromise`.
    public init(name: String) throws {
        let n = name.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let r = Self.allCases.first(where: { "\($0)".lowercased() == n }) else {
            throw JSecError(.configuration, "unknown revocation reason '\(name)'", code: .jsec(.unknownName))
        }
        self = r
    }
}

/// One revoked certificate in a CRL or a CA's revocation list.
public struct RevokedCertificate: Sendable, Hashable {
    /// Serial number as upper-case hex of even length, e.g. `03E8` (the form of ``Certificate/serialNumberHex``).
    public let serialHex: String
    public let revocationDate: Date
    public let reason: RevocationReason?

    public init(serialHex: String, revocationDate: Date, reason: RevocationReason?) {
        self.serialHex = SerialNumber.normalize(serialHex)
        self.revocationDate = revocationDate
        self.reason = reason
    }
}

/// An X.509 CRL (`X509_CRL`) with one owner that frees it.
public final class CertificateRevocationList: @unchecked Sendable {
    // @unchecked Sendable: the X509_CRL is never mutated after construction (read-only use is thread-safe).
    package let crl: OpaquePointer

    package init(taking crl: OpaquePointer) { self.crl = crl }
    deinit { X509_CRL_free(crl) }

    public convenience init(pem: String) throws {
        guard pem.utf8.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(pem.utf8.count) }
        OpenSSLErrorQueue.clear()
        let bio = MemoryBIO(Array(pem.utf8))
        guard let c = PEM_read_bio_X509_CRL(bio.bio, nil, nil, nil) else { throw JSecError.openSSL(.crypto, "cannot parse the PEM CRL") }
        self.init(taking: c)
    }

    public convenience init(der: [UInt8]) throws {
        guard der.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(der.count) }
        OpenSSLErrorQueue.clear()
        let c: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_X509_CRL(nil, &p, buf.count)
        }
        guard let c, !der.isEmpty else { throw JSecError.openSSL(.crypto, "cannot parse the DER CRL (\(der.count) bytes)") }
        self.init(taking: c)
    }

    public var pem: String {
        let bio = MemoryBIO()
        guard PEM_write_bio_X509_CRL(bio.bio, crl) == 1 else { outOfMemory("PEM_write_bio_X509_CRL") }
        return String(decoding: bio.readAll(), as: UTF8.self)
    }

    public var der: [UInt8] {
        let bio = MemoryBIO()
        guard i2d_X509_CRL_bio(bio.bio, crl) == 1 else { outOfMemory("i2d_X509_CRL_bio") }
        return bio.readAll()
    }

    public var issuer: DistinguishedName { DistinguishedName(X509_CRL_get_issuer(crl)) }
    public var thisUpdate: Date { Certificate.date(X509_CRL_get0_lastUpdate(crl)) }
    public var nextUpdate: Date? { X509_CRL_get0_nextUpdate(crl).map { Certificate.date($0) } }

    public var revoked: [RevokedCertificate] {
        guard let list = X509_CRL_get_REVOKED(crl) else { return [] }
        var out: [RevokedCertificate] = []
        for i in 0..<jsec_sk_X509_REVOKED_num(list) {
            guard let r = jsec_sk_X509_REVOKED_value(list, i) else { continue }
            let serial = SerialNumber.hex(X509_REVOKED_get0_serialNumber(r))
            let date = Certificate.date(X509_REVOKED_get0_revocationDate(r))
            var reason: RevocationReason?
            if let raw = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nil, nil) {
                let e = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
                reason = RevocationReason(rawValue: Int(ASN1_ENUMERATED_get(e)))
                ASN1_ENUMERATED_free(e)
            }
            out.append(RevokedCertificate(serialHex: serial, revocationDate: date, reason: reason))
        }
        ERR_clear_error()
        return out
    }

    /// True when `issuer`'s key verifies the CRL's signature.
    public func isSignatureValid(issuer: Certificate) -> Bool {
        defer { ERR_clear_error() }
        guard let key = X509_get0_pubkey(issuer.x509) else { return false }
        return X509_CRL_verify(crl, key) == 1
    }

    /// Whether `certificate`'s serial is listed.
    public func isRevoked(_ certificate: Certificate) -> Bool {
        let serial = SerialNumber.normalize(certificate.serialNumberHex)
        return revoked.contains { $0.serialHex == serial }
    }
}

/// Serial-number helpers shared by the CA, CRLs and OCSP.
enum SerialNumber {
    static func hex(_ serial: UnsafePointer<ASN1_INTEGER>?) -> String {
        guard let serial, let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let h = BN_bn2hex(bn) else { return "" }
        defer { jsec_OPENSSL_free(h) }
        return String(cString: h)
    }

    /// The `BN_bn2hex` form: upper case, no separators, no redundant leading zeros, even length ("03E8"; zero is "0").
    static func normalize(_ hex: String) -> String {
        let cleaned = hex.uppercased().filter { $0 != ":" && $0 != " " }
        let trimmed = String(cleaned.drop { $0 == "0" })
        if trimmed.isEmpty { return "0" }
        return trimmed.count % 2 == 1 ? "0" + trimmed : trimmed
    }

    /// A new ASN1_INTEGER (caller frees) from hex.
    static func asn1(_ hex: String) throws -> UnsafeMutablePointer<ASN1_INTEGER> {
        var bn: OpaquePointer?
        guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit), BN_hex2bn(&bn, hex) > 0, let bn else {
            throw JSecError(.configuration, "invalid serial number '\(hex)'", code: .jsec(.invalidArgument))
        }
        defer { BN_free(bn) }
        guard let ai = BN_to_ASN1_INTEGER(bn, nil) else { throw JSecError.openSSL(.crypto, "BN_to_ASN1_INTEGER failed") }
        return ai
    }
}
