import Logging
import NIOCore

/// Drives a ``TLSEngine`` inside a NIO pipeline: ciphertext below, plaintext above.
/// Sits nearest the socket; the stream's ``StreamBridgeHandler`` sits above it,
/// so a TLS stream and a plain one differ only in this handler.
///
/// Writes issued before the handshake completes are held and sent after it.
/// `close(mode: .output)` sends close_notify then FIN; `close(mode: .all)` sends
/// close_notify and closes without waiting for the peer's reply.
final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private typealias PendingWrite = (buffer: ByteBuffer, promise: EventLoopPromise<Void>?)

    /// Where the connection is. Each case carries what only it needs, so held writes on an established
    /// connection, a renegotiation before the handshake or a timer after it cannot be written down.
    private enum State {
        /// Not started. Writes wait for the handshake.
        case idle(held: [PendingWrite])
        /// The first handshake runs; writes wait for it; `timer` enforces `handshakeTimeout`.
        case handshaking(held: [PendingWrite], started: ContinuousClock.Instant, timer: Scheduled<Void>?)
        case active(Active)
        /// A fatal error ended the connection (its alert may still be going out). Everything is refused.
        case failed
        /// The transport closed (or was closed during the handshake). Everything is refused.
        case closed

        var isHandshakePending: Bool {
            switch self {
            case .idle, .handshaking: return true
            case .active, .failed, .closed: return false
            }
        }
    }

    /// An established connection.
    private struct Active {
        /// close_notify sent (`close(mode:)`): the write side is shut.
        var closeNotifySent = false
        /// End of input passed up (close_notify or FIN), once.
        var inputClosedDelivered = false
        /// Writes issued while a renegotiation handshake runs, sent in order when it completes.
        var renegotiationWrites: [PendingWrite] = []
        /// Callers of ``renegotiate(promise:)`` waiting for the handshake to complete.
        var renegotiationWaiters: [EventLoopPromise<Void>] = []
    }

    private let engine: TLSEngine
    private var state = State.idle(held: [])
    /// The first handshake's outcome and who waits for it (the TLSConnection facet, the listener).
    private var handshakeResult: Result<TLSConnection, any Error>?
    private var handshakeCallbacks: [(Result<TLSConnection, any Error>) -> Void] = []
    /// Plaintext decrypted during the current socket read, not yet passed up (``decryptAvailable(context:more:)``).
    private var decrypted: ByteBuffer?
    /// Between a `channelRead` and the `channelReadComplete` that ends the socket read.
    private var inSocketRead = false
    /// A full plaintext buffer went up during this socket read.
    private var filledOne = false
    /// Promises of writes encrypted but not yet flushed to the transport.
    private var unflushedPromises: [EventLoopPromise<Void>] = []
    /// The largest ciphertext buffer sent down the pipeline: NIO's receive buffers' size, so a 64 KiB
    /// write's 65,624 bytes of records take 64 KiB and a small buffer, not one 128 KiB buffer
    /// (capacities are powers of two), while the peer has not taken them (``ByteBufferBIO``).
    static let outputSegment = 65_536
    /// On a loop with few TLS connections (``TLSLoopLoad``), a write larger than this goes down in pieces of
    /// this size, each sent as soon as it is sealed: one record each (16 KiB is TLS's largest).
    static let pipelinedPiece = 16_384
    /// What a write on a closed (or failing) connection meets.
    private static let streamClosed = JSecError(.closed, "write: the stream is closed", code: .jsec(.closed))
    /// This connection's share of its event loop's TLS connections (set while the handler is in a pipeline).
    private var loopLoad: TLSLoopLoad?
    private var context: ChannelHandlerContext?
    let liveState = TLSLiveState()
    private let logger: Logger
    /// The peer's address as logged (taken when the handshake starts; formatted only if logged).
    private var peer: SocketAddress?

    init(
        context: TLSContext, role: TLSEngine.Role, serverName: String?, session: TLSSession? = nil,
        sessionCacheKey: String? = nil, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws {
        engine = try TLSEngine(
            context: context, role: role, serverName: serverName, session: session, allocator: allocator,
            outputSegment: Self.outputSegment)
        logger = context.logger
        let live = liveState
        engine.onNewSession = { session in
            live.setSession(session)
            if let key = sessionCacheKey, context.configuration.clientSessionCache {
                context.sessionCache.withLock { $0[key] = session }
            }
        }
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let load = TLSLoopLoad.join(context.eventLoop)
        loopLoad = load
        // A stream's bridge above hands the plaintext buffers it has read back to the loop's pool (a NIO user's
        // pipeline has none: its buffers are allocated as they are needed).
        if let bridge = try? context.pipeline.syncOperations.handler(type: StreamBridgeHandler.self) {
            bridge.givePlaintextBack(to: load.plaintext)
        }
        if context.channel.isActive { startHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        decrypted = nil
        inSocketRead = false
        loopLoad?.leave()
        loopLoad = nil
        // Whoever waits for the handshake or for a write learns it will not happen (a waiter left
        // without an answer would hang, and its NIO promise would leak).
        let removed = JSecError(.closed, "the TLS handler was removed from the pipeline", code: .jsec(.closed))
        end(in: .closed, failing: removed)
        completeHandshake(.failure(removed))
        // The TLSConnection facet refers back to this handler: drop our reference to it so the
        // pair does not keep each other alive once the channel is gone.
        handshakeResult = .failure(removed)
        handshakeCallbacks = []
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle(let held) = state else { return }
        peer = context.channel.remoteAddress
        logger.handshakeStarted("TLS", role: engine.role, peer: peer)
        let timer = engine.context.configuration.handshakeTimeout.map { timeout in
            context.eventLoop.assumeIsolated().scheduleTask(in: timeout.timeAmount) { [weak self] in
                guard let self, case .handshaking = self.state, let ctx = self.context else { return }
                self.fail(context: ctx, JSecError(.timeout, "TLS handshake did not complete within \(timeout)", code: .jsec(.handshakeTimeout)))
            }
        }
        state = .handshaking(held: held, started: .now, timer: timer)
        if engine.role == .client { advanceHandshake(context: context) }
    }

    /// Feeds bytes that arrived before this handler was installed (a STARTTLS upgrade).
    func receiveEarly(_ buffer: ByteBuffer) {
        guard let context else { return }
        channelRead(context: context, data: wrapInboundOut(buffer))
        inSocketRead = false
        deliverDecrypted(context: context)
    }

    // MARK: - Handshake

    func whenHandshakeCompletes(_ callback: @escaping (Result<TLSConnection, any Error>) -> Void) {
        if let r = handshakeResult { callback(r) } else { handshakeCallbacks.append(callback) }
    }

    private func completeHandshake(_ result: Result<TLSConnection, any Error>) {
        guard handshakeResult == nil else { return }
        handshakeResult = result
        let callbacks = handshakeCallbacks
        handshakeCallbacks = []
        for cb in callbacks { cb(result) }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        switch engine.handshake() {
        case .wantRead:
            flushCiphertext(context: context)
        case .failed(let error):
            fail(context: context, error)
        case .complete:
            guard case .handshaking(let held, let started, let timer) = state else { return }
            timer?.cancel()
            state = .active(Active())
            let elapsed = ContinuousClock.now - started
            let connection = TLSConnection(
                info: engine.connectionInfo(handshakeDuration: elapsed), state: liveState,
                handler: NIOLoopBound(self, eventLoop: context.eventLoop), eventLoop: context.eventLoop)
            flushCiphertext(context: context)
            logger.handshakeCompleted("TLS", role: engine.role, peer: peer, info: connection.info)
            completeHandshake(.success(connection))
            // Writes issued during the handshake go out now, in order.
            for (buffer, promise) in held { encrypt(buffer, promise: promise) }
            if !held.isEmpty { flushCiphertext(context: context) }
            // Application data may have arrived with the last handshake flight.
            decryptAvailable(context: context)
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: JSecError) {
        let wasHandshaking: Bool
        switch state {
        case .failed, .closed: return
        case .idle, .handshaking: wasHandshaking = true
        case .active: wasHandshaking = false
        }
        deliverDecrypted(context: context)  // what arrived before the failure is the application's
        flushCiphertext(context: context)  // send OpenSSL's alert so the peer learns why
        end(in: .failed, failing: error)
        if wasHandshaking {
            logger.handshakeFailed("TLS", role: engine.role, peer: peer, error: error)
        } else {
            logger.info(
                "TLS connection failed: \(error.message)", metadata: ["jsec.peer": "\(peer.map { "\($0)" } ?? "?")", "jsec.category": "\(error.category)"])
        }
        completeHandshake(.failure(error))
        if !wasHandshaking { context.fireErrorCaught(error) }
        context.close(promise: nil)
    }

    /// Moves to `next` (`.failed` or `.closed`) and fails what the state it leaves was holding: writes
    /// waiting for the handshake or a renegotiation, renegotiation waiters, unflushed writes; stops the
    /// handshake timer.
    private func end(in next: State, failing error: JSecError) {
        let left = state
        state = next
        switch left {
        case .idle(let held):
            for (_, p) in held { p?.fail(error) }
        case .handshaking(let held, _, let timer):
            timer?.cancel()
            for (_, p) in held { p?.fail(error) }
        case .active(let a):
            for (_, p) in a.renegotiationWrites { p?.fail(error) }
            for w in a.renegotiationWaiters { w.fail(error) }
        case .failed, .closed:
            break
        }
        failUnflushed(error)
    }

    /// The established connection's state, changed in place (nil unless active).
    @discardableResult
    private func withActive<R>(_ body: (inout Active) -> R) -> R? {
        guard case .active(var active) = state else { return nil }
        state = .failed  // not observable: restored at once (avoids copying the arrays)
        defer { state = .active(active) }
        return body(&active)
    }

    private var active: Active? {
        if case .active(let a) = state { return a }
        return nil
    }

    /// TLS 1.3 key update, sent at once.
    func updateKeys(requestPeer: Bool) throws {
        guard let active, let context else { throw JSecError(.closed, "key update: the TLS stream is not open", code: .jsec(.closed)) }
        guard !active.closeNotifySent else { throw JSecError(.closed, "key update: the write side is shut down", code: .jsec(.outputShutDown)) }
        if let error = engine.updateKeys(requestPeer: requestPeer) { throw error }
        flushCiphertext(context: context)
    }

    /// TLS 1.2 renegotiation; `promise` completes when the new handshake has.
    func renegotiate(promise: EventLoopPromise<Void>) {
        guard let active, let context else { promise.fail(JSecError(.closed, "renegotiate: the TLS stream is not open", code: .jsec(.closed))); return }
        guard !active.closeNotifySent else {
            promise.fail(JSecError(.closed, "renegotiate: the write side is shut down", code: .jsec(.outputShutDown)))
            return
        }
        if let error = engine.renegotiate() { promise.fail(error); return }
        flushCiphertext(context: context)
        withActive { $0.renegotiationWaiters.append(promise) }
        if let timeout = engine.context.configuration.handshakeTimeout {
            context.eventLoop.assumeIsolated().scheduleTask(in: timeout.timeAmount) { [weak self] in
                guard let self, self.active?.renegotiationWaiters.contains(where: { $0.futureResult === promise.futureResult }) == true,
                    let ctx = self.context
                else { return }
                self.fail(context: ctx, JSecError(.timeout, "the TLS renegotiation did not complete within \(timeout)", code: .jsec(.handshakeTimeout)))
            }
        }
        settleRenegotiation(context: context)
    }

    var renegotiationCount: Int { engine.renegotiationCount }

    /// After input: once no handshake runs, held writes go out and renegotiation waiters complete.
    private func settleRenegotiation(context: ChannelHandlerContext) {
        guard case .active(var a) = state, !engine.inHandshake else { return }
        let held = a.renegotiationWrites
        a.renegotiationWrites = []
        var waiters: [EventLoopPromise<Void>] = []
        if !engine.renegotiationPending {
            waiters = a.renegotiationWaiters
            a.renegotiationWaiters = []
        }
        state = .active(a)
        if !held.isEmpty {
            for (buffer, promise) in held { encrypt(buffer, promise: promise) }
            flushCiphertext(context: context)
        }
        for w in waiters { w.succeed() }
    }

    private func failRenegotiation(_ error: JSecError) {
        guard case .active(var a) = state else { return }
        let held = a.renegotiationWrites, waiters = a.renegotiationWaiters
        a.renegotiationWrites = []
        a.renegotiationWaiters = []
        state = .active(a)
        for (_, p) in held { p?.fail(error) }
        for w in waiters { w.fail(error) }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch state {
        case .idle:
            engine.feed(buffer)
            startHandshake(context: context)
            advanceHandshake(context: context)
        case .handshaking:
            engine.feed(buffer)
            advanceHandshake(context: context)
        case .active:
            inSocketRead = true
            engine.feed(buffer)
            decryptAvailable(context: context, more: buffer.writableBytes == 0)
        case .failed, .closed:
            break
        }
    }

    /// Decrypts every complete record received. Within a socket read (between `channelRead` and
    /// `channelReadComplete`) the plaintext gathers in ``decrypted`` and goes up once, at the read's end or when
    /// the buffer is full: a TLS stream receives one record's worth per receive buffer
    /// (``StreamBridgeHandler/tlsReceiveAllocator``), and a reader handed each record alone would echo a 64 KiB
    /// message as four writes.
    private func decryptAvailable(context: ChannelHandlerContext, more: Bool = false) {
        var closeNotify = false
        var failure: JSecError?
        loop: while true {
            // Allocated only when a record is there, so no buffer is kept between reads (an idle connection
            // holds none) and none is made after the last delivery.
            if decrypted == nil { decrypted = plaintextBuffer(capacity: plaintextCapacity(more: more), context: context) }
            switch engine.read(into: &decrypted!) {
            case .data:
                // Hand the buffer on before the next record would make it grow (a reallocation
                // copies everything decrypted so far); the stream's bridge keeps it as it is.
                if decrypted!.writableBytes < 512 || decrypted!.writableBytes < 16_384 && engine.hasUnprocessedInput {
                    deliverDecrypted(context: context)
                    filledOne = inSocketRead
                }
            case .wantRead: break loop
            case .closeNotify: closeNotify = true; break loop
            case .failed(let e): failure = e; break loop
            }
        }
        if !inSocketRead || closeNotify || failure != nil {
            deliverDecrypted(context: context)
        } else if decrypted?.readableBytes == 0 {
            decrypted = nil
        }
        settleRenegotiation(context: context)
        // Reading can produce records to send (TLS 1.3 key update replies, alerts).
        if engine.outputPending > 0 { flushCiphertext(context: context) }
        if let failure {
            fail(context: context, failure)
        } else if closeNotify {
            failRenegotiation(JSecError(.closed, "the peer closed the stream during a renegotiation", code: .jsec(.closedDuringHandshake)))
            liveState.setPeerClosed(cleanly: true)
            deliverInputClosed(context: context)
        }
    }

    /// A buffer to decrypt into: a 64 KiB one from the loop's pool when one is free (``PlaintextBufferPool``).
    private func plaintextBuffer(capacity: Int, context: ChannelHandlerContext) -> ByteBuffer {
        if capacity == PlaintextBufferPool.bufferSize, let kept = loopLoad?.plaintext.take() { return kept }
        return context.channel.allocator.buffer(capacity: capacity)
    }

    /// Passes up the plaintext gathered so far (nothing if there is none).
    private func deliverDecrypted(context: ChannelHandlerContext) {
        guard let out = decrypted.take(), out.readableBytes > 0 else { return }
        context.fireChannelRead(wrapInboundOut(out))
    }

    /// Room for the plaintext of the ciphertext waiting (at least a small record, at most 64 KiB: capacities
    /// are rounded up to a power of two, so a cap of 64 KiB + 512 allocated 128 KiB whenever more than 64 KiB
    /// of ciphertext waited, and a stream whose application does not read held it). 64 KiB when the receive
    /// buffer came full (`more`): the socket read goes on, and its records gather in this buffer.
    /// After one full buffer in the same socket read, the rest of the read (at most one more record) gets one record's
    /// room, not another 64 KiB.
    /// Sized by ``TLSEngine/plaintextBound``: one record gets 16 KiB, not the 32 KiB its 16,406 bytes would round to.
    private func plaintextCapacity(more: Bool) -> Int {
        let bound = engine.plaintextBound
        if filledOne { return min(max(bound, 1024), 16_384) }
        return more ? 65_536 : min(max(bound, 1024), 65_536)
    }

    private func deliverInputClosed(context: ChannelHandlerContext) {
        let first = withActive { a in
            defer { a.inputClosedDelivered = true }
            return !a.inputClosedDelivered
        }
        if first == true { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inSocketRead = false
        filledOne = false
        deliverDecrypted(context: context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        deliverDecrypted(context: context)  // bytes first, whatever the event says
        guard let e = event as? ChannelEvent, e == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The transport ended (TCP FIN).
        switch state {
        case .idle, .handshaking:
            fail(context: context, JSecError(.handshake, "the peer closed the connection during the TLS handshake", code: .jsec(.closedDuringHandshake)))
        case .active:
            if engine.hasUnprocessedInput {
                liveState.setPeerClosed(cleanly: false)
                fail(context: context, JSecError(.protocol, "the connection ended in the middle of a TLS record (truncated)", code: .jsec(.truncatedRecord)))
            } else {
                // After close_notify this is the FIN that follows it (already recorded as clean).
                liveState.setPeerClosed(cleanly: active?.inputClosedDelivered == true)
                deliverInputClosed(context: context)
            }
        case .failed, .closed:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inSocketRead = false
        deliverDecrypted(context: context)
        let duringHandshake = state.isHandshakePending
        end(in: .closed, failing: Self.streamClosed)
        if duringHandshake {
            completeHandshake(.failure(JSecError(.handshake, "the connection closed during the TLS handshake", code: .jsec(.closedDuringHandshake))))
        } else {
            // Clean only if close_notify came first, which recorded it already (the first answer stays).
            liveState.setPeerClosed(cleanly: false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        deliverDecrypted(context: context)
        if state.isHandshakePending {
            let e = JSecError.from(error, while: "TLS handshake")
            end(in: .failed, failing: e)
            completeHandshake(.failure(e))
        }
        context.fireErrorCaught(error)
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle(var held):
            held.append((buffer, promise))
            state = .idle(held: held)
        case .handshaking(var held, let started, let timer):
            held.append((buffer, promise))
            state = .handshaking(held: held, started: started, timer: timer)
        case .active(let a):
            if a.closeNotifySent {
                promise?.fail(JSecError(.closed, "write: the write side of the stream is shut down", code: .jsec(.outputShutDown)))
                return
            }
            if engine.inHandshake || !a.renegotiationWrites.isEmpty {
                withActive { $0.renegotiationWrites.append((buffer, promise)) }  // a renegotiation is running
                return
            }
            var rest = buffer
            if rest.readableBytes > Self.pipelinedPiece, loopLoad?.pipelines == true {
                // Few connections on this loop: the peer can open the first records while the next are
                // sealed (TLSLoopLoad). Each piece is flushed; the write's promise goes with the last.
                while rest.readableBytes > Self.pipelinedPiece {
                    if let error = encrypt(rest.readSlice(length: Self.pipelinedPiece)!, promise: nil) {
                        promise?.fail(error)
                        return
                    }
                    flushCiphertext(context: context)
                    // A send that failed at once closes the channel: seal nothing more for it.
                    guard case .active = state else {
                        promise?.fail(Self.streamClosed)
                        return
                    }
                }
            }
            encrypt(rest, promise: promise)
        case .failed, .closed:
            promise?.fail(Self.streamClosed)
        }
    }

    /// Seals `buffer`; on failure (fatal: the connection fails) fails `promise` and returns the error.
    @discardableResult
    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) -> JSecError? {
        if let error = engine.write(buffer) {
            promise?.fail(error)
            // A failed SSL_write is fatal, and a stream's writes carry no promise: fail the connection so the
            // stream reports the cause (errorCaught) instead of losing the write silently.
            if let context { fail(context: context, error) }
            return error
        }
        if let promise { unflushedPromises.append(promise) }
        return nil
    }

    func flush(context: ChannelHandlerContext) {
        if case .active = state { flushCiphertext(context: context) }
    }

    /// Sends what the engine has produced; `written` (if given) completes when those bytes have
    /// been written to the transport (at once when there were none).
    private func flushCiphertext(context: ChannelHandlerContext, written: EventLoopPromise<Void>? = nil) {
        let promises = unflushedPromises
        unflushedPromises = []
        guard var out = engine.takeOutput() else {
            for p in promises { p.succeed() }
            written?.succeed()
            return
        }
        // A large write's ciphertext comes in buffers of at most ``outputSegment``: all but the last go
        // down without a promise (NIO fails every pending write with the same error), then one flush.
        while let next = engine.takeOutput() {
            context.write(wrapOutboundOut(out), promise: nil)
            out = next
        }
        if promises.isEmpty && written == nil {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        } else if promises.count == 1 && written == nil {
            // The usual case (one stream write per flush): its promise goes down as it is, no promise of our own.
            context.writeAndFlush(wrapOutboundOut(out), promise: promises[0])
        } else {
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { result in
                for p in promises { p.completeWith(result) }
            }
            if let written { promise.futureResult.cascade(to: written) }
            context.writeAndFlush(wrapOutboundOut(out), promise: promise)
        }
    }

    /// How long a close waits for its close_notify to be written (``TLSConfiguration/closeNotifyTimeout``).
    private var closeNotifyTimeout: TimeAmount { engine.context.configuration.closeNotifyTimeout.timeAmount }

    private func failUnflushed(_ error: JSecError) {
        let promises = unflushedPromises
        unflushedPromises = []
        for p in promises { p.fail(error) }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            guard let active else {
                if state.isHandshakePending {
                    promise?.fail(JSecError(.usage, "shutdown during the TLS handshake", code: .jsec(.invalidState)))
                    return
                }
                context.close(mode: mode, promise: promise)
                return
            }
            guard !active.closeNotifySent else {
                context.close(mode: .output, promise: promise)
                return
            }
            closeAfterCloseNotify(context: context, mode: .output, promise: promise)
        case .all:
            if state.isHandshakePending {
                let closed = JSecError(.closed, "the stream was closed during the TLS handshake", code: .jsec(.closed))
                end(in: .closed, failing: closed)
                completeHandshake(.failure(closed))
            }
            guard let active, !active.closeNotifySent else {
                context.close(mode: .all, promise: promise)
                return
            }
            closeAfterCloseNotify(context: context, mode: .all, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    /// Sends close_notify, then closes (`mode`) once it — and everything before it — reached the kernel, for at
    /// most ``TLSConfiguration/closeNotifyTimeout``: NIO's full close drops the writes it still queues, and so
    /// does its half-close once the peer's FIN has arrived (it turns into a full close).
    private func closeAfterCloseNotify(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        withActive { $0.closeNotifySent = true }
        engine.shutdown()
        let written = context.eventLoop.makePromise(of: Void.self)
        flushCiphertext(context: context, written: written)
        context.close(mode: mode, after: written.futureResult, atMost: closeNotifyTimeout, promise: promise)
    }
}
