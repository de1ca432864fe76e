internal import CJSecOpenSSL
import Logging
import NIOCore

/// Drives one DTLS association (one peer) on an event loop: a ``TLSEngine`` over a DTLS context fed one
/// datagram at a time, its output cut back into datagrams (``DTLSRecordFramer``), OpenSSL's
/// retransmission timer run as a scheduled task, handshake and idle timeouts, and received messages
/// queued for ``DTLSConnection/read(timeout:)``. Shared by the client, the upgrade and every server session.
/// Not thread-safe: it belongs to its event loop.
final class DTLSDriver {
    typealias HandshakeCallback = (Result<DTLSConnection, JSecError>) -> Void

    /// Where the association is. Each case carries what only it needs, so a timer after the end, a handshake waiter
    /// after the handshake, or a record floor before a cipher is negotiated cannot be written down. DTLS 1.2 has no
    /// half-close: close_notify, either way, ends the association (RFC 5246 §7.2.1), so there is no state between
    /// established and ended.
    enum State {
        /// Built, not started: who waits for the handshake's outcome.
        case idle(waiters: [HandshakeCallback])
        /// The handshake runs (a client has sent its ClientHello; a server holds one).
        case handshaking(Handshaking)
        /// Established: application data flows both ways.
        case active(Active)
        /// Ended, for good: closed here, failed, timed out, or (`cause` nil) the peer's close_notify. Nothing is
        /// scheduled any more; reads return what the inbox still holds, then end with `cause`.
        case closed(cause: JSecError?)
    }

    /// The timers of a running association: OpenSSL's retransmission timer (while it runs) and, on a server
    /// session, the peer idle timer.
    struct Timers {
        var retransmit: Scheduled<Void>?
        var idle: Scheduled<Void>?

        func cancel() {
            retransmit?.cancel()
            idle?.cancel()
        }
    }

    struct Handshaking {
        let started: ContinuousClock.Instant
        /// `handshakeTimeout`, when configured.
        var timeout: Scheduled<Void>?
        var waiters: [HandshakeCallback]
        var timers = Timers()
    }

    struct Active {
        /// With an AEAD cipher: the shortest possible protected record (explicit nonce + tag); 0 without one.
        /// OpenSSL 3.0 treats a shorter record at the current epoch as a fatal internal error instead of discarding
        /// it, so a single forged datagram could end the association; such datagrams are dropped before the engine.
        let minimumProtectedRecord: Int
        var timers: Timers
    }

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
    private(set) var state = State.idle(waiters: [])
    /// Sends one datagram to the peer; set by the handler that owns the socket.
    var transmit: ((ByteBuffer) -> EventLoopFuture<Void>)?
    /// Called once when the association ends (closed, failed, timed out): the server forgets it.
    var onEnd: ((DTLSDriver) -> Void)?
    /// Where received messages go instead of ``inbox``, when set (``DTLSClientHandler``: up its pipeline).
    var onMessage: ((ByteBuffer) -> Void)?
    /// The channel a client-side connection closes with it (nil for server sessions on a shared socket).
    var ownedChannel: Channel?
    private let allocator: ByteBufferAllocator
    private let localAddress: SocketAddress?
    private var scratch: ByteBuffer
    /// When the peer last sent a datagram (the idle timer's reference).
    private var lastReceive = NIODeadline.uptimeNanoseconds(0)

    /// Builds an engine for a DTLS context: the tag attached (cookies, timer), the MTU set.
    static func makeEngine(
        context: TLSContext, role: TLSEngine.Role, serverName: String?, session: TLSSession?,
        options: DTLSOptions, tag: DTLSEngineTag
    ) throws -> TLSEngine {
        guard context.transport == .datagram else {
            throw JSecError(.configuration, "DTLS needs a datagram context: TLSContext(configuration, transport: .datagram)", code: .jsec(.wrongTransport))
        }
        let engine = try TLSEngine(context: context, role: role, serverName: serverName, session: session)
        try tag.attach(to: engine.ssl)
        SSL_set_options(engine.ssl, jsec_SSL_OP_NO_QUERY_MTU())
        guard jsec_SSL_set_mtu(engine.ssl, options.mtu) > 0 else {  // returns the mtu it set
            _ = OpenSSLErrorQueue.drain()
            throw JSecError(.configuration, "OpenSSL refused the DTLS mtu \(options.mtu)", code: .jsec(.invalidOption))
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
        guard case .idle(let waiters) = state else { return }
        lastReceive = eventLoop.now
        engine.context.logger.handshakeStarted("DTLS", role: engine.role, peer: peer)
        var handshaking = Handshaking(started: .now, waiters: waiters)
        if let timeout = engine.context.configuration.handshakeTimeout {
            handshaking.timeout = eventLoop.assumeIsolated().scheduleTask(in: timeout.timeAmount) { [weak self] in
                guard let self, case .handshaking = self.state else { return }
                self.fail(JSecError(.timeout, "DTLS handshake did not complete within \(timeout)", code: .jsec(.handshakeTimeout)))
            }
        }
        state = .handshaking(handshaking)
        armIdleTimer()
        advanceHandshake()
        flush()
        rearmRetransmission()
    }

    /// Registers for the handshake's outcome; must be called before ``start()``.
    func whenHandshakeCompletes(_ callback: @escaping HandshakeCallback) {
        guard case .idle(var waiters) = state else { preconditionFailure("register for the DTLS handshake before it starts") }
        waiters.append(callback)
        state = .idle(waiters: waiters)
    }

    private func advanceHandshake() {
        guard case .handshaking(let handshaking) = state else { return }
        switch engine.handshake() {
        case .wantRead: break
        case .failed(let error): fail(error)
        case .complete:
            handshaking.timeout?.cancel()
            let dataMTU = min(Int(DTLS_get_data_mtu(engine.ssl)), 16_384)
            var floor = 0
            if let cipher = SSL_get_current_cipher(engine.ssl), SSL_CIPHER_is_aead(cipher) == 1 {
                // AEAD records have no padding: the overhead is exactly explicit nonce + tag.
                floor = max(0, options.mtu - dataMTU - DTLSRecordFramer.headerLength)
            }
            state = .active(Active(minimumProtectedRecord: floor, timers: handshaking.timers))
            let connection = DTLSConnection(
                info: engine.connectionInfo(handshakeDuration: ContinuousClock.now - handshaking.started),
                driver: NIOLoopBound(self, eventLoop: eventLoop), inbox: inbox, live: live,
                localAddress: NetAddress(localAddress), remoteAddress: NetAddress(peer), maximumMessageSize: dataMTU)
            engine.context.logger.handshakeCompleted("DTLS", role: engine.role, peer: peer, info: connection.info)
            for waiter in handshaking.waiters { waiter(.success(connection)) }
            readAvailable()  // application data may have come with the last flight
        }
    }

    // MARK: - Datagrams in and out

    /// One datagram from the peer.
    func receive(_ datagram: ByteBuffer) {
        let floor: Int
        switch state {
        case .handshaking: floor = 0
        case .active(let active): floor = active.minimumProtectedRecord
        case .idle, .closed: return
        }
        guard datagram.readableBytes > 0, datagram.readableBytes <= Self.maximumInboundDatagram else { return }
        if floor > 0, DTLSRecordFramer.hasShortProtectedRecord(datagram, minimumLength: floor) { return }
        lastReceive = eventLoop.now
        engine.feed(datagram)
        if case .handshaking = state { advanceHandshake() } else { readAvailable() }
        flush()  // handshake flights, alerts, and retransmissions OpenSSL makes on a repeated flight
        rearmRetransmission()
    }

    private func readAvailable() {
        while case .active = state {
            scratch.clear()
            switch engine.read(into: &scratch) {
            case .data:
                guard scratch.readableBytes > 0 else { continue }
                if let onMessage { onMessage(allocator.buffer(buffer: scratch)) } else { inbox.push(Array(scratch.readableBytesView)) }
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
        guard case .active = state else {
            return eventLoop.makeFailedFuture(JSecError(.closed, "write: the DTLS connection is closed", code: .jsec(.closed)))
        }
        guard message.readableBytes > 0 else {
            return eventLoop.makeFailedFuture(JSecError(.usage, "write: a DTLS message cannot be empty", code: .jsec(.invalidArgument)))
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

    /// Sends close_notify (when established) and ends the association; reads then throw a `JSecError.Category.closed` error.
    func closeLocally() {
        switch state {
        case .closed: return
        case .active:
            engine.shutdown()
            flush()
        case .idle, .handshaking: break
        }
        end(JSecError(.closed, "read: the DTLS connection is closed", code: .jsec(.closed)))
    }

    /// Ends without sending anything (the peer's address now belongs to a new association).
    func abandon(_ error: JSecError) {
        end(error)
    }

    /// Ends with a failure (handshake, verification, protocol, timeout): sends the pending alert, if any.
    func fail(_ error: JSecError) {
        if case .closed = state { return }
        flush()
        end(error)
    }

    /// Ends the association: nil is the peer's close_notify (reads return nil after the queued messages).
    private func end(_ error: JSecError?) {
        let waiters: [HandshakeCallback]?
        switch state {
        case .closed: return
        case .idle(let w): waiters = w
        case .handshaking(let handshaking):
            handshaking.timeout?.cancel()
            handshaking.timers.cancel()
            waiters = handshaking.waiters
        case .active(let active):
            active.timers.cancel()
            waiters = nil
        }
        state = .closed(cause: error)
        // The server forgets the session before anyone waiting hears of the end.
        let onEnd = self.onEnd
        self.onEnd = nil
        onEnd?(self)
        if let waiters {
            let failure = error ?? JSecError(.handshake, "the peer closed the DTLS association during the handshake", code: .jsec(.closedDuringHandshake))
            engine.context.logger.handshakeFailed("DTLS", role: engine.role, peer: peer, error: failure)
            for waiter in waiters { waiter(.failure(failure)) }
        }
        inbox.finish(error)
        transmit = nil
        ownedChannel?.close(promise: nil)
        ownedChannel = nil
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }
    var isEstablished: Bool { if case .active = state { true } else { false } }

    // MARK: - Timers

    /// Changes the running association's timers; nothing once it has ended (or before it starts).
    private func updateTimers(_ change: (inout Timers) -> Void) {
        switch state {
        case .handshaking(var handshaking):
            change(&handshaking.timers)
            state = .handshaking(handshaking)
        case .active(var active):
            change(&active.timers)
            state = .active(active)
        case .idle, .closed: break
        }
    }

    private var isRunning: Bool {
        switch state {
        case .handshaking, .active: true
        case .idle, .closed: false
        }
    }

    /// Follows OpenSSL's DTLS timer: when it runs, a task fires at its deadline and lets OpenSSL retransmit.
    private func rearmRetransmission() {
        updateTimers { timers in
            timers.retransmit?.cancel()
            timers.retransmit = nil
        }
        guard isRunning else { return }
        var seconds = 0, micros = 0
        guard jsec_DTLSv1_get_timeout(engine.ssl, &seconds, &micros) == 1 else { return }
        let delay = TimeAmount.seconds(Int64(seconds)) + .microseconds(Int64(micros))
        let task = eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
            self?.retransmissionDue()
        }
        updateTimers { $0.retransmit = task }
    }

    private func retransmissionDue() {
        updateTimers { $0.retransmit = nil }
        guard isRunning else { return }
        OpenSSLErrorQueue.clear()
        let r = jsec_DTLSv1_handle_timeout(engine.ssl)
        if r < 0 {
            let detail = OpenSSLErrorQueue.drain()
            fail(
                JSecError(
                    .timeout, "DTLS handshake: the peer did not answer after repeated retransmissions", code: .jsec(.handshakeTimeout), openSSLErrors: detail))
            return
        }
        _ = OpenSSLErrorQueue.drain()
        flush()
        rearmRetransmission()
    }

    private func armIdleTimer() {
        guard let idle = options.peerIdleTimeout, engine.role == .server, isRunning else { return }
        let deadline = lastReceive + idle.timeAmount
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self, self.isRunning else { return }
            if self.eventLoop.now >= self.lastReceive + idle.timeAmount {
                self.end(JSecError(.timeout, "read: the DTLS peer sent nothing for \(idle); its session was dropped", code: .jsec(.peerIdle)))
            } else {
                self.armIdleTimer()
            }
        }
        updateTimers { $0.idle = task }
    }
}
