import Synchronization

/// What was negotiated in a TLS handshake.
public struct TLSConnectionInfo: Sendable {
    /// `TLSv1.2` or `TLSv1.3`.
    public let version: String
    /// OpenSSL's cipher name, e.g. `TLS_AES_128_GCM_SHA256` or `ECDHE-ECDSA-AES128-GCM-SHA256`.
    public let cipher: String
    public let cipherBits: Int
    /// The ALPN protocol both sides agreed on.
    public let alpn: String?
    /// The SNI name the client sent (as seen by either side).
    public let serverName: String?
    /// The peer's certificate chain, leaf first (empty when the peer presented none).
    public let peerCertificates: [Certificate]
    /// The key algorithm of the certificate this side presented (`RSA`, `EC`, `ED25519`), if any.
    public let localCertificateKeyType: String?
    /// Time from the start of the handshake to its completion.
    public let handshakeDuration: Duration
    /// Whether the session was resumed rather than fully negotiated.
    public let sessionReused: Bool

    /// The negotiated version as a ``TLSVersion``.
    public var tlsVersion: TLSVersion? { TLSVersion.allCases.first { $0.protocolName == version } }
    /// The peer's chain as PEM, leaf first.
    public var peerCertificateChainPEM: [String] { peerCertificates.map(\.pem) }
    /// The peer's chain as DER, leaf first.
    public var peerCertificateChainDER: [[UInt8]] { peerCertificates.map(\.der) }
}

/// The TLS facet of a ``NetStream``: negotiated parameters and TLS-only state.
public final class TLSConnection: Sendable {
    public let info: TLSConnectionInfo
    let state: TLSLiveState

    init(info: TLSConnectionInfo, state: TLSLiveState) {
        self.info = info
        self.state = state
    }

    public var version: String { info.version }
    public var cipher: String { info.cipher }
    public var alpn: String? { info.alpn }

    /// After end of stream: `true` when the peer ended with close_notify, `false` when the
    /// transport closed without it (possible truncation); `nil` while the stream is open.
    public var peerClosedCleanly: Bool? { state.peerClosedCleanly }
}

/// State a TLS handler updates on its event loop and readers see from anywhere.
final class TLSLiveState: Sendable {
    private let closed = Mutex<Bool?>(nil)
    var peerClosedCleanly: Bool? { closed.withLock { $0 } }
    func setPeerClosed(cleanly: Bool) { closed.withLock { if $0 == nil { $0 = cleanly } } }
}
