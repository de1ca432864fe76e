import NIOCore
import Synchronization

/// The protocol version a TLS or DTLS connection negotiated: one value, printed as OpenSSL names it
/// (`TLSv1.2`, `TLSv1.3`, `DTLSv1.2`). For TLS it carries the ``TLSVersion`` a configuration uses.
public enum NegotiatedVersion: Sendable, Hashable, CustomStringConvertible {
    case tls(TLSVersion)
    case dtls1_2
    /// A name OpenSSL reported that JSec does not configure (not expected: contexts allow only the above).
    case other(String)

    init(openSSLName name: String) {
        switch name {
        case "DTLSv1.2": self = .dtls1_2
        default: self = TLSVersion.allCases.first { $0.protocolName == name }.map(NegotiatedVersion.tls) ?? .other(name)
        }
    }

    /// OpenSSL's name: `TLSv1.2`, `TLSv1.3`, `DTLSv1.2`.
    public var description: String {
        switch self {
        case .tls(let v): return v.protocolName
        case .dtls1_2: return "DTLSv1.2"
        case .other(let name): return name
        }
    }

    /// The TLS version, for a TLS connection.
    public var tlsVersion: TLSVersion? {
        if case .tls(let v) = self { return v }
        return nil
    }
}

/// What was negotiated in a TLS handshake.
public struct TLSConnectionInfo: Sendable {
    /// The negotiated version (prints as `TLSv1.3`; ``NegotiatedVersion/tlsVersion`` is the ``TLSVersion``).
    public let version: NegotiatedVersion
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
    /// Client: the DER OCSP response the server stapled (asked for with ``TLSConfiguration/ocspStatus``); nil otherwise.
    public var stapledOCSPResponse: [UInt8]? = nil

    /// The negotiated version as a ``TLSVersion`` (nil for DTLS).
    public var tlsVersion: TLSVersion? { version.tlsVersion }
    /// The peer's chain as DER, leaf first.
    public var peerCertificateChainDER: [[UInt8]] { peerCertificates.map(\.der) }
}

/// The TLS facet of a ``NetStream`` (or of a ``TLSChannelHandler``'s connection): negotiated parameters and TLS-only operations.
public final class TLSConnection: Sendable {
    public let info: TLSConnectionInfo
    let state: TLSLiveState
    private let handler: NIOLoopBound<TLSHandler>
    private let eventLoop: any EventLoop

    init(info: TLSConnectionInfo, state: TLSLiveState, handler: NIOLoopBound<TLSHandler>, eventLoop: any EventLoop) {
        self.info = info
        self.state = state
        self.handler = handler
        self.eventLoop = eventLoop
    }

    /// Whether this connection resumed an earlier session.
    public var sessionReused: Bool { info.sessionReused }

    /// The latest session the server gave this client (TLS 1.3 tickets arrive after the handshake,
    /// with the first data read). Pass it to `TLS.connect(…, session:)` to resume. nil on servers.
    public var session: TLSSession? { state.latestSession }

    /// TLS 1.3 key update: new traffic keys for what this side sends; with `requestPeer`,
    /// the peer is asked to update its keys too. Data in flight is not disturbed.
    public func updateKeys(requestPeer: Bool = false) async throws {
        let handler = self.handler
        try await eventLoop.submit { try handler.value.updateKeys(requestPeer: requestPeer) }.get()
    }

    /// TLS 1.2 renegotiation (both sides need ``TLSConfiguration/allowRenegotiation``): runs a new handshake
    /// on the live connection and returns when it has completed. Data keeps flowing both ways; writes made
    /// meanwhile are held and sent, in order, after it. Refused by the peer: a `.protocol` error.
    public func renegotiate() async throws {
        let handler = self.handler
        let promise = eventLoop.makePromise(of: Void.self)
        eventLoop.execute { handler.value.renegotiate(promise: promise) }
        try await promise.futureResult.get()
    }

    /// How many renegotiations this side started on the connection (peer-started ones are not counted).
    public func renegotiationCount() async throws -> Int {
        let handler = self.handler
        return try await eventLoop.submit { handler.value.renegotiationCount }.get()
    }

    public var version: NegotiatedVersion { info.version }
    public var cipher: String { info.cipher }
    public var alpn: String? { info.alpn }

    /// How the peer ended the stream: ``PeerClosure/open`` until the end of stream, then
    /// ``PeerClosure/closeNotify`` (a clean close) or ``PeerClosure/withoutCloseNotify`` (the
    /// transport closed without it: possible truncation). It does not change after the first end.
    public var peerClosure: PeerClosure { state.peerClosure }
}

/// How the peer ended its side of a TLS connection (``TLSConnection/peerClosure``,
/// ``TLSMemoryConnection/peerClosure``).
public enum PeerClosure: Sendable, Hashable {
    /// The peer has not ended the stream yet: neither close_notify nor the end of the transport was seen.
    case open
    /// The peer sent close_notify: everything it wrote arrived, the close is clean.
    case closeNotify
    /// The transport ended without close_notify: what the peer wrote may have been cut short (a crashed
    /// peer, or an attacker closing the TCP connection). `read` returned `nil` all the same.
    case withoutCloseNotify
}

/// State a TLS handler updates on its event loop and readers see from anywhere.
final class TLSLiveState: Sendable {
    private let closed = Mutex<PeerClosure>(.open)
    private let session = Mutex<TLSSession?>(nil)
    var latestSession: TLSSession? { session.withLock { $0 } }
    func setSession(_ s: TLSSession) { session.withLock { $0 = s } }
    var peerClosure: PeerClosure { closed.withLock { $0 } }
    /// Records the first end of the peer's stream; later ones change nothing.
    func setPeerClosed(cleanly: Bool) { closed.withLock { if $0 == .open { $0 = cleanly ? .closeNotify : .withoutCloseNotify } } }
}
