import NIOCore

/// One DTLS association with one peer: a client's connection, an upgraded UDP channel, or one of a
/// ``DTLSServer``'s sessions. Messages keep their boundaries: ``write(_:timeout:)-(String,_)`` sends one message
/// as one DTLS record in one datagram, and ``read(timeout:)`` returns exactly one received message.
///
/// DTLS, like UDP, does not retransmit application data: a message lost on the way is gone
/// (the handshake itself is retransmitted). Applications that need every message acknowledge and resend.
public final class DTLSConnection: Sendable {
    /// What was negotiated: version `DTLSv1.2`, cipher, peer certificates, ALPN, whether the session was resumed.
    public let info: TLSConnectionInfo
    public let localAddress: NetAddress?
    public let remoteAddress: NetAddress?
    /// The largest message ``write(_:timeout:)-(String,_)`` accepts: what fits in one record of ``DTLSOptions/mtu`` with this cipher.
    public let maximumMessageSize: Int
    let driver: NIOLoopBound<DTLSDriver>
    let inbox: HandoffQueue<[UInt8]>
    let live: TLSLiveState

    init(
        info: TLSConnectionInfo, driver: NIOLoopBound<DTLSDriver>, inbox: HandoffQueue<[UInt8]>, live: TLSLiveState,
        localAddress: NetAddress?, remoteAddress: NetAddress?, maximumMessageSize: Int
    ) {
        self.info = info
        self.driver = driver
        self.inbox = inbox
        self.live = live
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.maximumMessageSize = maximumMessageSize
    }

    /// A connection dropped without ``close()`` is closed (close_notify sent, a client's socket closed).
    deinit {
        let driver = self.driver
        driver.eventLoop.execute { driver.value.closeLocally() }
    }

    public var version: NegotiatedVersion { info.version }
    public var cipher: String { info.cipher }
    public var alpn: String? { info.alpn }
    public var sessionReused: Bool { info.sessionReused }
    /// The session to resume later with `DTLS.connect(…, session:)` (clients; nil on servers).
    public var session: TLSSession? { live.latestSession }
    /// Received messages dropped because ``DTLSOptions/receiveQueueCapacity`` were already waiting to be read.
    public var droppedMessages: Int { inbox.dropped }

    /// The next message, whole. `nil` once the peer sent close_notify (after the messages before it).
    /// Throws `JSecError.Category.timeout` after `timeout` (the connection stays usable),
    /// `JSecError.Category.closed` after ``close()``, a timeout error after a server dropped an idle peer,
    /// `JSecError.Category.usage` when another read is pending, and `CancellationError` when the task is cancelled
    /// (a message arriving later goes to the next read).
    public func read(timeout: Duration? = nil) async throws -> [UInt8]? {
        try await inbox.pop(timeout: timeout)
    }

    /// Sends `message` as one datagram. A message larger than ``maximumMessageSize`` (or empty) is refused
    /// with a `JSecError.Category.usage` error and nothing is sent; it is never cut.
    public func write(_ message: some Sequence<UInt8>, timeout: Duration? = nil) async throws {
        try Task.checkCancellation()
        let buffer = ByteBufferAllocator().buffer(bytes: message)
        let driver = self.driver
        let maximum = maximumMessageSize
        do {
            try await driver.eventLoop.flatSubmit { driver.value.write(buffer, maximum: maximum) }
                .value(timeout: timeout, timeoutError: JSecError(.timeout, "DTLS write timed out after \(timeout ?? .zero)", code: .jsec(.operationTimeout)))
        } catch {
            throw JSecError.mapped(error, while: "DTLS write")
        }
    }

    /// Sends the UTF-8 bytes of `text` as one message.
    public func write(_ text: String, timeout: Duration? = nil) async throws {
        try await write(Array(text.utf8), timeout: timeout)
    }

    /// Sends close_notify and ends the association (a client also closes its socket). Idempotent; never waits
    /// for the peer. A pending read ends with a `JSecError.Category.closed` error.
    public func close() async {
        let driver = self.driver
        try? await driver.eventLoop.submit { driver.value.closeLocally() }.get()
    }
}
