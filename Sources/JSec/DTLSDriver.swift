internal import CJSecOpenSSL
import Logging
import NIOCore

/// Drives one DTLS association (one peer) on an event loop: a ``TLSEngine`` over a DTLS context fed one
/// datagram at a time, its output cut back into datagrams (``DTLSRecordFramer``), OpenSSL's
/// retransmission timer run as a scheduled task, handshake and idle timeouts, and received messages
/// queued for ``DTLSConnection/read(timeout:)``. Shared by the client, the upgrade and every server session.
/// Not thread-safe: it belongs to its event loop.
final class DTLSDriver {
    enum State { case idle, handshaking, active, closed }

    /// The largest datagram handed to the engine: one read buffer's worth (16 KiB plaintext + overhead + header).
    /// A longer one could only be cut by the engine's read, so it is dropped, as OpenSSL's datagram BIO would.
    static let maximumInboundDatagram = 16_384 + 1_280 + DTLSRecordFramer.headerLength

    /// Receive buffers big enough for any datagram the engine accepts (NIO's default of 2048 bytes would cut
    /// datagrams of a larger MTU).
    static var receiveAllocator: FixedSizeRecvByteBufferAllocator { FixedSizeRecvByteBufferAllocator(capacity: maximumInboundDatagram + 1) }

    let engine: TLSEngine
    let tag: DTLSEngineTag
    let peer: SocketAddress
    let options: DTLSOptions
    let eventLoop: any EventLoop
    let inbox: HandoffQueue<[UInt8]>
    let live = TLSLiveState()
    private(set) var state = State.idle
    /// Sends one datagram to the peer; set by the handler that owns the socket.
    var transmit: ((ByteBuffer) -> EventLoopFuture<Void>)?
    /// Called once when the association ends (closed, failed, timed out): the server forgets it.
    var onEnd: ((DTLSDriver) -> Void)?
    /// The channel a client-side connection closes with it (nil for server sessions on a shared socket).
    var ownedChannel: Channel?
    private let allocator: ByteBufferAllocator
    private let localAddress: SocketAddress?
    private var scratch: ByteBuffer
    private var handshakeStart = ContinuousClock.now
    private var handshakeTimer: Scheduled<Void>?
    private var retransmitTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var lastReceive = NIODeadline.now()
    /// With an AEAD cipher: the shortest possible protected record (explicit nonce + tag). OpenSSL 3.0 treats a
    /// shorter record at the current epoch as a fatal internal error instead of discarding it, so a single forged
    /// datagram could end the association; such datagrams are dropped before they reach the engine.
    private var minimumProtectedRecord = 0
    /// Whether the handshake has ended (either way). The connection itself is not kept here: it refers to
    /// this driver, and holding it back would make a cycle that outlives the association.
    private var handshakeEnded = false
    private var handshakeWaiters: [(Result<DTLSConnection, JSecError>) -> Void] = []

    /// Builds an engine for a DTLS context: the tag attached (cookies, timer), the MTU set.
    static func makeEngine(
        context: TLSContext, role: TLSEngine.Role, serverName: String?, session: TLSSession?,
        options: DTLSOptions, tag: DTLSEngineTag
    ) throws -> TLSEngine {
        guard context.transport == .datagram else {
            throw JSecError(.configuration, "DTLS needs a datagram context: TLSContext(configuration, transport: .datagram)")
        }
        let engine = try TLSEngine(context: context, role: role, serverName: serverName, session: session)
        try tag.attach(to: engine.ssl)
        SSL_set_options(engine.ssl, jsec_SSL_OP_NO_QUERY_MTU())
        guard jsec_SSL_set_mtu(engine.ssl, options.mtu) > 0 else {  // returns the mtu it set
            _ = OpenSSLErrorQueue.drain()
            throw JSecError(.configuration, "OpenSSL refused the DTLS mtu \(options.mtu)")
        }
        return engine
    }

    init(
        engine: TLSEngine, tag: DTLSEngineTag, peer: SocketAddress, localAddress: SocketAddress?, options: DTLSOptions,
        eventLoop: any EventLoop, allocator: ByteBufferAllocator, sessionCacheKey: String?
    ) {
        self.engine = engine
        self.tag = tag
        self.peer = peer
        self.localAddress = localAddress
        self.options = options
        self.eventLoop = eventLoop
        self.allocator = allocator
        scratch = allocator.buffer(capacity: 16_384)
        inbox = HandoffQueue(capacity: options.receiveQueueCapacity, what: "DTLS read")
        let live = self.live
        let context = engine.context
        engine.onNewSession = { session in
            live.setSession(session)
            if let key = sessionCacheKey, context.configuration.clientSessionCache {
                context.sessionCache.withLock { $0[key] = session }
            }
        }
    }

    // MARK: - Handshake

    /// Starts the handshake: a client sends its ClientHello, a server waits for (or already holds) one.
    func start() {
        guard state == .idle else { return }
        state = .handshaking
        handshakeStart = .now
        lastReceive = .now()
        engine.context.logger.handshakeStarted("DTLS", role: engine.role, peer: peer)
        if let timeout = engine.context.configuration.handshakeTimeout {
            handshakeTimer = eventLoop.assumeIsolated().scheduleTask(in: timeout.timeAmount) { [weak self] in
                guard let self, self.state == .handshaking else { return }
                self.fail(JSecError(.timeout, "DTLS handshake did not complete within \(timeout)", code: .jsec(.handshakeTimeout)))
            }
        }
        armIdleTimer()
        advanceHandshake()
        flush()
        rearmRetransmission()
    }

    /// Registers for the handshake's outcome; must be called before ``start()``.
    func whenHandshakeCompletes(_ callback: @escaping (Result<DTLSConnection, JSecError>) -> Void) {
        precondition(!handshakeEnded, "register for the DTLS handshake before it starts")
        handshakeWaiters.append(callback)
    }

    private func completeHandshake(_ result: Result<DTLSConnection, JSecError>) {
        guard !handshakeEnded else { return }
        handshakeEnded = true
        let logger = engine.context.logger
        switch result {
        case .success(let c): logger.handshakeCompleted("DTLS", role: engine.role, peer: peer, info: c.info)
        case .failure(let e): logger.handshakeFailed("DTLS", role: engine.role, peer: peer, error: e)
        }
        handshakeTimer?.cancel()
        handshakeTimer = nil
        let waiters = handshakeWaiters
        handshakeWaiters = []
        for w in waiters { w(result) }
    }

    private func advanceHandshake() {
        switch engine.handshake() {
        case .wantRead: break
        case .failed(let error): fail(error)
        case .complete:
            state = .active
            let dataMTU = min(Int(DTLS_get_data_mtu(engine.ssl)), 16_384)
            if let cipher = SSL_get_current_cipher(engine.ssl), SSL_CIPHER_is_aead(cipher) == 1 {
                // AEAD records have no padding: the overhead is exactly explicit nonce + tag.
                minimumProtectedRecord = max(0, options.mtu - dataMTU - DTLSRecordFramer.headerLength)
            }
            let connection = DTLSConnection(
                info: engine.connectionInfo(handshakeDuration: ContinuousClock.now - handshakeStart),
                driver: NIOLoopBound(self, eventLoop: eventLoop), inbox: inbox, live: live,
                localAddress: NetAddress(localAddress), remoteAddress: NetAddress(peer), maximumMessageSize: dataMTU)
            completeHandshake(.success(connection))
            readAvailable()  // application data may have come with the last flight
        }
    }

    // MARK: - Datagrams in and out

    /// One datagram from the peer.
    func receive(_ datagram: ByteBuffer) {
        guard state == .handshaking || state == .active else { return }
        guard datagram.readableBytes > 0, datagram.readableBytes <= Self.maximumInboundDatagram else { return }
        if minimumProtectedRecord > 0,
            DTLSRecordFramer.hasShortProtectedRecord(datagram, minimumLength: minimumProtectedRecord)
        {
            return
        }
        lastReceive = .now()
        engine.feed(datagram)
        if state == .handshaking { advanceHandshake() } else { readAvailable() }
        flush()  // handshake flights, alerts, and retransmissions OpenSSL makes on a repeated flight
        rearmRetransmission()
    }

    private func readAvailable() {
        while state == .active {
            scratch.clear()
            switch engine.read(into: &scratch) {
            case .data:
                if scratch.readableBytes > 0 { inbox.push(Array(scratch.readableBytesView)) }
            case .wantRead:
                return
            case .closeNotify:
                end(nil)
                return
            case .failed(let error):
                fail(error)
                return
            }
        }
    }

    /// Sends what the engine has written, as datagrams. Returns the last send's future.
    @discardableResult
    private func flush() -> EventLoopFuture<Void>? {
        guard let out = engine.takeOutput(), let transmit else { return nil }
        var last: EventLoopFuture<Void>?
        for datagram in DTLSRecordFramer.datagrams(from: out, mtu: options.mtu) { last = transmit(datagram) }
        return last
    }

    // MARK: - Writing and closing (called on the event loop by DTLSConnection)

    func write(_ message: ByteBuffer, maximum: Int) -> EventLoopFuture<Void> {
        guard state == .active else {
            return eventLoop.makeFailedFuture(JSecError(.closed, "write: the DTLS connection is closed"))
        }
        guard message.readableBytes > 0 else {
            return eventLoop.makeFailedFuture(JSecError(.usage, "write: a DTLS message cannot be empty"))
        }
        guard message.readableBytes <= maximum else {
            return eventLoop.makeFailedFuture(
                JSecError(
                    .usage,
                    "write: a message of \(message.readableBytes) bytes does not fit in one DTLS record of mtu \(options.mtu) (at most \(maximum) bytes); it was not sent",
                    code: .jsec(.messageTooLarge)))
        }
        if let error = engine.write(message) {
            fail(error)
            return eventLoop.makeFailedFuture(error)
        }
        return flush() ?? eventLoop.makeSucceededVoidFuture()
    }

    /// Sends close_notify and ends the association; reads then throw a `JSecError.Category.closed` error.
    func closeLocally() {
        guard state != .closed else { return }
        if state == .active {
            engine.shutdown()
            flush()
        }
        end(JSecError(.closed, "read: the DTLS connection is closed"))
    }

    /// Ends without sending anything (the peer's address now belongs to a new association).
    func abandon(_ error: JSecError) {
        end(error)
    }

    /// Ends with a failure (handshake, verification, protocol, timeout): sends the pending alert, if any.
    func fail(_ error: JSecError) {
        guard state != .closed else { return }
        flush()
        end(error)
    }

    /// Ends the association: nil is the peer's close_notify (reads return nil after the queued messages).
    private func end(_ error: JSecError?) {
        guard state != .closed else { return }
        state = .closed
        for t in [handshakeTimer, retransmitTimer, idleTimer] { t?.cancel() }
        handshakeTimer = nil; retransmitTimer = nil; idleTimer = nil
        // The server forgets the session before anyone waiting hears of the end.
        let onEnd = self.onEnd
        self.onEnd = nil
        onEnd?(self)
        completeHandshake(.failure(error ?? JSecError(.handshake, "the peer closed the DTLS association during the handshake")))
        inbox.finish(error)
        transmit = nil
        ownedChannel?.close(promise: nil)
        ownedChannel = nil
    }

    var isClosed: Bool { state == .closed }
    var isEstablished: Bool { state == .active }

    // MARK: - Timers

    /// Follows OpenSSL's DTLS timer: when it runs, a task fires at its deadline and lets OpenSSL retransmit.
    private func rearmRetransmission() {
        retransmitTimer?.cancel()
        retransmitTimer = nil
        guard state == .handshaking || state == .active else { return }
        var seconds = 0, micros = 0
        guard jsec_DTLSv1_get_timeout(engine.ssl, &seconds, &micros) == 1 else { return }
        let delay = TimeAmount.seconds(Int64(seconds)) + .microseconds(Int64(micros))
        retransmitTimer = eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.retransmissionDue()
        }
    }

    private func retransmissionDue() {
        retransmitTimer = nil
        guard state == .handshaking || state == .active else { return }
        OpenSSLErrorQueue.clear()
        let r = jsec_DTLSv1_handle_timeout(engine.ssl)
        if r < 0 {
            let detail = OpenSSLErrorQueue.drain()
            fail(JSecError(.timeout, "DTLS handshake: the peer did not answer after repeated retransmissions", openSSLErrors: detail))
            return
        }
        _ = OpenSSLErrorQueue.drain()
        flush()
        rearmRetransmission()
    }

    private func armIdleTimer() {
        guard let idle = options.peerIdleTimeout, engine.role == .server, state != .closed else { return }
        let deadline = lastReceive + idle.timeAmount
        idleTimer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self, self.state != .closed else { return }
            if NIODeadline.now() >= self.lastReceive + idle.timeAmount {
                self.end(JSecError(.timeout, "read: the DTLS peer sent nothing for \(idle); its session was dropped", code: .jsec(.peerIdle)))
            } else {
                self.armIdleTimer()
            }
        }
    }
}
