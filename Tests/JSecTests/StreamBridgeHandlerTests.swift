#if canImport(Glibc)
    import Glibc
#endif
import JSecCrypto
import NIOCore
import NIOEmbedded
import Testing
@testable import JSec

/// Where a read's completion lands in these single-threaded tests (the handler's callbacks are `@Sendable`).
final class ReadBox: @unchecked Sendable {
    // @unchecked Sendable: written and read on the test's thread only (EmbeddedEventLoop runs inline).
    var value: StreamBridgeHandler.ReadResult?
}

/// StreamBridgeHandler (the tail of every stream) against data, EOF, close, error, handler removal and
/// backpressure, on an EmbeddedChannel: reads complete synchronously or after `advanceTime`.
@Suite struct StreamBridgeHandlerTests {
    final class Bridge {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let probe = TransportProbe()
        let bridge: StreamBridgeHandler
        private(set) var lastToken: UInt64 = 0

        /// `budget`: a budget of its own by default, unlimited, so tests running in parallel do not share one.
        init(active: Bool = true, budget: ReadBudget = ReadBudget(limit: .max)) throws {
            channel = EmbeddedChannel(loop: loop)
            bridge = StreamBridgeHandler(eventLoop: loop, budget: budget)
            try channel.pipeline.syncOperations.addHandler(probe)
            try channel.pipeline.syncOperations.addHandler(bridge)
            if active { try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait() }
        }

        /// Starts a read; the result is nil until it completes.
        func read(_ kind: StreamBridgeHandler.ReadKind, timeout: TimeAmount? = nil) -> () -> StreamBridgeHandler.ReadResult? {
            let result = ReadBox()
            lastToken += 1
            bridge.read(kind, timeout: timeout, token: lastToken) { result.value = $0 }
            return { result.value }
        }

        func deliver(_ text: String) throws { try channel.writeInbound(ByteBuffer(string: text)) }
        func deliver(count: Int) throws { try channel.writeInbound(ByteBuffer(repeating: 0x61, count: count)) }
        func finish() { _ = try? channel.finish(acceptAlreadyClosed: true) }
    }

    static func text(_ r: StreamBridgeHandler.ReadResult?) -> String? {
        guard case .success(let b?) = r else { return nil }
        return String(buffer: b)
    }

    static func error(_ r: StreamBridgeHandler.ReadResult?) -> JSecError? {
        guard case .failure(let e) = r else { return nil }
        return JSecError.from(e, while: "read")
    }

    // MARK: - data

    @Test func bufferedDataIsServedAtOnce() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver("hello world")
        #expect(Self.text(b.read(.upTo(5))()) == "hello")
        #expect(Self.text(b.read(.upTo(100))()) == " world")
    }

    @Test func pendingReadCompletesWhenDataArrives() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(100))
        #expect(r() == nil)
        #expect(b.bridge.hasPendingRead)
        try b.deliver("late")
        #expect(Self.text(r()) == "late")
        #expect(!b.bridge.hasPendingRead)
    }

    @Test func exactlyWaitsForAllBytesAcrossArrivals() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.exactly(10))
        try b.deliver("01234")
        #expect(r() == nil, "5 of 10")
        try b.deliver("56789xyz")
        #expect(Self.text(r()) == "0123456789")
        #expect(Self.text(b.read(.upTo(10))()) == "xyz")
    }

    @Test func aSecondConcurrentReadIsAUsageError() throws {
        let b = try Bridge()
        defer { b.finish() }
        let first = b.read(.upTo(1))
        let second = b.read(.upTo(1))
        #expect(Self.error(second()) == JSecError(.usage, "", code: .jsec(.concurrentOperation)))
        try b.deliver("x")
        #expect(Self.text(first()) == "x", "the first read is unaffected")
    }

    @Test func readTimesOutAndTheStreamStaysUsable() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10), timeout: .milliseconds(250))
        b.loop.advanceTime(by: .milliseconds(249))
        #expect(r() == nil)
        b.loop.advanceTime(by: .milliseconds(1))
        #expect(Self.error(r())?.category == .timeout)
        try b.deliver("after")
        #expect(Self.text(b.read(.upTo(10))()) == "after")
    }

    @Test func aCompletedReadsTimerDoesNotFireLater() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r1 = b.read(.upTo(10), timeout: .milliseconds(100))
        try b.deliver("1")
        #expect(Self.text(r1()) == "1")
        let r2 = b.read(.upTo(10))
        b.loop.advanceTime(by: .seconds(1))
        #expect(r2() == nil, "the first read's timeout must not end the second read")
    }

    @Test func aCancelledReadEndsWithCancellationErrorAndLosesNoByte() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.exactly(10))
        try b.deliver("abc")
        b.bridge.cancelRead(b.lastToken)
        guard case .failure(let e) = r(), e is CancellationError else { Issue.record("cancelled: \(String(describing: r()))"); return }
        #expect(Self.text(b.read(.upTo(10))()) == "abc", "the bytes the cancelled read had gathered go to the next read")
    }

    @Test func cancellingBeforeTheReadStartsEndsItAtOnce() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.bridge.cancelRead(b.lastToken + 1)  // the cancel handler ran before the read reached the loop
        let r = b.read(.upTo(10))
        guard case .failure(let e) = r(), e is CancellationError else { Issue.record("cancelled early: \(String(describing: r()))"); return }
        try b.deliver("kept")
        #expect(Self.text(b.read(.upTo(10))()) == "kept")
    }

    // MARK: - EOF, close, error

    @Test func eofEndsAPendingReadWithNil() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10))
        b.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        guard case .success(nil) = r() else { Issue.record("end of stream: \(String(describing: r()))"); return }
        #expect(b.bridge.inputClosed)
    }

    @Test func eofHandsOutWhatArrivedToAnExactRead() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver("abc")
        let r = b.read(.exactly(10))
        b.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(Self.text(r()) == "abc", "fewer bytes at end of stream")
        guard case .success(let empty?) = b.read(.exactly(10))(), empty.readableBytes == 0 else { Issue.record("then nothing"); return }
    }

    @Test func dataBeforeEOFIsReadFirst() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver("last words")
        b.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(Self.text(b.read(.upTo(100))()) == "last words")
        guard case .success(nil) = b.read(.upTo(100))() else { Issue.record("then end of stream"); return }
    }

    @Test func channelInactiveEndsReads() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10))
        try b.channel.close().wait()
        guard case .success(nil) = r() else { Issue.record("closed channel: \(String(describing: r()))"); return }
    }

    @Test func closeLocallyFailsAPendingReadAndLaterReads() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10), timeout: .seconds(1))
        b.bridge.closeLocally()
        #expect(Self.error(r())?.category == .closed)
        #expect(Self.error(b.read(.upTo(10))())?.category == .closed)
        b.loop.advanceTime(by: .seconds(2))  // the cancelled timer stays silent
    }

    @Test func transportErrorFailsTheReadNamingThePeer() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10))
        b.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)"))
        let e = try #require(Self.error(r()))
        #expect(e == JSecError(.io, "", code: .errno(ECONNRESET)))
        #expect(e.message == "connection reset by peer: 127.0.0.1:8443 (ECONNRESET)")
        #expect(b.bridge.failure == e)
    }

    @Test func bytesReceivedBeforeAnErrorAreStillRead() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver("kept")
        b.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read"))
        #expect(Self.text(b.read(.upTo(10))()) == "kept")
        #expect(Self.error(b.read(.upTo(10))())?.code == .errno(ECONNRESET))
    }

    @Test func tlsFailureReachesTheReader() throws {
        let b = try Bridge()
        defer { b.finish() }
        let r = b.read(.upTo(10))
        b.channel.pipeline.fireErrorCaught(
            JSecError(
                .verification, "the peer rejected our certificate: bad certificate",
                code: .alertReceived(.badCertificate)))
        #expect(Self.error(r()) == JSecError(.verification, "", code: .alertReceived(.badCertificate)), "passed on as it is")
    }

    // MARK: - handler removal

    /// The bridge is not removable on its own; it leaves the pipeline when the channel closes. A read
    /// after that (the stream object outlives its channel) must not touch the gone context.
    @Test func readAfterTheHandlerLeftThePipeline() throws {
        let b = try Bridge()
        try b.channel.close().wait()
        b.loop.run()  // EmbeddedChannel removes the handlers on the next loop turn
        #expect(throws: (any Error).self) { _ = try b.channel.pipeline.syncOperations.context(handler: b.bridge) }
        guard case .success(nil) = b.read(.upTo(10))() else { Issue.record("end of stream after close"); return }
        b.bridge.closeLocally()
        #expect(Self.error(b.read(.upTo(10))())?.category == .closed)
        b.finish()
    }

    @Test func takeBufferedHandsOverUnreadBytes() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver("STARTTLS-early")
        #expect(Self.text(b.read(.upTo(8))()) == "STARTTLS")
        #expect(b.bridge.takeBuffered().map { String(buffer: $0) } == "-early")
        #expect(b.bridge.takeBuffered() == nil)
    }

    @Test func onActiveRunsOnceWhenTheChannelBecomesActive() throws {
        let b = try Bridge(active: false)
        defer { b.finish() }
        var calls = 0
        b.bridge.onActive = { calls += 1 }
        try b.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        b.channel.pipeline.fireChannelActive()
        #expect(calls == 1)
    }

    // MARK: - writes: accepted into a bounded window

    /// Where a wait for write room lands.
    final class WaitBox: @unchecked Sendable {
        // @unchecked Sendable: the test's thread only (EmbeddedEventLoop runs inline).
        var value: Result<Void, any Error>?
    }

    static func accepted(_ step: StreamBridgeHandler.WriteStep) -> Bool {
        if case .accepted = step { return true } else { return false }
    }

    @Test func writesAreAcceptedAndSentInOrder() throws {
        let b = try Bridge()
        defer { b.finish() }
        #expect(Self.accepted(b.bridge.write(ByteBuffer(string: "one "))))
        #expect(Self.accepted(b.bridge.write(ByteBuffer(string: "two"))))
        var sent = ""
        while let out = try b.channel.readOutbound(as: ByteBuffer.self) { sent += String(buffer: out) }
        #expect(sent == "one two")
    }

    @Test func aFullWindowHoldsTheWriterUntilThePeerTakesBytes() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.channel.isWritable = false
        b.channel.pipeline.fireChannelWritabilityChanged()
        guard case .full = b.bridge.write(ByteBuffer(string: "x")) else { Issue.record("not writable: the window is full"); return }
        let room = WaitBox()
        b.bridge.waitForWindow(bytes: 1, timeout: nil, token: 1) { room.value = $0 }
        #expect(room.value == nil, "waits while the channel is not writable")
        #expect(try b.channel.readOutbound(as: ByteBuffer.self) == nil, "nothing of the refused write was sent")
        b.channel.isWritable = true
        b.channel.pipeline.fireChannelWritabilityChanged()
        guard case .success = room.value else { Issue.record("writable again: the wait ends (\(String(describing: room.value)))"); return }
        #expect(Self.accepted(b.bridge.write(ByteBuffer(string: "x"))))
    }

    /// Bytes sent down and not yet written count against the window, not only bytes queued here: a peer
    /// that reads nothing holds one window of a stream's bytes, not a window plus NIO's high-water mark.
    @Test func bytesNotYetWrittenCountAgainstTheWindow() throws {
        final class HeldTransport: ChannelOutboundHandler {
            // The kernel takes nothing: every write's promise waits until the test completes it.
            typealias OutboundIn = ByteBuffer
            var promises: [EventLoopPromise<Void>] = []
            func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
                if let promise { promises.append(promise) }
            }
        }
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let transport = HeldTransport()
        let bridge = StreamBridgeHandler(eventLoop: loop)
        try channel.pipeline.syncOperations.addHandlers([transport, bridge])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        let part = ByteBuffer(repeating: 1, count: StreamBridgeHandler.windowBytes / 2)
        #expect(Self.accepted(bridge.write(part)))
        #expect(Self.accepted(bridge.write(part)), "two halves fill the window")
        guard case .full = bridge.write(ByteBuffer(string: "x")) else {
            Issue.record("a window of bytes waits unwritten: the next write must wait")
            return
        }
        let room = WaitBox()
        bridge.waitForWindow(bytes: part.readableBytes, timeout: nil, token: 1) { room.value = $0 }
        transport.promises.removeFirst().succeed()
        guard case .success = room.value else { Issue.record("half the window written: the wait ends"); return }
        #expect(Self.accepted(bridge.write(part)))
        transport.promises.forEach { $0.succeed() }
        transport.promises.removeAll()
        let large = ByteBuffer(repeating: 2, count: 3 * StreamBridgeHandler.windowBytes)
        #expect(Self.accepted(bridge.write(large)), "nothing waits: a larger write goes alone")
        guard case .full = bridge.write(ByteBuffer(string: "y")) else { Issue.record("behind a larger write: wait"); return }
    }

    @Test func aWaitForRoomTimesOutAndIsCancellable() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.channel.isWritable = false
        b.channel.pipeline.fireChannelWritabilityChanged()
        let timed = WaitBox()
        b.bridge.waitForWindow(bytes: 1, timeout: .milliseconds(100), token: 1) { timed.value = $0 }
        b.loop.advanceTime(by: .milliseconds(99))
        #expect(timed.value == nil)
        b.loop.advanceTime(by: .milliseconds(1))
        guard case .failure(let e as JSecError) = timed.value, e.category == .timeout else {
            Issue.record("timeout: \(String(describing: timed.value))")
            return
        }
        let cancelled = WaitBox()
        b.bridge.waitForWindow(bytes: 1, timeout: .seconds(1), token: 2) { cancelled.value = $0 }
        b.bridge.cancelWrite(2)
        guard case .failure(let c) = cancelled.value, c is CancellationError else { Issue.record("cancelled: \(String(describing: cancelled.value))"); return }
        b.loop.advanceTime(by: .seconds(2))  // the cancelled wait's timer stays silent
    }

    @Test func aWriteAfterATransportFailureReportsItsCause() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "write"))
        guard case .failed(let e) = b.bridge.write(ByteBuffer(string: "late")) else { Issue.record("a failed stream takes no write"); return }
        #expect(e == JSecError(.io, "", code: .errno(ECONNRESET)))
        #expect(e.message.hasPrefix("write: connection reset by peer"))
    }

    /// NIO closes a channel whose write(2) failed without an `errorCaught`: only the write's promise knows why.
    @Test func aFailedSendIsReportedWithItsCauseByTheNextWrite() throws {
        final class FailingTransport: ChannelOutboundHandler {
            typealias OutboundIn = ByteBuffer
            func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
                promise?.fail(IOError(errnoCode: EPIPE, reason: "write(descriptor:pointer:size:)"))
            }
        }
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let bridge = StreamBridgeHandler(eventLoop: loop)
        try channel.pipeline.syncOperations.addHandlers([FailingTransport(), bridge])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        #expect(Self.accepted(bridge.write(ByteBuffer(string: "lost"))), "accepted: the failure comes later")
        guard case .failed(let e) = bridge.write(ByteBuffer(string: "next")) else {
            Issue.record("the next write must report why the first was not sent")
            return
        }
        #expect(e == JSecError(.io, "", code: .errno(EPIPE)))
        #expect(e.message.hasPrefix("write: "))
    }

    @Test func aWriteAfterShutdownIsRefusedAndQueuedBytesGoFirst() throws {
        let b = try Bridge()
        defer { b.finish() }
        #expect(Self.accepted(b.bridge.write(ByteBuffer(string: "last"))))
        b.channel.close(mode: .output, promise: nil)
        guard case .failed(let e) = b.bridge.write(ByteBuffer(string: "more")) else { Issue.record("shut down: no more writes"); return }
        #expect(e.code == .jsec(.outputShutDown))
        #expect(try b.channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "last")
    }

    @Test func closeLocallyEndsAWaitingWriter() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.channel.isWritable = false
        b.channel.pipeline.fireChannelWritabilityChanged()
        let room = WaitBox()
        b.bridge.waitForWindow(bytes: 1, timeout: .seconds(1), token: 1) { room.value = $0 }
        b.bridge.closeLocally()
        guard case .failure(let e as JSecError) = room.value, e.category == .closed else { Issue.record("closed: \(String(describing: room.value))"); return }
        guard case .failed = b.bridge.write(ByteBuffer(string: "x")) else { Issue.record("closed: no more writes"); return }
        b.loop.advanceTime(by: .seconds(2))
    }

    // MARK: - backpressure

    @Test func aStreamWithNoReadWaitingReadsAheadAndResumesWhenTheApplicationReads() throws {
        let b = try Bridge()
        defer { b.finish() }
        b.channel.read()
        let before = b.probe.reads
        #expect(before >= 1)
        try b.deliver(count: StreamBridgeHandler.idleReadAhead - 1)
        b.channel.read()
        #expect(b.probe.reads == before + 1, "below the read-ahead: reads on")
        try b.deliver(count: 1)
        b.channel.read()
        #expect(b.probe.reads == before + 1, "held: 64 KiB wait unread and no read waits for them")
        // The application reads: reading resumes.
        guard case .success(let part?) = b.read(.upTo(1))() else { Issue.record("read"); return }
        #expect(part.readableBytes == 1)
        #expect(b.probe.reads == before + 2, "the held read is issued once the application reads")
        // Everything read, a read waiting: it gets the next bytes.
        _ = b.read(.upTo(StreamBridgeHandler.idleReadAhead))()
        let r = b.read(.upTo(1))
        b.channel.read()
        try b.deliver("x")
        guard case .success(let x?) = r() else { Issue.record("waiting read"); return }
        #expect(x.readableBytes == 1)
    }

    @Test func unreadBytesStayWithinTheDocumentedBoundWithTheLastBatch() throws {
        let b = try Bridge()
        defer { b.finish() }
        // The last read granted below the read-ahead may bring a whole batch; that still fits under 1 MiB.
        try b.deliver(count: StreamBridgeHandler.idleReadAhead - 1)
        let before = b.probe.reads
        b.channel.read()
        #expect(b.probe.reads == before + 1)
        try b.deliver(count: StreamBridgeHandler.maxReadBatch)
        #expect(b.bridge.budget.used == StreamBridgeHandler.idleReadAhead - 1 + StreamBridgeHandler.maxReadBatch)
        #expect(b.bridge.budget.used <= StreamBridgeHandler.unreadBound)
        b.channel.read()
        #expect(b.probe.reads == before + 1, "held")
    }

    @Test func anExactReadLargerThanTheReadAheadKeepsReading() throws {
        let b = try Bridge()
        defer { b.finish() }
        let n = 3 * StreamBridgeHandler.unreadBound
        let r = b.read(.exactly(n))
        try b.deliver(count: StreamBridgeHandler.unreadBound)
        let before = b.probe.reads
        b.channel.read()
        #expect(b.probe.reads == before + 1, "not held: the pending chunk needs more than the read-ahead")
        try b.deliver(count: n - StreamBridgeHandler.unreadBound)
        guard case .success(let all?) = r() else { Issue.record("chunk"); return }
        #expect(all.readableBytes == n)
    }

    @Test func aHeldReadIsReleasedByAPendingExactRead() throws {
        let b = try Bridge()
        defer { b.finish() }
        try b.deliver(count: StreamBridgeHandler.idleReadAhead)
        b.channel.read()
        let held = b.probe.reads
        _ = b.read(.exactly(2 * StreamBridgeHandler.idleReadAhead))
        #expect(b.probe.reads == held + 1, "the read limit grows with the pending chunk")
    }
}

extension StreamBridgeHandlerTests {
    // MARK: - received buffers

    /// A large buffer that does not fit into the unread one before it is kept as it came: 64 KiB + 16 KiB unread
    /// take 80 KiB, not the 128 KiB one grown buffer would (capacities are powers of two). Reads see the bytes
    /// in order, an exact read across the two whole.
    @Test func aLargeBufferThatDoesNotFitIsKeptAsItCame() throws {
        let b = try Bridge()
        defer { b.finish() }
        let bytes = (0..<81_920).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        var first = ByteBufferAllocator().buffer(capacity: 65_536)
        first.writeBytes(bytes[0..<65_536])
        var second = ByteBufferAllocator().buffer(capacity: 16_384)
        second.writeBytes(bytes[65_536...])
        try b.channel.writeInbound(first)
        try b.channel.writeInbound(second)
        #expect(b.bridge.unreadCapacity == 81_920, "\(b.bridge.unreadCapacity) bytes held for 80 KiB unread")
        guard case .success(let head?) = b.read(.exactly(70_000))() else { Issue.record("exact read"); return }
        #expect(Array(head.readableBytesView) == Array(bytes[0..<70_000]))
        guard case .success(let rest?) = b.read(.upTo(100_000))() else { Issue.record("read"); return }
        #expect(Array(rest.readableBytesView) == Array(bytes[70_000...]))
        #expect(b.bridge.unreadCapacity == 0)
    }

    /// Small buffers are still copied onto the end of the unread one (no chain of tiny buffers).
    @Test func smallBuffersAreAppended() throws {
        let b = try Bridge()
        defer { b.finish() }
        for word in ["one ", "two ", "three"] { try b.deliver(word) }
        #expect(Self.text(b.read(.upTo(100))()) == "one two three")
    }
}

extension StreamBridgeHandlerTests {
    // MARK: - the process-wide budget (ReadBudget)

    @Test func theBudgetHoldsReadingOnStreamsWithUnreadBytesAndClosesNone() throws {
        // Each stream holds just under its own read-ahead; two of them spend the budget.
        let n = StreamBridgeHandler.idleReadAhead - 1
        let budget = ReadBudget(limit: n + n / 2)
        let a = try Bridge(budget: budget), b = try Bridge(budget: budget), c = try Bridge(budget: budget)
        defer { a.finish(); b.finish(); c.finish() }
        try a.deliver(count: n)
        #expect(budget.used == n)
        var aReads = a.probe.reads
        a.channel.read()
        #expect(a.probe.reads == aReads + 1, "under the budget (and a's own high-water mark): a reads on")
        try b.deliver(count: n)
        #expect(budget.used == 2 * n)
        // Spent: streams that hold unread bytes stop asking their sockets for more…
        aReads = a.probe.reads
        let bReads = b.probe.reads
        a.channel.read()
        b.channel.read()
        #expect(a.probe.reads == aReads, "held by the budget: n bytes wait unread in a")
        #expect(b.probe.reads == bReads, "held by the budget: n bytes wait unread in b")
        // …while a stream with nothing unread still reads (its application makes progress).
        let cReads = c.probe.reads
        c.channel.read()
        #expect(c.probe.reads == cReads + 1)
        // a's application reads everything: a asks again (nothing unread), and the total (n) falls
        // below three quarters of the limit, so b, held with its bytes still unread, is told too.
        guard case .success(let all?) = a.read(.upTo(n))() else { Issue.record("a's read"); return }
        #expect(all.readableBytes == n)
        #expect(budget.used == n)
        a.loop.run()
        b.loop.run()
        #expect(a.probe.reads == aReads + 1, "a resumes")
        #expect(b.probe.reads == bReads + 1, "b resumes: the budget has room again")
        #expect(a.channel.isActive && b.channel.isActive && c.channel.isActive, "no connection is closed")
    }

    @Test func aStreamWhoseReadWaitsForMoreIsNotHeldByTheBudget() throws {
        let budget = ReadBudget(limit: 1_000)
        let a = try Bridge(budget: budget)
        defer { a.finish() }
        let r = a.read(.exactly(5_000))
        try a.deliver(count: 3_000)
        #expect(budget.used == 3_000)
        let before = a.probe.reads
        a.channel.read()
        #expect(a.probe.reads == before + 1, "the pending chunk can only complete with more bytes")
        try a.deliver(count: 2_000)
        guard case .success(let chunk?) = r() else { Issue.record("chunk"); return }
        #expect(chunk.readableBytes == 5_000)
        #expect(budget.used == 0)
    }

    @Test func unreadBytesLeaveTheBudgetWithTheirStream() throws {
        let budget = ReadBudget(limit: .max)
        do {
            let a = try Bridge(budget: budget)
            try a.deliver(count: 10_000)
            #expect(budget.used == 10_000)
            _ = a.bridge.takeBuffered()
            #expect(budget.used == 0, "handed over (a TLS upgrade) is no longer this stream's")
            try a.deliver(count: 7_000)
            #expect(budget.used == 7_000)
            a.finish()
        }
        #expect(budget.used == 0, "the stream is gone, and its unread bytes with it")
    }
}

/// The full stream pipeline in memory: TLSHandler below StreamBridgeHandler on both sides.
@Suite struct TLSStreamPipelineTests {
    @Test func tlsBridgeEcho() throws {
        let loop = EmbeddedEventLoop()
        func side(_ role: TLSEngine.Role) throws -> (EmbeddedChannel, StreamBridgeHandler) {
            let c = EmbeddedChannel(loop: loop)
            let config = role == .client ? PKI.clientConfiguration() : PKI.serverConfiguration()
            let bridge = StreamBridgeHandler(eventLoop: loop)
            try c.pipeline.syncOperations.addHandlers([
                try TLSHandler(
                    context: TLSContext(config), role: role,
                    serverName: role == .client ? "localhost" : nil), bridge,
            ])
            try c.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
            return (c, bridge)
        }
        let (client, clientBridge) = try side(.client)
        let (server, serverBridge) = try side(.server)
        defer { _ = try? client.finish(acceptAlreadyClosed: true); _ = try? server.finish(acceptAlreadyClosed: true) }
        func pump() throws {
            for _ in 0..<50 {
                var moved = false
                while let b = try client.readOutbound(as: ByteBuffer.self) { try server.writeInbound(b); moved = true }
                while let b = try server.readOutbound(as: ByteBuffer.self) { try client.writeInbound(b); moved = true }
                if !moved { return }
            }
        }
        let got = ReadBox()
        serverBridge.read(.exactly(5), timeout: nil, token: 1) { got.value = $0 }
        client.writeAndFlush(ByteBuffer(string: "hello"), promise: nil)
        try pump()
        guard case .success(let b?) = got.value else { Issue.record("server read: \(String(describing: got.value))"); return }
        #expect(String(buffer: b) == "hello")
        client.close(mode: .all, promise: nil)
        try pump()
        let end = ReadBox()
        serverBridge.read(.upTo(10), timeout: nil, token: 2) { end.value = $0 }
        guard case .success(nil) = end.value else { Issue.record("close_notify ends the server's stream: \(String(describing: end.value))"); return }
        _ = clientBridge
    }
}
