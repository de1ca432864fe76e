/// Datagram-specific settings of a DTLS client or server. Everything else (certificates, trust,
/// verification, mTLS, ciphers, ALPN, sessions, handshake timeout) comes from the ``TLSConfiguration``
/// of the ``TLSContext``, exactly as for TLS.
public struct DTLSOptions: Sendable, Hashable {
    /// The largest datagram (UDP payload) this side sends, in bytes: handshake messages are fragmented
    /// to fit, and a message that does not fit in one record of this size is refused (``DTLSConnection/maximumMessageSize``).
    /// The default 1400 fits an Ethernet path with room for tunnels; IPv6's guaranteed minimum is 1232.
    public var mtu: Int = 1400
    /// The first retransmission timeout of a handshake flight; it doubles on every retry up to 60 s
    /// (RFC 6347 §4.2.4.1). OpenSSL gives up after 12 timeouts; ``TLSConfiguration/handshakeTimeout`` bounds the total.
    public var initialRetransmissionTimeout: Duration = .seconds(1)
    /// Server: a peer that sends nothing for this long loses its session (its connection's reads throw
    /// a `JSecError.Category.timeout` error). nil keeps sessions until closed.
    public var peerIdleTimeout: Duration? = .seconds(120)
    /// Server: the most sessions (handshaking or established) kept at once; new peers beyond it are ignored.
    public var maximumSessions: Int = 10_000
    /// How many received messages a connection buffers for ``DTLSConnection/read(timeout:)``; beyond it new
    /// messages are dropped, as a full UDP socket buffer would (``DTLSConnection/droppedMessages`` counts them).
    public var receiveQueueCapacity: Int = 1024
    /// Server: the most handshakes in progress from one IP address (any port). Each costs the server about
    /// 50 KB until it completes or times out; without this bound one host that harvested cookies from
    /// many ports could fill ``maximumSessions`` with half-open handshakes and keep real peers waiting.
    /// Established sessions do not count. Beyond it a verified ClientHello is ignored and recorded in
    /// ``DTLSServer/handshakeFailures``.
    public var maximumHandshakesPerAddress: Int = 64
    /// Server: how long one cookie secret is used (RFC 6347 §4.2.1). A cookie is accepted in the period it was
    /// made and the next one — at least this long, at most twice — then refused with a new HelloVerifyRequest,
    /// so a harvested cookie cannot be replayed later from a spoofed source. 100 ms…1 day.
    public var cookieSecretLifetime: Duration = .seconds(60)
    /// Server: the memory, in bytes, that half-open handshakes (cookie verified, handshake not complete) may hold
    /// together. Each is charged ``halfOpenHandshakeCharge`` bytes (what one measured), so the default 16 MiB admits
    /// 16 MiB ÷ 60 KiB = 273 at once, whatever their addresses. When it is full, a verified ClientHello takes the place
    /// of the oldest half-open handshake if that one is older than ``halfOpenEvictionAge`` (it ends with
    /// `.jsec(.halfOpenEvicted)` in ``DTLSServer/handshakeFailures``), else it is dropped unanswered and counted in
    /// ``DTLSServer/halfOpenHandshakesRefused``; the peer's retransmitted ClientHello tries again. Established
    /// sessions are neither counted nor touched. At least one charge.
    public var halfOpenHandshakeBudget: Int = 16 << 20
    /// Server: how long a half-open handshake is safe from eviction when ``halfOpenHandshakeBudget`` is full — the
    /// time a real peer has to complete its handshake under a flood of verified ClientHellos. 0…1 day.
    public var halfOpenEvictionAge: Duration = .seconds(2)
    /// What one half-open server handshake holds, in bytes, as ``halfOpenHandshakeBudget`` charges it: the SSL
    /// object with its read and write buffers, the handshake's messages and key share, the driver and its timers.
    /// Measured from outside: 10,000 harvested cookies fired at `dtls-echo` (ECDSA P-256) without this budget started
    /// 5,949 half-open handshakes and took its RSS from 33 to 378 MiB, 59 KiB each (tools/dtls-cookie-attack,
    /// docs/security.md); rounded up.
    public static let halfOpenHandshakeCharge = 60 * 1024

    /// The most half-open handshakes ``halfOpenHandshakeBudget`` admits at once.
    var maximumHalfOpenHandshakes: Int { halfOpenHandshakeBudget / Self.halfOpenHandshakeCharge }

    public init() {}

    public init(mtu: Int = 1400, initialRetransmissionTimeout: Duration = .seconds(1), peerIdleTimeout: Duration? = .seconds(120)) {
        self.mtu = mtu
        self.initialRetransmissionTimeout = initialRetransmissionTimeout
        self.peerIdleTimeout = peerIdleTimeout
    }

    /// Largest UDP payload (IPv4: 65,535 − 20 − 8).
    static let maximumDatagram = 65_507

    func validate() throws {
        guard (256...Self.maximumDatagram).contains(mtu) else {
            throw JSecError(.configuration, "DTLS mtu must be 256…\(Self.maximumDatagram) bytes, got \(mtu)", code: .jsec(.invalidOption))
        }
        guard initialRetransmissionTimeout >= .milliseconds(10), initialRetransmissionTimeout <= .seconds(60) else {
            throw JSecError(.configuration, "initialRetransmissionTimeout must be 10 ms…60 s, got \(initialRetransmissionTimeout)", code: .jsec(.invalidOption))
        }
        if let idle = peerIdleTimeout, idle <= .zero {
            throw JSecError(.configuration, "peerIdleTimeout must be positive (or nil), got \(idle)", code: .jsec(.invalidOption))
        }
        guard maximumSessions > 0 else { throw JSecError(.configuration, "maximumSessions must be > 0, got \(maximumSessions)", code: .jsec(.invalidOption)) }
        guard cookieSecretLifetime >= .milliseconds(100), cookieSecretLifetime <= .seconds(86_400) else {
            throw JSecError(.configuration, "cookieSecretLifetime must be 100 ms…1 day, got \(cookieSecretLifetime)", code: .jsec(.invalidOption))
        }
        guard maximumHandshakesPerAddress > 0 else {
            throw JSecError(.configuration, "maximumHandshakesPerAddress must be > 0, got \(maximumHandshakesPerAddress)", code: .jsec(.invalidOption))
        }
        guard halfOpenHandshakeBudget >= Self.halfOpenHandshakeCharge else {
            throw JSecError(
                .configuration,
                "halfOpenHandshakeBudget must hold at least one half-open handshake (\(Self.halfOpenHandshakeCharge) bytes), got \(halfOpenHandshakeBudget)",
                code: .jsec(.invalidOption))
        }
        guard halfOpenEvictionAge >= .zero, halfOpenEvictionAge <= .seconds(86_400) else {
            throw JSecError(.configuration, "halfOpenEvictionAge must be 0…1 day, got \(halfOpenEvictionAge)", code: .jsec(.invalidOption))
        }
        guard receiveQueueCapacity > 0 else {
            throw JSecError(.configuration, "receiveQueueCapacity must be > 0, got \(receiveQueueCapacity)", code: .jsec(.invalidOption))
        }
    }
}
