internal import CJSecOpenSSL
import Foundation

/// Key usage bits of a certificate (RFC 5280 §4.2.1.3).
public enum KeyUsage: String, Sendable, Hashable, CaseIterable {
    case digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly

    var bit: UInt32 {
        switch self {
        case .digitalSignature: return UInt32(KU_DIGITAL_SIGNATURE)
        case .nonRepudiation: return UInt32(KU_NON_REPUDIATION)
        case .keyEncipherment: return UInt32(KU_KEY_ENCIPHERMENT)
        case .dataEncipherment: return UInt32(KU_DATA_ENCIPHERMENT)
        case .keyAgreement: return UInt32(KU_KEY_AGREEMENT)
        case .keyCertSign: return UInt32(KU_KEY_CERT_SIGN)
        case .cRLSign: return UInt32(KU_CRL_SIGN)
        case .encipherOnly: return UInt32(KU_ENCIPHER_ONLY)
        case .decipherOnly: return UInt32(KU_DECIPHER_ONLY)
        }
    }
}

/// Extended key usages (RFC 5280 §4.2.1.12).
public enum ExtendedKeyUsage: String, Sendable, Hashable, CaseIterable {
    case serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, ocspSigning, any

    /// The name `X509V3_EXT_conf` understands.
    var openSSLName: String {
        switch self {
        case .ocspSigning: return "OCSPSigning"
        case .any: return "anyExtendedKeyUsage"
        default: return rawValue
        }
    }

    var bit: UInt32 {
        switch self {
        case .serverAuth: return UInt32(XKU_SSL_SERVER)
        case .clientAuth: return UInt32(XKU_SSL_CLIENT)
        case .codeSigning: return UInt32(XKU_CODE_SIGN)
        case .emailProtection: return UInt32(XKU_SMIME)
        case .timeStamping: return UInt32(XKU_TIMESTAMP)
        case .ocspSigning: return UInt32(XKU_OCSP_SIGN)
        case .any: return UInt32(XKU_ANYEKU)
        }
    }
}

extension Certificate {
    /// Parses a PEM or DER certificate, detecting which.
    public convenience init(bytes: [UInt8]) throws {
        guard bytes.count <= KeyLimits.maximumInput else { throw KeyLimits.tooLarge(bytes.count) }
        if FormatDetector.detect(bytes) == .pem { try self.init(pem: String(decoding: bytes, as: UTF8.self)) } else { try self.init(der: bytes) }
    }

    /// X.509 version (1, 2 or 3).
    public var version: Int { Int(X509_get_version(x509)) + 1 }

    public var subjectName: DistinguishedName { DistinguishedName(X509_get_subject_name(x509)) }
    public var issuerName: DistinguishedName { DistinguishedName(X509_get_issuer_name(x509)) }

    /// The subject public key; nil when the certificate carries a key OpenSSL cannot decode.
    public var publicKey: PublicKey? {
        defer { ERR_clear_error() }
        // X509_get_pubkey returns a new reference that the PublicKey then owns.
        return X509_get_pubkey(x509).map { PublicKey(taking: $0) }
    }

    /// Key usages; empty when the certificate has no keyUsage extension.
    public var keyUsage: Set<KeyUsage> {
        let bits = X509_get_key_usage(x509)
        guard bits != UInt32.max else { return [] }
        return Set(KeyUsage.allCases.filter { bits & $0.bit != 0 })
    }

    /// Extended key usages; empty when the certificate has no extendedKeyUsage extension.
    public var extendedKeyUsage: Set<ExtendedKeyUsage> {
        let bits = X509_get_extended_key_usage(x509)
        guard bits != UInt32.max else { return [] }
        return Set(ExtendedKeyUsage.allCases.filter { bits & $0.bit != 0 })
    }

    /// Whether basicConstraints says CA:TRUE.
    public var isCA: Bool { X509_get_extension_flags(x509) & UInt32(EXFLAG_CA) != 0 }

    /// basicConstraints pathLenConstraint, nil when absent.
    public var pathLength: Int? {
        let n = X509_get_pathlen(x509)
        return n < 0 ? nil : Int(n)
    }

    /// Whether the certificate's issuer is its subject and its signature verifies with its own key.
    public var isSelfSigned: Bool {
        defer { ERR_clear_error() }
        return X509_self_signed(x509, 1) == 1
    }

    /// SHA-1 fingerprint of the DER encoding, as lower-case hex.
    public var sha1Fingerprint: String {
        get throws { try fingerprintBytes(.sha1).hexString }
    }

    /// Fingerprint as upper-case hex pairs separated by colons (the `openssl x509 -fingerprint` form).
    public func fingerprint(_ algorithm: DigestAlgorithm = .sha256) throws -> String {
        try fingerprintBytes(algorithm).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// The digest of the DER encoding; a `.crypto` error when OpenSSL lacks `algorithm`.
    public func fingerprintBytes(_ algorithm: DigestAlgorithm) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        let md = try algorithm.md()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        guard X509_digest(x509, md, &out, &len) == 1 else { throw JSecError.openSSL(.crypto, "cannot compute the \(algorithm) fingerprint") }
        return Array(out.prefix(Int(len)))
    }

    /// Signature algorithm, e.g. `ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `ED25519`.
    public var signatureAlgorithm: String {
        let nid = X509_get_signature_nid(x509)
        guard let ln = OBJ_nid2ln(nid) else { return "unknown" }
        return String(cString: ln)
    }

    /// The public key's curve (`P-256`, …) for EC keys.
    public var publicKeyInfo: KeyInfo? {
        defer { ERR_clear_error() }
        return X509_get0_pubkey(x509).map { KeyInfo($0, encrypted: false, isPrivate: false) }
    }

    /// True when `issuer`'s key verifies this certificate's signature (names are not compared).
    public func isSignatureValid(issuer: Certificate) -> Bool {
        OpenSSLErrorQueue.clear()
        defer { OpenSSLErrorQueue.clear() }
        guard let key = X509_get0_pubkey(issuer.x509) else { return false }
        return X509_verify(x509, key) == 1
    }

    /// Whether the certificate is valid at `date`.
    public func isValid(at date: Date = Date()) -> Bool { notBefore <= date && date <= notAfter }
}
