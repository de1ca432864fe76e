import Synchronization

/// The remote participants' transport (docs/distributed.md, "Remote participants"): how the coordinator and a
/// remote participant authenticate each other and carry the coordination protocol's lines. Assay owns the
/// protocol — the join line, the token check, admission, bounds, relaying — and knows nothing about TLS; the
/// runner wires in an implementation at start-up (`AssayMain.main(suites:remoteTransport:metadata:)`;
/// the project's runner uses `AssayRemoteTLS`: TLS 1.3 with a fresh CA per case and mutual authentication).
package protocol RemoteTransport: Sendable {
    /// One case's coordinator end: credentials for `participants` (an identity each, and a token) and a
    /// listener on `address:port` (0: any port) whose connections authenticate within `handshakeTimeout`.
    func coordinator(
        address: String, port: Int, backlog: Int, participants: [ParticipantID], handshakeTimeout: Duration
    ) async throws -> any RemoteCoordinatorEndpoint

    /// A participant's credentials from the text of its bundle (`RemoteCoordinatorEndpoint.bundle(for:)`).
    func participant(bundle: String) throws -> any RemoteParticipantCredentials

    /// A participant's credentials from separate PEM texts (`runner participant --cert --key --ca`).
    func participant(certificate: String, key: String, ca: String) throws -> any RemoteParticipantCredentials

    /// A connection to the Unix-domain socket at `path` (the coordinator's socket, which an admitted link is relayed to).
    func connect(unixPath: String, timeout: Duration) async throws -> any RemoteStream

    /// A listener on the Unix-domain socket at `path` (a remote participant's private socket for its worker).
    func listen(unixPath: String, backlog: Int) async throws -> any RemoteLocalListener
}

/// A connected byte stream: a participant's link to the coordinator, or a local Unix-domain connection.
/// Its failures are `RemoteLinkError`s (a `.timeout` leaves the stream usable) or `CancellationError`.
package protocol RemoteStream: Sendable {
    /// 1…`max` bytes as soon as any are there; nil at the end of the stream.
    func read(max: Int, timeout: Duration) async throws -> [UInt8]?
    /// Returns once every byte is accepted.
    func write(_ bytes: [UInt8]) async throws
    /// Idempotent; never hangs.
    func close() async
}

/// A connection the coordinator accepted and has not authenticated yet.
package protocol RemoteIncoming: RemoteStream {
    /// Where it came from, taken when it was accepted (nil when unknown).
    var peer: RemotePeer? { get }
    /// Authenticates the peer (its handshake, bounded by the endpoint's handshake timeout): the participant its
    /// identity was issued to for this case. Throws, saying why, when the handshake fails or the identity names
    /// no participant (the gate records the error's text as the refusal's reason).
    func authenticate() async throws -> ParticipantID
}

/// The address a connection came from.
package struct RemotePeer: Sendable, Equatable {
    /// The IP address, e.g. `127.0.0.1`.
    package var host: String
    /// The address and port, as the results file records it: `127.0.0.1:40512`.
    package var description: String

    package init(host: String, description: String) {
        self.host = host
        self.description = description
    }
}

/// One coordinated case's coordinator end: its credentials and its listener.
package protocol RemoteCoordinatorEndpoint: Sendable {
    /// The port it listens on.
    var port: Int { get }
    /// What `p` is given to join (`--bundle`): its identity, the trust it needs and the token; nil for a
    /// participant that has no identity here.
    func bundle(for p: ParticipantID) throws -> String?
    /// Whether `presented` is exactly this case's token (in constant time).
    func tokenMatches(_ presented: String) -> Bool
    /// The next connection; throws once the listener is closed.
    func accept() async throws -> any RemoteIncoming
    /// Stops listening; accepted connections stay open. Idempotent.
    func close() async
}

/// What a remote participant holds to join: its identity and the coordinator's trust.
package protocol RemoteParticipantCredentials: Sendable {
    /// The token its bundle carries, if any.
    var token: String? { get }
    /// Connects to the coordinator and authenticates both ends (a coordinator that is not this run's
    /// fails with `RemoteLinkError.Kind.verification`).
    func connect(host: String, port: Int, timeout: Duration) async throws -> any RemoteStream
}

/// A local Unix-domain listener.
package protocol RemoteLocalListener: Sendable {
    /// The next connection; throws `RemoteLinkError` (`.timeout`, `.closed`).
    func accept(timeout: Duration) async throws -> any RemoteStream
    /// Idempotent.
    func close() async
}

/// The transport the runner wired in; nil: this program cannot run remote participants.
package enum InstalledRemoteTransport {
    private static let slot = Mutex<(any RemoteTransport)?>(nil)

    package static var current: (any RemoteTransport)? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
