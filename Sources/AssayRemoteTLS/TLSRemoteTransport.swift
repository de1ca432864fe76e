import Assay
import JSec
import JSecCrypto

/// Assay's remote participants over TLS (docs/distributed.md, "Trust model of the coordinator channel"): per
/// case a fresh CA, a server certificate for the coordinator and a client certificate per participant; TLS 1.3
/// only, both ends authenticated. The local side (the coordinator's Unix socket, a participant's private one)
/// is a plain JSec Unix-domain stream. The runner wires it in: `AssayMain.main(suites:remoteTransport:metadata:)`.
package struct TLSRemoteTransport: RemoteTransport {
    package init() {}

    package func coordinator(
        address: String, port: Int, backlog: Int, participants: [ParticipantID], handshakeTimeout: Duration
    ) async throws -> any RemoteCoordinatorEndpoint {
        let credentials = try RemoteCredentials(coordinatorAddress: address, participants: participants)
        let context = try credentials.serverContext(handshakeTimeout: handshakeTimeout)
        let listener = try await NetListener.listen(host: address, port: port, backlog: backlog)
        return TLSCoordinatorEndpoint(credentials: credentials, context: context, listener: listener)
    }

    package func participant(bundle: String) throws -> any RemoteParticipantCredentials {
        try ParticipantBundle(text: bundle)
    }

    package func participant(certificate: String, key: String, ca: String) throws -> any RemoteParticipantCredentials {
        ParticipantBundle(
            certificate: try Certificate(pem: certificate), key: try PrivateKey(pem: key), ca: try Certificate(pem: ca), token: nil)
    }

    package func connect(unixPath: String, timeout: Duration) async throws -> any RemoteStream {
        NetRemoteStream(stream: try await RemoteLinkError.mapping { try await NetStream.connect(unixPath: unixPath, timeout: timeout) })
    }

    package func listen(unixPath: String, backlog: Int) async throws -> any RemoteLocalListener {
        NetLocalListener(listener: try await RemoteLinkError.mapping { try await NetListener.listen(unixPath: unixPath, backlog: backlog) })
    }
}
