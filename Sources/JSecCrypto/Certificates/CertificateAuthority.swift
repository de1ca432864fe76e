internal import CJSecOpenSSL
import Foundation
import Synchronization

/// A certificate authority: a root (or intermediate) that issues certificates, signs CSRs, numbers
/// serials, keeps a revocation list, and produces CRLs and OCSP responses (jsec's `ca/CA`).
///
/// A value type holding its certificate, key and a shared ``CertificateAuthority/Registry``: copies of a
/// CA share one serial counter and one revocation list.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let privateKey: PrivateKey
    public let registry: Registry

    /// Mutable CA state (serial counter, issued and revoked certificates), shared by copies of the CA.
    public final class Registry: Sendable {
        private struct State {
            var nextSerialValue: UInt64?
            var issued: [Certificate]?
            var revokedList: [RevokedCertificate] = []
            var crlNumber: UInt64 = 0
        }
        private let state: Mutex<State>

        init(serial: UInt64?, trackIssued: Bool) {
            state = Mutex(State(nextSerialValue: serial, issued: trackIssued ? [] : nil))
        }

        /// Takes the next serial as hex (nil: random serials).
        func takeSerial() -> String? {
            state.withLock { r in
                guard let s = r.nextSerialValue else { return nil }
                r.nextSerialValue = s + 1
                return String(s, radix: 16, uppercase: true)
            }
        }
        var serial: UInt64? { state.withLock { $0.nextSerialValue } }
        func setSerial(_ s: UInt64) { state.withLock { $0.nextSerialValue = s } }
        func record(_ cert: Certificate) { state.withLock { $0.issued?.append(cert) } }
        var issuedCertificates: [Certificate]? { state.withLock { $0.issued } }
        var revoked: [RevokedCertificate] { state.withLock { $0.revokedList } }
        func revoke(_ entry: RevokedCertificate) {
            state.withLock { r in
                r.revokedList.removeAll { $0.serialHex == entry.serialHex }
                r.revokedList.append(entry)
            }
        }
        func takeCRLNumber() -> UInt64 {
            state.withLock { r in
                r.crlNumber += 1; return r.crlNumber
            }
        }
    }

    /// Wraps an existing CA certificate and key.
    /// - Parameters:
    ///   - certificate: the CA certificate (a CA: basicConstraints CA:TRUE).
    ///   - privateKey: the key of `certificate`, which signs what the CA issues.
    ///   - serial: the first serial to issue (sequential serials); nil for random 127-bit serials.
    ///   - trackIssued: remember every issued certificate (``issuedCertificates``).
    public init(certificate: Certificate, privateKey: PrivateKey, serial: UInt64? = nil, trackIssued: Bool = false) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.registry = Registry(serial: serial, trackIssued: trackIssued)
    }

    /// Creates a self-signed root CA.
    public static func createRoot(
        commonName: String = "JSec Test Root CA", keyType: KeyType = .ecP256, daysValid: Int = 3650,
        serial: UInt64? = nil, trackIssued: Bool = false
    ) throws -> CertificateAuthority {
        try createRoot(subject: DistinguishedName(commonName: commonName), keyType: keyType, daysValid: daysValid, serial: serial, trackIssued: trackIssued)
    }

    /// Creates a self-signed root CA with a full subject name (jsec's `ca/generate`).
    public static func createRoot(
        subject: DistinguishedName, keyType: KeyType = .ecP256, daysValid: Int = 3650,
        serial: UInt64? = nil, trackIssued: Bool = false
    ) throws -> CertificateAuthority {
        let key = try PrivateKey.generate(keyType)
        let req = CertificateRequest(commonName: subject.commonName ?? "", daysValid: daysValid, usage: .certificateAuthority(pathLength: nil))
        let cert = try CertificateBuilder.issue(req, subjectKey: key.pkey, subject: subject, issuer: nil, issuerKey: key)
        return CertificateAuthority(certificate: cert, privateKey: key, serial: serial, trackIssued: trackIssued)
    }

    /// Creates an intermediate CA signed by this one (`pathLength` 0: it may issue only leaves).
    public func createIntermediate(commonName: String, keyType: KeyType = .ecP256, daysValid: Int = 1825) throws -> CertificateAuthority {
        try createIntermediate(subject: DistinguishedName(commonName: commonName), keyType: keyType, daysValid: daysValid)
    }

    public func createIntermediate(
        subject: DistinguishedName, keyType: KeyType = .ecP256, daysValid: Int = 1825, pathLength: Int? = 0,
        serial: UInt64? = nil, trackIssued: Bool = false
    ) throws -> CertificateAuthority {
        let key = try PrivateKey.generate(keyType)
        let req = CertificateRequest(commonName: subject.commonName ?? "", daysValid: daysValid, usage: .certificateAuthority(pathLength: pathLength))
        let cert = try CertificateBuilder.issue(
            req, subjectKey: key.pkey, subject: subject, serialHex: registry.takeSerial(),
            issuer: certificate, issuerKey: privateKey)
        registry.record(cert)
        return CertificateAuthority(certificate: cert, privateKey: key, serial: serial, trackIssued: trackIssued)
    }

    /// Issues a leaf certificate with a new key.
    public func issue(_ request: CertificateRequest, keyType: KeyType = .ecP256) throws -> CertificateAndKey {
        let key = try PrivateKey.generate(keyType)
        let cert = try CertificateBuilder.issue(request, subjectKey: key.pkey, serialHex: registry.takeSerial(), issuer: certificate, issuerKey: privateKey)
        registry.record(cert)
        return CertificateAndKey(certificate: cert, privateKey: key)
    }

    /// Signs a CSR (jsec's `ca/sign`). The CSR's self-signature must verify. Its subject is kept; its
    /// requested SANs are copied unless `dnsNames`/`ipAddresses` are given.
    /// `keyUsage`/`extendedKeyUsage` override what `usage` implies.
    public func sign(
        _ csr: CertificateSigningRequest, usage: CertificateUsage = .serverAndClient, daysValid: Int = 365,
        dnsNames: [String]? = nil, ipAddresses: [String]? = nil, serialHex: String? = nil,
        keyUsage: Set<KeyUsage>? = nil, extendedKeyUsage: Set<ExtendedKeyUsage>? = nil
    ) throws -> Certificate {
        guard csr.isSignatureValid, let key = csr.publicKey else {
            throw JSecError(.crypto, "the CSR's signature does not verify (or its key is unusable)", code: .jsec(.signatureInvalid))
        }
        var req = CertificateRequest(
            commonName: csr.subject.commonName ?? "", dnsNames: dnsNames ?? csr.dnsNames,
            ipAddresses: ipAddresses ?? csr.ipAddresses, daysValid: daysValid, usage: usage)
        req.keyUsage = keyUsage
        req.extendedKeyUsage = extendedKeyUsage
        req.emails = csr.subjectAltNames.compactMap { if case .email(let e) = $0 { return e } else { return nil } }
        let cert = try CertificateBuilder.issue(
            req, subjectKey: key.pkey, subject: csr.subject, serialHex: serialHex ?? registry.takeSerial(),
            issuer: certificate, issuerKey: privateKey)
        registry.record(cert)
        return cert
    }

    /// The next sequential serial (nil when serials are random).
    public var nextSerial: UInt64? { registry.serial }
    public func setNextSerial(_ serial: UInt64) { registry.setSerial(serial) }
    /// Every certificate issued so far, when tracking is on; nil otherwise.
    public var issuedCertificates: [Certificate]? { registry.issuedCertificates }
    public var isTrackingIssued: Bool { registry.issuedCertificates != nil }

    /// Adds a serial to the revocation list (replacing an earlier entry for it).
    public func revoke(serialHex: String, reason: RevocationReason = .unspecified, at date: Date = Date()) throws {
        let n = SerialNumber.normalize(serialHex)
        guard n.allSatisfy(\.isHexDigit) else { throw JSecError(.configuration, "invalid serial number '\(serialHex)'", code: .jsec(.invalidArgument)) }
        registry.revoke(RevokedCertificate(serialHex: n, revocationDate: date, reason: reason))
    }

    public func revoke(_ certificate: Certificate, reason: RevocationReason = .unspecified, at date: Date = Date()) throws {
        try revoke(serialHex: certificate.serialNumberHex, reason: reason, at: date)
    }

    /// The revocation list.
    public var revoked: [RevokedCertificate] { registry.revoked }

    /// Whether a serial has been revoked by this CA.
    public func revocation(serialHex: String) -> RevokedCertificate? {
        let n = SerialNumber.normalize(serialHex)
        return registry.revoked.first { $0.serialHex == n }
    }
}
