internal import CJSecOpenSSL
import Foundation

/// What a certificate is for; decides basicConstraints, keyUsage and extendedKeyUsage.
public enum CertificateUsage: Sendable, Hashable {
    /// A TLS server (and, for convenience, client) leaf: serverAuth + clientAuth.
    case serverAndClient
    case server
    case client
    /// A certificate authority; `pathLength` limits the intermediates below it.
    case certificateAuthority(pathLength: Int?)
}

/// The subject and extensions of a certificate to issue.
public struct CertificateRequest: Sendable {
    public var commonName: String
    public var organization: String?
    public var dnsNames: [String]
    public var ipAddresses: [String]
    public var notBefore: Date
    public var notAfter: Date
    public var usage: CertificateUsage
    /// Overrides the key usages that `usage` implies (nil: the defaults of `usage`).
    public var keyUsage: Set<KeyUsage>? = nil
    /// Overrides the extended key usages that `usage` implies (nil: the defaults; empty: no EKU extension).
    public var extendedKeyUsage: Set<ExtendedKeyUsage>? = nil
    /// Email addresses for the subjectAltName.
    public var emails: [String] = []

    /// - Parameters:
    ///   - commonName: the subject's CN.
    ///   - organization: the subject's O, if any.
    ///   - dnsNames: DNS names for the subjectAltName.
    ///   - ipAddresses: IP addresses (v4 or v6 text) for the subjectAltName.
    ///   - notBefore: the start of validity (default: now minus one minute, to absorb clock skew).
    ///   - daysValid: validity from `notBefore`.
    ///   - usage: what the certificate is for; decides its key usages.
    public init(
        commonName: String, organization: String? = nil, dnsNames: [String] = [], ipAddresses: [String] = [],
        notBefore: Date = Date().addingTimeInterval(-60), daysValid: Int = 365,
        usage: CertificateUsage = .serverAndClient
    ) {
        self.commonName = commonName
        self.organization = organization
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.notBefore = notBefore
        self.notAfter = notBefore.addingTimeInterval(TimeInterval(daysValid) * 86_400)
        self.usage = usage
    }
}

/// A certificate and its private key, as objects and as PEM.
public struct CertificateAndKey: Sendable {
    public let certificate: Certificate
    public let privateKey: PrivateKey
    public var certificatePEM: String { certificate.pem }
    public var privateKeyPEM: String { get throws { try privateKey.pem } }

    public init(certificate: Certificate, privateKey: PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

/// Issues X.509 v3 certificates: self-signed, or signed by an issuer.
public enum CertificateBuilder {
    /// A self-signed certificate with a freshly generated key (jsec's `generate-self-signed-cert`).
    public static func selfSigned(_ request: CertificateRequest, keyType: KeyType = .ecP256) throws -> CertificateAndKey {
        let key = try PrivateKey.generate(keyType)
        let cert = try issue(request, publicKey: key, issuer: nil, issuerKey: key)
        return CertificateAndKey(certificate: cert, privateKey: key)
    }

    /// A self-signed certificate for an existing key with a full subject name (jsec's
    /// `generate-self-signed-from-key`). `request.commonName` is ignored in favour of `subject`.
    public static func selfSigned(_ request: CertificateRequest, subject: DistinguishedName, key: PrivateKey) throws -> Certificate {
        try issue(request, subjectKey: key.pkey, subject: subject, issuer: nil, issuerKey: key)
    }

    /// Convenience: a self-signed server certificate for `commonName` (also a DNS SAN), plus extra SANs.
    public static func selfSigned(
        commonName: String = "localhost", dnsNames: [String] = [], ipAddresses: [String] = [],
        daysValid: Int = 365, keyType: KeyType = .ecP256
    ) throws -> CertificateAndKey {
        var dns = dnsNames
        if !IPAddress.isLiteral(commonName), !dns.contains(commonName) { dns.insert(commonName, at: 0) }
        var ips = ipAddresses
        if IPAddress.isLiteral(commonName), !ips.contains(commonName) { ips.insert(commonName, at: 0) }
        return try selfSigned(CertificateRequest(commonName: commonName, dnsNames: dns, ipAddresses: ips, daysValid: daysValid), keyType: keyType)
    }

    /// Issues a certificate for `publicKey`, signed by `issuerKey`. With `issuer == nil` it is self-signed.
    public static func issue(_ request: CertificateRequest, publicKey: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey) throws -> Certificate {
        try issue(request, subjectKey: publicKey.pkey, issuer: issuer, issuerKey: issuerKey)
    }

    /// Issues a certificate for `publicKey`, signed by `issuerKey`, with a given serial (hex) and subject name.
    public static func issue(
        _ request: CertificateRequest, publicKey: PublicKey, subject: DistinguishedName? = nil, serialHex: String? = nil,
        issuer: Certificate?, issuerKey: PrivateKey
    ) throws -> Certificate {
        try issue(request, subjectKey: publicKey.pkey, subject: subject, serialHex: serialHex, issuer: issuer, issuerKey: issuerKey)
    }

    static func issue(
        _ request: CertificateRequest, subjectKey: OpaquePointer, subject: DistinguishedName? = nil, serialHex: String? = nil,
        issuer: Certificate?, issuerKey: PrivateKey
    ) throws -> Certificate {
        guard !request.commonName.isEmpty || subject != nil else {
            throw JSecError(.configuration, "a certificate needs a non-empty common name", code: .jsec(.invalidArgument))
        }
        guard request.notAfter > request.notBefore else {
            throw JSecError(
                .configuration, "certificate validity ends (\(request.notAfter)) before it starts (\(request.notBefore))", code: .jsec(.invalidArgument))
        }
        guard !["X25519", "X448"].contains(issuerKey.algorithm) else {
            throw JSecError(
                .configuration,
                "\(issuerKey.algorithm) keys cannot sign certificates (they are for key agreement only); "
                    + "use one of \(KeyType.signingNames)", code: .jsec(.wrongKeyType))
        }
        OpenSSLErrorQueue.clear()
        guard let x = X509_new() else { throw JSecError.openSSL(.crypto, "X509_new failed") }
        let cert = Certificate(taking: x)
        guard X509_set_version(x, 2) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the certificate version") }

        if let serialHex {
            let ai = try SerialNumber.asn1(serialHex)
            defer { ASN1_INTEGER_free(ai) }
            guard X509_set_serialNumber(x, ai) == 1 else { throw JSecError.openSSL(.crypto, "cannot set serial") }
        } else {
            // Random positive 127-bit serial.
            var serialBytes = [UInt8](repeating: 0, count: 16)
            guard RAND_bytes(&serialBytes, 16) == 1 else { throw JSecError.openSSL(.crypto, "RAND_bytes failed") }
            serialBytes[0] &= 0x7F
            serialBytes[0] |= 0x01
            guard let bn = BN_bin2bn(serialBytes, 16, nil) else { throw JSecError.openSSL(.crypto, "BN_bin2bn failed") }
            defer { BN_free(bn) }
            guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nil else { throw JSecError.openSSL(.crypto, "cannot set serial") }
        }

        guard X509_time_adj_ex(X509_getm_notBefore(x), 0, Int(request.notBefore.timeIntervalSince1970) - Int(time(nil)), nil) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x), 0, Int(request.notAfter.timeIntervalSince1970) - Int(time(nil)), nil) != nil
        else { throw JSecError.openSSL(.crypto, "cannot set validity") }

        let name: OpaquePointer
        if let subject {
            name = try subject.makeX509Name()
        } else {
            guard let n = X509_NAME_new() else { throw JSecError.openSSL(.crypto, "X509_NAME_new failed") }
            name = n
            if let org = request.organization {
                guard X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, org, -1, -1, 0) == 1 else {
                    X509_NAME_free(name)
                    throw JSecError.openSSL(.configuration, "invalid organization '\(org)'")
                }
            }
            guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, request.commonName, -1, -1, 0) == 1 else {
                X509_NAME_free(name)
                throw JSecError.openSSL(.configuration, "invalid common name '\(request.commonName)' (at most 64 characters)")
            }
        }
        defer { X509_NAME_free(name) }
        guard X509_set_subject_name(x, name) == 1, X509_set_issuer_name(x, issuer.map { X509_get_subject_name($0.x509) } ?? name) == 1 else {
            throw JSecError.openSSL(.crypto, "cannot set the subject or issuer name")
        }
        guard X509_set_pubkey(x, subjectKey) == 1 else { throw JSecError.openSSL(.crypto, "cannot set the public key") }

        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer?.x509 ?? x, x, nil, nil, 0)
        func add(_ nid: Int32, _ value: String) throws {
            guard let ext = X509V3_EXT_conf_nid(nil, &ctx, nid, value) else {
                throw JSecError.openSSL(.configuration, "invalid certificate extension value '\(value)'")
            }
            defer { X509_EXTENSION_free(ext) }
            // A certificate must never be issued without an extension it was asked for (basicConstraints, keyUsage…).
            guard X509_add_ext(x, ext, -1) == 1 else {
                throw JSecError.openSSL(.crypto, "cannot add the certificate extension \(String(cString: OBJ_nid2sn(nid)))")
            }
        }
        var keyUsage: String, eku: String?
        switch request.usage {
        case .certificateAuthority(let pathLength):
            try add(NID_basic_constraints, "critical,CA:TRUE" + (pathLength.map { ",pathlen:\($0)" } ?? ""))
            keyUsage = "critical,keyCertSign,cRLSign,digitalSignature"
            eku = nil
        case .server, .client, .serverAndClient:
            try add(NID_basic_constraints, "critical,CA:FALSE")
            let isRSA = EVP_PKEY_get_base_id(subjectKey) == EVP_PKEY_RSA
            keyUsage = isRSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"
            eku = request.usage == .server ? "serverAuth" : request.usage == .client ? "clientAuth" : "serverAuth,clientAuth"
        }
        if let ku = request.keyUsage {
            guard !ku.isEmpty else { throw JSecError(.configuration, "an explicit key usage set must not be empty", code: .jsec(.invalidArgument)) }
            keyUsage = "critical," + KeyUsage.allCases.filter(ku.contains).map(\.rawValue).joined(separator: ",")
        }
        if let x = request.extendedKeyUsage {
            eku = x.isEmpty ? nil : ExtendedKeyUsage.allCases.filter(x.contains).map(\.openSSLName).joined(separator: ",")
        }
        try add(NID_key_usage, keyUsage)
        if let eku { try add(NID_ext_key_usage, eku) }
        try add(NID_subject_key_identifier, "hash")
        if issuer != nil { try add(NID_authority_key_identifier, "keyid:always") }
        var sans: [String] = []
        for d in request.dnsNames {
            guard !d.isEmpty, !d.contains(","), !d.contains(":") else {
                throw JSecError(.configuration, "invalid DNS name '\(d)'", code: .jsec(.invalidArgument))
            }
            sans.append("DNS:\(d)")
        }
        for ip in request.ipAddresses {
            guard IPAddress.isLiteral(ip) else { throw JSecError(.configuration, "invalid IP address '\(ip)'", code: .jsec(.invalidArgument)) }
            sans.append("IP:\(ip)")
        }
        for e in request.emails {
            guard e.contains("@"), !e.contains(","), !e.contains(":") else {
                throw JSecError(.configuration, "invalid email address '\(e)'", code: .jsec(.invalidArgument))
            }
            sans.append("email:\(e)")
        }
        if !sans.isEmpty { try add(NID_subject_alt_name, sans.joined(separator: ",")) }

        let md = signingDigest(for: issuerKey)
        guard X509_sign(x, issuerKey.pkey, md) > 0 else { throw JSecError.openSSL(.crypto, "signing the certificate failed") }
        return cert
    }

    /// SHA-256 for RSA/EC keys; none for Ed25519/Ed448, which sign the message itself.
    static func signingDigest(for key: PrivateKey) -> OpaquePointer? {
        switch key.algorithm {
        case "ED25519", "ED448": return nil
        case "EC" where key.bits > 256: return EVP_sha384()
        default: return EVP_sha256()
        }
    }
}
