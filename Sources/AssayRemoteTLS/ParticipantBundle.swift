import Assay
import Foundation
import JSec
import JSecCrypto

/// What a remote participant holds: its certificate and key, the run's CA certificate, the token.
struct ParticipantBundle: Sendable {
    static let tokenPrefix = "assay-token: "
    var certificate: Certificate
    var key: PrivateKey
    var ca: Certificate
    var token: String?

    /// Parses a bundle (`bundle(for:)`'s text): the first certificate is the participant's, the last the CA's.
    init(text: String) throws {
        let certs = try Certificate.chain(pem: text)
        guard certs.count >= 2, let leaf = certs.first, let ca = certs.last else {
            throw JSecError(.configuration, "the bundle must hold the participant's certificate and the run's CA certificate", code: .jsec(.malformedInput))
        }
        certificate = leaf
        self.ca = ca
        key = try PrivateKey(pem: text)
        token = text.split(separator: "\n").first { $0.hasPrefix(Self.tokenPrefix) }
            .map { String($0.dropFirst(Self.tokenPrefix.count)).trimmingCharacters(in: .whitespaces) }
    }

    init(certificate: Certificate, key: PrivateKey, ca: Certificate, token: String?) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
        self.token = token
    }

    /// The participant's TLS client context: TLS 1.3 only, the coordinator verified against the run's CA.
    func clientContext() throws -> TLSContext {
        var c = TLSConfiguration.client(trustRoots: .certificates([ca]))
        c.certificateChain = .certificates([certificate])
        c.privateKey = .key(key)
        c.minimumVersion = .tls1_3
        c.maximumVersion = .tls1_3
        c.handshakeTimeout = .seconds(15)
        return try TLSContext(c)
    }
}

extension ParticipantBundle: RemoteParticipantCredentials {
    /// TLS 1.3 to the coordinator with the participant's certificate; a coordinator whose certificate does not
    /// verify against the run's CA fails with `.verification`.
    func connect(host: String, port: Int, timeout: Duration) async throws -> any RemoteStream {
        let stream = try await RemoteLinkError.mapping {
            try await TLS.connect(host: host, port: port, context: try clientContext(), timeout: timeout)
        }
        return NetRemoteStream(stream: stream)
    }
}
