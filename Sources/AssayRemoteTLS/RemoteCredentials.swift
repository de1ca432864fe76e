import Assay
import Foundation
import JSec
import JSecCrypto

/// The coordinator channel's trust for one coordinated case: a fresh CA (P-256, valid one day),
/// the coordinator's server certificate (its listen address as SAN, serverAuth only), one client
/// certificate per remote participant (CN `role[index]`, clientAuth only) and a random 256-bit token.
/// Nothing outlives the case: the CA key stays in this process's memory.
struct RemoteCredentials: Sendable {
    let ca: CertificateAuthority
    let coordinator: CertificateAndKey
    let token: String
    /// Leaf SHA-256 fingerprint → the participant the certificate was issued to.
    let issued: [String: ParticipantID]
    let identities: [ParticipantID: CertificateAndKey]

    init(coordinatorAddress: String, participants: [ParticipantID]) throws {
        ca = try CertificateAuthority.createRoot(commonName: "Assay run CA \(UInt32.random(in: 0...UInt32.max))", daysValid: 1)
        let isIP = IPAddress.isLiteral(coordinatorAddress)
        coordinator = try ca.issue(
            CertificateRequest(
                commonName: "assay-coordinator",
                dnsNames: isIP ? [] : [coordinatorAddress],
                ipAddresses: isIP ? [coordinatorAddress] : [],
                daysValid: 1, usage: .server))
        var ids: [ParticipantID: CertificateAndKey] = [:]
        var fp: [String: ParticipantID] = [:]
        for p in participants {
            let id = try ca.issue(CertificateRequest(commonName: p.description, daysValid: 1, usage: .client))
            ids[p] = id
            fp[try id.certificate.fingerprint()] = p
        }
        identities = ids
        issued = fp
        token = try SecureRandom.bytes(32).map { String(format: "%02x", $0) }.joined()
    }

    /// The coordinator's TLS server context: TLS 1.3 only, client certificates required and
    /// verified against this case's CA only.
    func serverContext(handshakeTimeout: Duration = .seconds(15)) throws -> TLSContext {
        var c = TLSConfiguration.server(
            coordinator, clientAuthentication: .required,
            trustRoots: .certificates([ca.certificate]))
        c.minimumVersion = .tls1_3
        c.maximumVersion = .tls1_3
        c.sessionTickets = false
        c.handshakeTimeout = handshakeTimeout
        return try TLSContext(c)
    }

    /// The participant's bundle: its certificate, the CA certificate, its key and the token
    /// (a line outside the PEM blocks). Written with mode 0600.
    func bundle(for p: ParticipantID) throws -> String? {
        guard let id = identities[p] else { return nil }
        return "# Assay remote participant \(p): certificate, run CA, key, token\n"
            + id.certificatePEM + ca.certificate.pem + (try id.privateKeyPEM) + "\(ParticipantBundle.tokenPrefix)\(token)\n"
    }

    /// Constant-time comparison of a presented token with the run's.
    func tokenMatches(_ presented: String) -> Bool {
        let a = Array(presented.utf8), b = Array(token.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<min(a.count, b.count) { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
