import Assay
import JSec

/// One case's coordinator end over TLS: the case's credentials, its server context and a TCP listener whose
/// connections authenticate with a TLS 1.3 handshake.
struct TLSCoordinatorEndpoint: RemoteCoordinatorEndpoint {
    let credentials: RemoteCredentials
    let context: TLSContext
    let listener: NetListener

    var port: Int { listener.port ?? 0 }

    func bundle(for p: ParticipantID) throws -> String? { try credentials.bundle(for: p) }

    func tokenMatches(_ presented: String) -> Bool { credentials.tokenMatches(presented) }

    func accept() async throws -> any RemoteIncoming {
        TLSIncoming(stream: try await listener.accept(), context: context, credentials: credentials)
    }

    func close() async { await listener.close() }
}

/// A TCP connection the coordinator accepted: plaintext until `authenticate()` runs the server handshake.
struct TLSIncoming: RemoteIncoming {
    let stream: NetStream
    let context: TLSContext
    let credentials: RemoteCredentials
    let peer: RemotePeer?

    init(stream: NetStream, context: TLSContext, credentials: RemoteCredentials) {
        self.stream = stream
        self.context = context
        self.credentials = credentials
        // Taken now: a closed stream has no address.
        if let address = stream.remoteAddress, case .ip(let host, _) = address {
            peer = RemotePeer(host: host, description: address.description)
        } else {
            peer = nil
        }
    }

    /// TLS 1.3 with a client certificate this case's CA issued to a remote participant (mutual authentication).
    func authenticate() async throws -> ParticipantID {
        do { try await TLS.upgrade(stream, asServerWith: context) } catch {
            throw RemoteLinkError(
                kind: .handshake, description: "TLS handshake failed (no TLS, a certificate not issued by this run's CA, or none): \(error)")
        }
        guard let leaf = stream.tls?.info.peerCertificates.first, let fingerprint = try? leaf.fingerprint(),
            let p = credentials.issued[fingerprint]
        else {
            throw RemoteLinkError(kind: .verification, description: "its certificate was issued by this run's CA to no remote participant")
        }
        return p
    }

    func read(max: Int, timeout: Duration) async throws -> [UInt8]? { try await NetRemoteStream(stream: stream).read(max: max, timeout: timeout) }

    func write(_ bytes: [UInt8]) async throws { try await NetRemoteStream(stream: stream).write(bytes) }

    func close() async { await stream.close() }
}
