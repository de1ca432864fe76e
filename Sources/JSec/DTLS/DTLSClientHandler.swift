#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOTLS

/// JSec's DTLS 1.2 client as a SwiftNIO channel handler, for a datagram channel of your own that is *connected* to
/// the server (`DatagramBootstrap(…).connect(to:)`): datagrams below it, one plaintext `ByteBuffer` per message
/// above it. It runs the same association as ``DTLS/connect(host:port:serverName:context:session:options:eventLoopGroup:)``:
/// retransmission, ``DTLSOptions`` (MTU, timeouts), the handshake timeout.
///
/// - The handshake starts when the channel is active (or at once when the handler is added to an active one). On
///   completion it fires NIOTLS's `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)`; ``info`` and
///   ``maximumMessageSize`` are set from then on.
/// - Each write is one message, sent as one record in one datagram; writes made before the handshake completes are
///   held and sent after it. A message larger than ``maximumMessageSize`` (or empty) fails its write's promise with
///   a `.usage` `JSecError` and is not sent; the association goes on. Each received message is one `channelRead`.
/// - Failures (handshake, verification, timeout, a server that does not listen — ICMP port unreachable) reach
///   `errorCaught` as `JSecError`, once, and the channel is closed. The server's close_notify arrives as
///   `ChannelEvent.inputClosed`, then the channel closes (DTLS has no half-close).
/// - Closing the channel sends close_notify first.
///
/// There is no DTLS server handler: a DTLS server shares one UDP socket among its peers — one NIO channel for all
/// of them —, answers ClientHellos with a stateless cookie before it keeps any state and bounds its half-open
/// handshakes, so it is not a handler in a per-connection pipeline. Serve with ``DTLS/listen(host:port:context:options:eventLoopGroup:)``
/// or ``DTLS/serve(_:context:options:)``.
public final class DTLSClientHandler: ChannelDuplexHandler {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private typealias PendingWrite = (message: ByteBuffer, promise: EventLoopPromise<Void>?)

    private let engine: TLSEngine
    private let tag: DTLSEngineTag
    private let options: DTLSOptions
    private var driver: DTLSDriver?
    /// Kept while the handler lives: a dropped `DTLSConnection` closes its association.
    private var association: DTLSConnection?
    private var held: [PendingWrite] = []
    private var context: ChannelHandlerContext?
    /// Set while the handler ends the association for a reason reported otherwise (the application's close, the
    /// handler's removal, the channel's end after the handshake).
    private var quiet = false

    /// What the handshake negotiated (nil until it completes): version `DTLSv1.2`, cipher, ALPN, the server's
    /// certificates.
    public private(set) var info: TLSConnectionInfo?
    /// The largest message a write accepts (nil until the handshake completes): what fits in one record of
    /// ``DTLSOptions/mtu`` with the negotiated cipher.
    public private(set) var maximumMessageSize: Int?

    /// - Parameters:
    ///   - context: a DTLS context (``DTLS/context(_:)``); a stream one is refused.
    ///   - serverName: sent as SNI and checked against the server's certificate (IP SANs for an IP literal); nil only
    ///     when the configuration skips the hostname check.
    ///   - session: resumes an earlier session (``DTLSConnection/session``).
    ///   - options: the datagram settings: MTU, retransmission and idle timeouts (``DTLSOptions``).
    /// - Throws: a `JSecError` with category `.configuration` (or `.usage` for ``DTLSOptions``) when the context,
    ///   the name or the options cannot be used.
    public init(context: TLSContext, serverName: String?, session: TLSSession? = nil, options: DTLSOptions = DTLSOptions()) throws {
        try options.validate()
        let tag = DTLSEngineTag(cookies: nil, initialTimeout: options.initialRetransmissionTimeout)
        engine = try DTLSDriver.makeEngine(
            context: context, role: .client, serverName: serverName, session: session, options: options, tag: tag)
        self.tag = tag
        self.options = options
    }

    private func quietly(_ body: () -> Void) {
        let was = quiet
        quiet = true
        body()
        quiet = was
    }

    // MARK: - Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        quietly { driver?.fail(JSecError(.closed, "the DTLS handler was removed from the UDP channel", code: .jsec(.closed))) }
        failHeld(JSecError(.closed, "the DTLS handler was removed from the UDP channel", code: .jsec(.closed)))
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if info != nil {
            quietly { driver?.fail(JSecError(.closed, "the UDP channel closed", code: .jsec(.closed))) }
        } else {
            driver?.fail(JSecError(.handshake, "the UDP channel closed during the DTLS handshake", code: .jsec(.closedDuringHandshake)))
        }
        failHeld(JSecError(.closed, "the UDP channel closed", code: .jsec(.closed)))  // writes made before the handshake could start
        context.fireChannelInactive()
    }

    /// Builds the association for the channel's peer and starts the handshake (once).
    private func start(context: ChannelHandlerContext) {
        guard driver == nil else { return }
        guard let peer = context.channel.remoteAddress else {
            context.fireErrorCaught(
                JSecError(.usage, "DTLSClientHandler needs a connected datagram channel (DatagramBootstrap.connect(to:))", code: .jsec(.invalidArgument)))
            context.close(promise: nil)
            return
        }
        do {
            try context.channel.syncOptions?.setOption(.recvAllocator, value: DTLSDriver.receiveAllocator)
        } catch {
            context.fireErrorCaught(JSecError.from(error, while: "DTLS"))
        }
        let driver = DTLSDriver(
            engine: engine, tag: tag, peer: peer, localAddress: context.channel.localAddress, options: options,
            eventLoop: context.eventLoop, allocator: context.channel.allocator, sessionCacheKey: nil)
        self.driver = driver
        let loop = context.eventLoop
        driver.transmit = { [weak self] datagram in
            guard let ctx = self?.context else { return loop.makeFailedFuture(JSecError(.closed, "the UDP channel is closed", code: .jsec(.closed))) }
            return ctx.writeAndFlush(NIOAny(datagram))  // a connected socket takes plain buffers
        }
        driver.onMessage = { [weak self] message in
            guard let self, let ctx = self.context else { return }
            ctx.fireChannelRead(self.wrapInboundOut(message))
        }
        driver.onEnd = { [weak self] driver in self?.associationEnded(driver) }
        driver.whenHandshakeCompletes { [weak self] result in self?.handshakeCompleted(result) }
        driver.start()
    }

    private func handshakeCompleted(_ result: Result<DTLSConnection, JSecError>) {
        guard let context else { return }
        switch result {
        case .success(let association):
            self.association = association
            info = association.info
            maximumMessageSize = association.maximumMessageSize
            context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: association.alpn))
            let writes = held
            held = []
            for (message, promise) in writes { send(message, promise: promise) }
        case .failure(let error):
            failHeld(error)
            guard !quiet else { return }
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    /// After the handshake: the server's close_notify (no cause) or a failure ends the association and the channel.
    private func associationEnded(_ driver: DTLSDriver) {
        guard info != nil, !quiet, let context, case .closed(let cause) = driver.state else { return }
        if let cause {
            context.fireErrorCaught(cause)
        } else {
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        context.close(promise: nil)
    }

    private func failHeld(_ error: JSecError) {
        let writes = held
        held = []
        for (_, promise) in writes { promise?.fail(error) }
    }

    // MARK: - Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        // A connected socket receives from its peer only; anything else is not part of the association.
        guard let driver, envelope.remoteAddress == driver.peer else { return }
        driver.receive(envelope.data)
    }

    /// ICMP port unreachable on a connected socket surfaces here: during the handshake it means nobody listens.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if info == nil, let driver, !driver.isClosed, let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            driver.fail(JSecError(.io, "DTLS handshake: \(driver.peer) refused the datagram (nothing listens there)", code: .errno(ECONNREFUSED)))
            return
        }
        context.fireErrorCaught(JSecError.from(error, while: "DTLS"))
    }

    // MARK: - Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        if info == nil, driver?.isClosed != true {
            held.append((message, promise))
        } else {
            send(message, promise: promise)
        }
    }

    private func send(_ message: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let driver, let maximum = maximumMessageSize else {
            promise?.fail(JSecError(.closed, "write: the DTLS association is closed", code: .jsec(.closed)))
            return
        }
        let sent = driver.write(message, maximum: maximum)
        if let promise { sent.cascade(to: promise) }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all {
            quietly { driver?.closeLocally() }  // close_notify, when established
            failHeld(JSecError(.closed, "the DTLS channel was closed", code: .jsec(.closed)))
        }
        context.close(mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension DTLSClientHandler: Sendable {}
