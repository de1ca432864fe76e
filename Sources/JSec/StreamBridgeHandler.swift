import NIOCore

/// The tail of every stream's pipeline: buffers inbound bytes and serves the
/// stream's `read(max:)` and `chunk(_:)` calls, with backpressure (it stops
/// asking the socket for data while more than ``highWater`` bytes wait unread).
///
/// Confined to the channel's event loop, like every NIO handler.
final class StreamBridgeHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum ReadKind { case upTo(Int), exactly(Int) }

    /// A slice of the received bytes (no copy), nil at end of stream.
    typealias ReadResult = Result<ByteBuffer?, any Error>

    private struct Pending {
        let kind: ReadKind
        /// Completes the waiting read (a continuation resume; no EventLoopFuture per read:
        /// profiles showed each future's generic metadata lookups at ~2,500 instructions).
        let complete: (ReadResult) -> Void
        /// Distinguishes this read from a later one (for its timeout).
        let id: UInt64
        /// The stream's number for this read (for its cancellation).
        let token: UInt64
        var timeout: Scheduled<Void>?
    }

    static let highWater = 1 << 20
    static let lowWater = 1 << 18

    private var buffer: ByteBuffer?
    /// A slice of `buffer`'s storage went to a reader (see ``channelRead(context:data:)``).
    private var bufferHandedOut = false
    private var pending: Pending?
    private var nextReadID: UInt64 = 0
    /// A read whose cancellation arrived before the read itself (both hop to the event loop separately).
    private var cancelledToken: UInt64?
    private var heldRead = false
    private var context: ChannelHandlerContext?
    /// The peer will send no more bytes (FIN, close_notify or channel closed).
    private(set) var inputClosed = false
    private(set) var closedLocally = false
    /// Why the stream failed (a TLS alert, a protocol error), if it did.
    private(set) var failure: JSecError?
    /// Called once, when the channel becomes active (used by listeners to hand out plain streams).
    var onActive: (() -> Void)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { fireOnActive() }
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    private func fireOnActive() {
        let cb = onActive
        onActive = nil
        cb?()
    }

    func channelActive(context: ChannelHandlerContext) {
        fireOnActive()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil || buffer!.readableBytes == 0 {
            buffer = incoming
            bufferHandedOut = false
        } else if bufferHandedOut {
            // A reader on another thread may still hold a slice of this storage: never append
            // into it (that would rest on the reference-count uniqueness check alone); move the
            // remainder and the new bytes to a fresh buffer instead.
            var fresh = context.channel.allocator.buffer(capacity: buffer!.readableBytes + incoming.readableBytes)
            fresh.writeBuffer(&buffer!)
            fresh.writeBuffer(&incoming)
            buffer = fresh
            bufferHandedOut = false
        } else {
            buffer!.writeBuffer(&incoming)
        }
        satisfy()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed {
            inputClosed = true
            satisfy()
        }
        if event is IdleStateHandler.IdleStateEvent {
            // A server's idle timeout (NetListener/TLS.listen idleTimeout): the connection is closed, and says why.
            if failure == nil { failure = JSecError(.timeout, "read: nothing was received or sent for the listener's idle timeout; the connection was closed") }
            satisfy()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputClosed = true
        satisfy()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failure == nil { failure = JSecError.from(error, while: "read", target: NetAddress(context.channel.remoteAddress)?.description) }
        satisfy()
    }

    func read(context: ChannelHandlerContext) {
        if (buffer?.readableBytes ?? 0) >= readLimit {
            heldRead = true
        } else {
            context.read()
        }
    }

    /// How much may wait unread before we stop reading: the high-water mark, or more while a
    /// `chunk(n)` for a larger n is waiting (it can only complete once n bytes are here).
    private var readLimit: Int {
        if let p = pending, case .exactly(let n) = p.kind { return max(Self.highWater, n) }
        return Self.highWater
    }

    // MARK: - API used by NetStream (on the event loop)

    /// Serves one read; `complete` is called exactly once, on the event loop (possibly at once).
    func read(_ kind: ReadKind, timeout: TimeAmount?, token: UInt64, eventLoop: EventLoop, complete: @escaping (ReadResult) -> Void) {
        if cancelledToken == token {
            cancelledToken = nil
            complete(.failure(CancellationError()))
            return
        }
        if pending != nil {
            complete(
                .failure(
                    JSecError(
                        .usage, "another read is already pending on this stream; reads must not run concurrently",
                        code: .jsec(.concurrentOperation))))
            return
        }
        if closedLocally {
            complete(.failure(JSecError(.closed, "read: the stream is closed")))
            return
        }
        if let result = take(kind) { complete(result); return }
        nextReadID &+= 1
        let id = nextReadID
        pending = Pending(kind: kind, complete: complete, id: id, token: token, timeout: nil)
        if heldRead, (buffer?.readableBytes ?? 0) < readLimit, let context {
            heldRead = false
            context.read()
        }
        if let timeout {
            pending!.timeout = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                guard let p = pending, p.id == id else { return }
                pending = nil
                p.complete(.failure(JSecError(.timeout, "read timed out after \(timeout.nanoseconds / 1_000_000) ms; the stream is still usable")))
            }
        }
    }

    var hasPendingRead: Bool { pending != nil }

    /// Ends the read numbered `token` with `CancellationError`, leaving every received byte for the next read;
    /// remembered if that read has not arrived yet, ignored if it is already over.
    func cancelRead(_ token: UInt64) {
        guard let p = pending, p.token == token else {
            cancelledToken = token
            return
        }
        pending = nil
        p.timeout?.cancel()
        p.complete(.failure(CancellationError()))
    }

    /// Marks the stream closed by us and ends a pending read with a `.closed` error.
    func closeLocally() {
        closedLocally = true
        if let p = pending {
            pending = nil
            p.timeout?.cancel()
            p.complete(.failure(JSecError(.closed, "read: the stream was closed while a read was pending")))
        }
    }

    /// Removes and returns the bytes received but not yet read (for a TLS upgrade).
    func takeBuffered() -> ByteBuffer? {
        defer { buffer = nil }
        guard let b = buffer, b.readableBytes > 0 else { return nil }
        return b
    }

    // MARK: - internals

    private func satisfy() {
        guard let p = pending, let result = take(p.kind) else { return }
        pending = nil
        p.timeout?.cancel()
        p.complete(result)
    }

    private func take(_ kind: ReadKind) -> ReadResult? {
        let available = buffer?.readableBytes ?? 0
        let result: ReadResult?
        switch kind {
        case .upTo(let n):
            if available > 0 {
                result = .success(buffer!.readSlice(length: min(n, available)))
            } else if let failure {
                result = .failure(failure)
            } else if inputClosed {
                result = .success(nil)
            } else {
                result = nil
            }
        case .exactly(let n):
            if available >= n {
                result = .success(buffer!.readSlice(length: n))
            } else if let failure, available == 0 {
                result = .failure(failure)
            } else if inputClosed || failure != nil {
                result = .success(available > 0 ? buffer!.readSlice(length: available) : ByteBuffer())
            } else {
                result = nil
            }
        }
        if result != nil { bufferHandedOut = true; afterConsume() }
        return result
    }

    private func afterConsume() {
        // Drop a drained buffer rather than reuse it: the reader may still hold a slice of it
        // (reusing it would copy on write), and an idle stream then holds no buffer at all.
        if let b = buffer, b.readableBytes == 0 { buffer = nil }
        if heldRead, (buffer?.readableBytes ?? 0) < Self.lowWater, let context {
            heldRead = false
            context.read()
        }
    }
}
