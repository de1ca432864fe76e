import NIOConcurrencyHelpers
import NIOCore

/// The tail of every stream's pipeline and the bridge between a stream's tasks and its event loop
/// (docs/architecture.md, "Bytes: a task to the socket and back").
///
/// **Inbound.** Bytes that arrive are appended to a buffer the reading task shares with the event
/// loop (behind one mutex). A read takes what is there at once, on the task's own thread, without
/// a hop to the event loop; only a read that must wait suspends, and the event loop resumes it when
/// enough bytes are there: one wake-up per batch of bytes, not a round trip per read. While no read
/// waits, the handler reads ahead at most ``idleReadAhead`` (16 KiB; NIO reads at most
/// ``maxMessagesPerRead`` receive buffers per wake-up), and then stops asking the socket for more
/// (backpressure) until the application reads; with the batch NIO may already be reading, a stream holds
/// at most ``unreadBound`` (1 MiB). ``ReadBudget`` bounds the total across all streams.
///
/// **Outbound.** A write is *accepted* into a bounded window and returns: on the event loop it goes
/// straight down the pipeline; from another thread it is queued, and one event-loop task sends
/// everything queued so far (a batch per wake-up). A write waits only while the window is full: it
/// is accepted when the bytes accepted and not yet written to the kernel (queued here or waiting in
/// NIO) stay within ``windowBytes`` with it, or when none wait (a larger write goes alone), and the
/// channel is writable (NIO's write-buffer high-water mark: bytes that are not the stream's own, such
/// as a TLS handshake's). A failure to send accepted bytes fails the stream:
/// the next write, read or shutdown reports it with its cause. A full close first sends what was
/// accepted (for at most ``closeFlushTimeout``); a half-close sends it before the FIN.
///
/// Concurrency: `state` is behind its mutex and shared with the stream's tasks; `context` and
/// `onActive` are touched only on the channel's event loop (NIO's handler rule).
final class StreamBridgeHandler: ChannelDuplexHandler, @unchecked Sendable {
    // @unchecked Sendable: see "Concurrency" above; every shared field lives in `state`.
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum ReadKind: Sendable { case upTo(Int), exactly(Int) }

    /// A slice of the received bytes (no copy), nil at end of stream.
    typealias ReadResult = Result<ByteBuffer?, any Error>

    /// What a write offered to the window became.
    enum WriteStep {
        /// Sent down the pipeline or queued for the event loop, in order.
        case accepted
        /// The window is full: wait (``waitForWindow(timeout:token:complete:)``) and offer it again.
        case full
        case failed(JSecError)
    }

    /// The documented bound on a stream's unread bytes (docs/security.md; more only while a `chunk(n)`
    /// for a larger n waits).
    static let unreadBound = 1 << 20
    /// The most one `read()` from the socket can add: NIO reads at most ``maxMessagesPerRead`` buffers of
    /// at most ``maximumReceiveBuffer`` bytes per readiness event (set on every stream's channel; a TLS stream's
    /// five of 16 KiB are less), and on TLS a record whose start arrived earlier can complete (≤ 16 KiB of plaintext).
    ///
    /// Two buffers per readiness event (NIO's default is four): a 64 KiB TLS message (65,624 bytes of records)
    /// is read in one wake-up, while NIO's per-channel pool of receive buffers holds at most two and a held stream overshoots its read-ahead by at most two buffers. With one, the
    /// 1-client TLS echo lost 9% (a second wake-up for the last 88 bytes); with four, a client that never
    /// reads cost 0.46–0.59 MiB instead of 0.35 (docs/performance.md, "Clients that never read").
    static let maxMessagesPerRead: UInt = 2
    static let maximumReceiveBuffer = 65_536
    static let maxReadBatch = Int(maxMessagesPerRead) * maximumReceiveBuffer + 16_384
    /// A stream whose application has no read waiting reads ahead at most this much: read-ahead serves
    /// an application that keeps reading; the peer of one that stalls waits in the kernel's buffers, not
    /// in ours (docs/security.md, "Resource limits"). With the batch already on its way (``maxReadBatch``)
    /// well within ``unreadBound``. 16 KiB: what a stalled stream holds is this plus the last wake-up's batch; at
    /// 64 KiB a TLS client that never reads cost ~50 KiB more (docs/performance.md, "Clients that never read").
    static let idleReadAhead = 16_384
    /// NIO's defaults for stream channels, set explicitly because ``maxReadBatch`` rests on them.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: maximumReceiveBuffer)
    /// A TLS stream's receive buffers: at most one record's worth each (16 KiB), five per wake-up, so a 64 KiB
    /// message (65,624 bytes of records) still arrives in one wake-up. `TLSHandler` decrypts each buffer as it
    /// comes and keeps none of it, so NIO's per-channel pool keeps one small buffer where it kept a 64 KiB one, and
    /// a stream whose application stops reading holds less (docs/performance.md, "Clients that never read"). The
    /// plaintext of one wake-up goes up as one buffer (`TLSHandler.decryptAvailable`). Plaintext streams keep
    /// 64 KiB buffers: their bytes are taken as NIO received them, and 16 KiB ones would be copied together.
    static let tlsMaxMessagesPerRead: UInt = 5
    static let tlsReceiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 16_384)

    /// A new stream channel's receive buffers and how many it reads per wake-up: the TLS stream's or the plaintext one's.
    static func receiveBuffers(tls: Bool) -> (allocator: AdaptiveRecvByteBufferAllocator, perRead: UInt) {
        tls ? (tlsReceiveAllocator, tlsMaxMessagesPerRead) : (receiveAllocator, maxMessagesPerRead)
    }

    /// Switches `channel` (on its event loop) to a TLS stream's receive buffers (a TLS listener sets them as its
    /// connections' options instead).
    static func useTLSReceiveBuffers(_ channel: any Channel) throws {
        let options = channel.syncOptions
        let receive = receiveBuffers(tls: true)
        try options?.setOption(.recvAllocator, value: receive.allocator)
        try options?.setOption(.maxMessagesPerRead, value: receive.perRead)
    }
    /// Bytes a stream may have accepted and not yet written to the kernel before a write waits (a larger
    /// write is accepted alone). Counting what waits in NIO, not only what is queued here, keeps a stream
    /// whose peer reads nothing at one window of ciphertext in user space, not a window plus NIO's 64 KiB
    /// high-water mark plus one write (docs/performance.md, "Clients that never read").
    static let windowBytes = 1 << 16
    /// How long a full close waits for accepted bytes to reach the kernel before it closes anyway
    /// (a peer that reads nothing cannot hold the connection open); TLS streams use
    /// ``TLSConfiguration/closeNotifyTimeout`` instead.
    static let closeFlushTimeout = TimeAmount.seconds(5)

    /// A pthread mutex, not a `Mutex`: a stream's task and its event loop contend for this lock by design, and
    /// ThreadSanitizer does not see a contended `Mutex`'s hand-off (docs/architecture.md, Locks): with a `Mutex`
    /// here `tools/sanitizers/tsan.sh -f unit/stream-contract` reported 17 races, every one in this state.
    private let state = NIOLockedValueBox(State())
    /// The process-wide budget this stream's unread bytes count against (``ReadBudget``).
    let budget: ReadBudget
    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    /// Called once, when the channel becomes active (used by listeners to hand out plain streams).
    var onActive: (() -> Void)?

    init(eventLoop: any EventLoop, budget: ReadBudget = .shared) {
        self.eventLoop = eventLoop
        self.budget = budget
    }

    /// Bytes nobody will read any more leave the budget with the stream.
    deinit {
        let unread = state.withLockedValue { $0.available }
        if unread > 0 { budget.adjust(-unread) }
    }

    /// Runs `body` on the shared state; what it adds to or takes from the unread bytes is charged to,
    /// or released from, the budget (one atomic operation, outside the lock: a release may wake other streams).
    private func locked<R>(_ body: (inout State) -> R) -> R {
        let (result, delta) = state.withLockedValue { s -> (R, Int) in
            let before = s.available
            let r = body(&s)
            return (r, s.available - before)
        }
        if delta != 0 { budget.adjust(delta) }
        return result
    }

    // MARK: - Lifecycle (event loop)

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { fireOnActive() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        cancelReadTimers()
        budget.forget(self)
    }

    private func fireOnActive() {
        let cb = onActive
        onActive = nil
        cb?()
    }

    func channelActive(context: ChannelHandlerContext) {
        fireOnActive()
        context.fireChannelActive()
    }

    // MARK: - Inbound (event loop)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let incoming = unwrapInboundIn(data)
        let done = locked { s -> Completion? in
            s.receive(incoming)
            return Self.satisfy(&s)
        }
        done?.run()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            locked { s in
                s.inputClosed = true
                return Self.satisfy(&s)
            }?.run()
        }
        if event is IdleStateHandler.IdleStateEvent {
            // A server's idle timeout (NetListener/TLS.listen idleTimeout): the connection is closed, and says why.
            locked { s in
                if s.failure == nil {
                    s.failure = JSecError(
                        .timeout, "read: nothing was received or sent for the listener's idle timeout; the connection was closed", code: .jsec(.peerIdle))
                }
                return Self.satisfy(&s)
            }?.run()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let (read, writers) = locked { s in
            s.inputClosed = true
            s.channelClosed = true
            return (Self.satisfy(&s), Self.takeWriters(&s))
        }
        read?.run()
        cancelReadTimers()
        let error = locked { $0.writeRefusal } ?? JSecError(.closed, "write: the stream is closed", code: .jsec(.closed))
        for w in writers { w.timer?.cancel(); w.complete(.failure(error)) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure = JSecError.from(error, while: "read", target: NetAddress(context.channel.remoteAddress)?.description)
        locked { s in
            if s.failure == nil { s.failure = failure }
            return Self.satisfy(&s)
        }?.run()
    }

    /// NIO asks for more bytes (auto-read): granted unless enough wait unread.
    func read(context: ChannelHandlerContext) {
        let grant = locked { s -> Bool in
            if mustHold(&s) {
                s.readingHeld = true
                return false
            }
            return true
        }
        if grant { context.read() }
    }

    /// Whether the socket must not be asked for more bytes now: the stream's own read-ahead, or the
    /// process-wide budget is spent and this stream holds unread bytes with no read waiting for more
    /// (then the budget tells it when there is room again: ``budgetHasRoom()``).
    private func mustHold(_ s: inout State) -> Bool {
        if s.available >= s.readLimit { return true }
        return s.available > 0 && s.reader == nil && budget.holdIfSpent(self)
    }

    /// Asks the socket for bytes again after backpressure held it (event loop).
    private func resumeReading() {
        let go = locked { s -> Bool in
            s.resumeScheduled = false
            guard s.readingHeld, !mustHold(&s) else { return false }
            s.readingHeld = false
            return true
        }
        if go, let context { context.read() }
    }

    /// The budget has room again (any thread): a stream it held asks its socket for bytes again.
    func budgetHasRoom() {
        requestResume()
    }

    private func requestResume() {
        if eventLoop.inEventLoop {
            resumeReading()
        } else {
            eventLoop.execute { self.resumeReading() }
        }
    }

    // MARK: - Reading (any thread)

    /// The read's result if it can complete at once (bytes, end of stream or the failure); nil if it must wait.
    /// The caller's fast path: no hop to the event loop, no suspension.
    func tryRead(_ kind: ReadKind) -> ReadResult? {
        let (result, resume) = locked { s -> (ReadResult?, Bool) in
            if s.reader != nil || s.closedLocally { return (nil, false) }  // the waiting path says why
            guard let r = s.take(kind) else { return (nil, false) }
            return (r, s.claimResume())
        }
        if resume { requestResume() }
        return result
    }

    /// Serves one read; `complete` is called exactly once, possibly at once on this thread, else on the event loop.
    func read(_ kind: ReadKind, timeout: TimeAmount?, token: UInt64, complete: @escaping @Sendable (ReadResult) -> Void) {
        enum Outcome { case now(ReadResult), waiting(scheduleTimer: NIODeadline?) }
        let (outcome, resume) = locked { s -> (Outcome, Bool) in
            if s.cancelledToken == token {
                s.cancelledToken = nil
                return (.now(.failure(CancellationError())), false)
            }
            if s.reader != nil {
                return (
                    .now(
                        .failure(
                            JSecError(
                                .usage, "another read is already pending on this stream; reads must not run concurrently",
                                code: .jsec(.concurrentOperation)))), false
                )
            }
            if s.closedLocally { return (.now(.failure(JSecError(.closed, "read: the stream is closed", code: .jsec(.closed)))), false) }
            if let r = s.take(kind) { return (.now(r), s.claimResume()) }
            let deadline = timeout.map { eventLoop.now + $0 }
            s.reader = Reader(kind: kind, complete: complete, token: token, deadline: deadline, timeout: timeout)
            var timer: NIODeadline?
            if let deadline, s.timerDeadline.map({ $0 > deadline }) ?? true {
                s.timerDeadline = deadline
                timer = deadline
            }
            return (.waiting(scheduleTimer: timer), s.claimResume())
        }
        if resume { requestResume() }
        switch outcome {
        case .now(let result): complete(result)
        case .waiting(let deadline?): scheduleReadTimer(at: deadline)
        case .waiting(nil): break
        }
    }

    /// One timer serves every read of the stream: it is moved only when a read needs an earlier one,
    /// so reads that complete in time (the usual case) schedule nothing. Timers are cancelled when the
    /// stream closes, so a closed stream leaves none behind in the event loop (nor is kept alive by one).
    private func scheduleReadTimer(at deadline: NIODeadline) {
        let timer = eventLoop.scheduleTask(deadline: deadline) { [weak self] () -> Void in self?.readTimerFired(deadline) }
        let keep = locked { s -> Bool in
            guard !s.channelClosed, !s.closedLocally else { return false }
            s.readTimers.append((deadline, timer))
            return true
        }
        if !keep { timer.cancel() }
    }

    private func readTimerFired(_ deadline: NIODeadline) {
        enum Fired { case expired(Reader), rescheduled(NIODeadline), nothing }
        let fired = locked { s -> Fired in
            s.readTimers.removeAll { $0.deadline == deadline }
            if s.timerDeadline == deadline { s.timerDeadline = nil }
            guard let r = s.reader, let due = r.deadline else { return .nothing }
            if due <= eventLoop.now {
                s.reader = nil
                return .expired(r)
            }
            if s.timerDeadline == nil {
                s.timerDeadline = due
                return .rescheduled(due)
            }
            return .nothing
        }
        switch fired {
        case .expired(let r):
            let ms = (r.timeout?.nanoseconds ?? 0) / 1_000_000
            r.complete(.failure(JSecError(.timeout, "read timed out after \(ms) ms; the stream is still usable", code: .jsec(.operationTimeout))))
        case .rescheduled(let due): scheduleReadTimer(at: due)
        case .nothing: break
        }
    }

    private func cancelReadTimers() {
        let timers = locked { s in
            defer {
                s.readTimers.removeAll()
                s.timerDeadline = nil
            }
            return s.readTimers.map(\.timer)
        }
        for t in timers { t.cancel() }
    }

    var hasPendingRead: Bool { locked { $0.reader != nil } }
    var inputClosed: Bool { locked { $0.inputClosed } }
    var closedLocally: Bool { locked { $0.closedLocally } }
    var failure: JSecError? { locked { $0.failure } }

    /// Ends the read numbered `token` with `CancellationError`, leaving every received byte for the next read;
    /// remembered if that read has not arrived yet, ignored if it is already over.
    func cancelRead(_ token: UInt64) {
        let reader = locked { s -> Reader? in
            guard let r = s.reader, r.token == token else {
                s.cancelledToken = token
                return nil
            }
            s.reader = nil
            return r
        }
        reader?.complete(.failure(CancellationError()))
    }

    /// Marks the stream closed by us; a pending read and waiting writes end with a `.closed` error.
    func closeLocally() {
        let (reader, writers) = locked { s in
            s.closedLocally = true
            let r = s.reader
            s.reader = nil
            return (r, Self.takeWriters(&s))
        }
        reader?.complete(.failure(JSecError(.closed, "read: the stream was closed while a read was pending", code: .jsec(.closed))))
        cancelReadTimers()
        for w in writers {
            w.timer?.cancel()
            w.complete(.failure(JSecError(.closed, "write: the stream was closed while a write waited", code: .jsec(.closed))))
        }
    }

    /// What the received, unread bytes take in memory (their buffers' capacities).
    var unreadCapacity: Int {
        locked { s in (s.buffer?.capacity ?? 0) + s.later.reduce(0) { $0 + $1.capacity } }
    }

    /// From now on, buffers read to the end go to `pool` (a TLS stream's plaintext: ``TLSHandler`` links them).
    func givePlaintextBack(to pool: PlaintextBufferPool) {
        locked { $0.plaintextPool = pool }
    }

    /// The pool this stream's read buffers go back to (nil for a plaintext stream).
    var plaintextPoolForTests: PlaintextBufferPool? { locked { $0.plaintextPool } }

    /// Removes and returns the bytes received but not yet read (for a TLS upgrade).
    func takeBuffered() -> ByteBuffer? {
        locked { $0.takeAll() }
    }

    // MARK: - Writing (any thread)

    /// Offers `buffer` to the outbound window (see the type's documentation).
    func write(_ buffer: ByteBuffer) -> WriteStep {
        enum Route { case direct, queued(drain: Bool), full, refused(JSecError) }
        let onLoop = eventLoop.inEventLoop
        let bytes = buffer.readableBytes
        let route = locked { s -> Route in
            if let refusal = s.writeRefusal { return .refused(refusal) }
            guard s.admits(bytes) else { return .full }
            if onLoop && s.queued.isEmpty {
                s.inFlight += bytes
                return .direct
            }
            s.queued.append(buffer)
            s.queuedBytes += bytes
            defer { s.drainScheduled = true }
            return .queued(drain: !s.drainScheduled)
        }
        switch route {
        case .direct:
            guard let context else {
                locked { $0.inFlight -= bytes }  // not sent: it leaves the window at once
                return .failed(JSecError(.closed, "write: the stream is closed", code: .jsec(.closed)))
            }
            context.writeAndFlush(wrapOutboundOut(buffer), promise: watchedWrite(context, bytes: bytes))
            return .accepted
        case .queued(let drain):
            if drain { eventLoop.execute { self.sendQueued() } }
            return .accepted
        case .full: return .full
        case .refused(let error): return .failed(error)
        }
    }

    /// Waits until the window has room for a write of `bytes` (or the stream can take nothing more, or
    /// `timeout` passes). `complete` is called exactly once, possibly at once.
    func waitForWindow(bytes: Int, timeout: TimeAmount?, token: UInt64, complete: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        enum Outcome { case now(Result<Void, any Error>), waiting }
        let outcome = locked { s -> Outcome in
            if s.cancelledWriteToken == token {
                s.cancelledWriteToken = nil
                return .now(.failure(CancellationError()))
            }
            if let refusal = s.writeRefusal { return .now(.failure(refusal)) }
            if s.admits(bytes) { return .now(.success(())) }
            s.writers.append(Writer(complete: complete, token: token, bytes: bytes, timer: nil))
            return .waiting
        }
        switch outcome {
        case .now(let r): complete(r)
        case .waiting:
            guard let timeout else { return }
            let timer = eventLoop.scheduleTask(in: timeout) { [self] in
                let expired = locked { s -> Writer? in
                    guard let i = s.writers.firstIndex(where: { $0.token == token }) else { return nil }
                    return s.writers.remove(at: i)
                }
                expired?.complete(
                    .failure(
                        JSecError(
                            .timeout,
                            "write timed out after \(timeout.nanoseconds / 1_000_000) ms waiting for the peer to take earlier bytes; nothing of this write was sent",
                            code: .jsec(.operationTimeout)
                        )))
            }
            let keep = locked { s -> Bool in
                guard let i = s.writers.firstIndex(where: { $0.token == token }) else { return false }
                s.writers[i].timer = timer
                return true
            }
            if !keep { timer.cancel() }
        }
    }

    /// Ends the wait numbered `token` with `CancellationError` (nothing of that write was accepted).
    func cancelWrite(_ token: UInt64) {
        let writer = locked { s -> Writer? in
            guard let i = s.writers.firstIndex(where: { $0.token == token }) else {
                s.cancelledWriteToken = token
                return nil
            }
            return s.writers.remove(at: i)
        }
        writer?.timer?.cancel()
        writer?.complete(.failure(CancellationError()))
    }

    // MARK: - Outbound (event loop)

    /// Sends everything the stream's tasks queued, in order, with one flush.
    func sendQueued() {
        let (batch, bytes) = locked { s -> (CircularBuffer<ByteBuffer>, Int) in
            s.drainScheduled = false
            defer {
                s.inFlight += s.queuedBytes
                s.queuedBytes = 0
                s.queued.removeAll(keepingCapacity: true)
            }
            return (s.queued, s.queuedBytes)
        }
        guard !batch.isEmpty, let context else { return }
        // Only the batch's last write carries a promise: NIO completes writes in order, and fails every
        // pending write with the same error.
        let last = batch.count - 1
        for (i, buffer) in batch.enumerated() {
            context.write(wrapOutboundOut(buffer), promise: i == last ? watchedWrite(context, bytes: bytes) : nil)
        }
        context.flush()
        updateWritability(context: context)
    }

    /// A promise for writes of `bytes` sent down the pipeline: when they complete they leave the window
    /// (and a writer waiting for room may go on); when they fail, the promise records why accepted bytes
    /// could not be sent (NIO closes the channel on a failed write(2) without an `errorCaught`): the next
    /// write or read reports that cause.
    private func watchedWrite(_ context: ChannelHandlerContext, bytes: Int) -> EventLoopPromise<Void> {
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { [self] result in
            var failure: JSecError?
            if case .failure(let error) = result {
                let benign = (error as? ChannelError).map { $0 == .ioOnClosedChannel || $0 == .outputClosed || $0 == .alreadyClosed } ?? false
                if !benign { failure = JSecError.from(error, while: "write", target: NetAddress(context.channel.remoteAddress)?.description) }
            }
            let (completion, ready) = locked { s -> (Completion?, [Writer]) in
                s.inFlight -= bytes
                if let failure, s.failure == nil { s.failure = failure }
                let completion = failure == nil ? nil : Self.satisfy(&s)
                return (completion, s.writerFits ? Self.takeWriters(&s) : [])
            }
            completion?.run()
            Self.release(ready)
        }
        return promise
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateWritability(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func updateWritability(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        let ready = locked { s -> [Writer] in
            s.writable = writable
            return s.writerFits ? Self.takeWriters(&s) : []
        }
        Self.release(ready)
    }

    /// Ends the waits of `writers`: there is room (each offers its write again).
    private static func release(_ writers: [Writer]) {
        for w in writers {
            w.timer?.cancel()
            w.complete(.success(()))
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // What the stream accepted goes out before the close, in order.
        sendQueued()
        switch mode {
        case .output, .all:
            if mode == .output { locked { $0.outputShut = true } }
            guard !tlsBelow(context), bufferedBytes(context) > 0 else {
                // Nothing waits in NIO (or the TLS handler below waits for its close_notify, and so for all before it).
                context.close(mode: mode, promise: promise)
                return
            }
            // Keep what the stream accepted: close once it reached the kernel (CloseAfterWrites.swift).
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
            context.close(mode: mode, after: written.futureResult, atMost: Self.closeFlushTimeout, promise: promise)
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    private func tlsBelow(_ context: ChannelHandlerContext) -> Bool {
        (try? context.pipeline.syncOperations.context(handlerType: TLSHandler.self)) != nil
    }

    private func bufferedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
    }

    // MARK: - internals

    /// A read to complete outside the lock.
    private struct Completion {
        let reader: Reader
        let result: ReadResult
        func run() { reader.complete(result) }
    }

    private static func satisfy(_ s: inout State) -> Completion? {
        guard let r = s.reader, let result = s.take(r.kind) else { return nil }
        s.reader = nil
        return Completion(reader: r, result: result)
    }

    private static func takeWriters(_ s: inout State) -> [Writer] {
        guard !s.writers.isEmpty else { return [] }
        defer { s.writers.removeAll() }
        return Array(s.writers)
    }
}
