import NIOCore
import NIOTLS

/// JSec's TLS as a SwiftNIO channel handler, for a pipeline of your own (HTTP/1, HTTP/2, gRPC…): ciphertext
/// below it, plaintext `ByteBuffer`s above it. Add a ``TLSClientHandler`` or a ``TLSServerHandler`` nearest the
/// socket; this class is what they share (and what `pipeline.handler(type: TLSChannelHandler.self)` finds).
///
/// - The handshake starts when the channel becomes active, or at once when the handler is added to an active
///   channel. Writes made before it completes are held and sent after it, in order.
/// - When it completes, the handler fires NIOTLS's `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` (the
///   ALPN protocol, if any) — the event swift-nio-ssl fires, which NIO's `ApplicationProtocolNegotiationHandler`
///   waits for — and ``connection`` holds what was negotiated: version, cipher, ALPN, the peer's certificates,
///   and the TLS-only operations (key update, renegotiation).
/// - A failure — handshake, verification, protocol, timeout (``TLSConfiguration/handshakeTimeout``), or an I/O
///   error from below — reaches `errorCaught` as a `JSecError` (switch on its `category`, match its `code`); a TLS
///   failure sends its alert and closes the channel.
/// - `close(mode: .all)` sends close_notify first (waiting at most ``TLSConfiguration/closeNotifyTimeout`` for it
///   to be written); `close(mode: .output)` sends close_notify, then FIN. The peer's close_notify, or its FIN,
///   arrives as `ChannelEvent.inputClosed`; ``TLSConnection/peerClosure`` tells the two apart.
///
/// Like every channel handler it belongs to its channel's event loop: add it in a channel initializer with
/// `channel.pipeline.syncOperations.addHandler(_:)`. It cannot be removed from a live connection (TLS cannot be
/// unwrapped); it reads as the channel does (`autoRead`, NIO's default, keeps a handshake moving).
public class TLSChannelHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The engine's handler, run in this handler's place (same context): the one TLS implementation that
    /// `NetStream`s use too.
    let tls: TLSHandler
    /// Set while this handler passes on an event whose failure is reported otherwise: an error from below (passed
    /// on as it is), the handler's removal, a close asked for here.
    private var failureReportedElsewhere = false

    /// What the handshake negotiated (nil until it completes), with the TLS-only operations.
    public private(set) var connection: TLSConnection?

    init(tls: TLSHandler) {
        self.tls = tls
    }

    private func quietly(_ body: () -> Void) {
        let was = failureReportedElsewhere
        failureReportedElsewhere = true
        body()
        failureReportedElsewhere = was
    }

    // MARK: - Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        tls.whenHandshakeCompletes { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let connection):
                self.connection = connection
                context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: connection.alpn))
            case .failure(let error):
                // The engine's handler reports a failed handshake to its waiter only (a stream throws it from
                // connect/accept); in a pipeline of one's own, errorCaught is where errors go.
                if !self.failureReportedElsewhere { context.fireErrorCaught(error) }
            }
        }
        tls.handlerAdded(context: context)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        quietly { tls.handlerRemoved(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        tls.channelActive(context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        tls.channelInactive(context: context)
    }

    // MARK: - Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        tls.channelRead(context: context, data: data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        tls.channelReadComplete(context: context)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        tls.userInboundEventTriggered(context: context, event: event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let mapped = JSecError.from(error, while: connection == nil ? "TLS handshake" : "TLS connection")
        quietly { tls.errorCaught(context: context, error: mapped) }
    }

    // MARK: - Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        tls.write(context: context, data: data, promise: promise)
    }

    public func flush(context: ChannelHandlerContext) {
        tls.flush(context: context)
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        quietly { tls.close(context: context, mode: mode, promise: promise) }
    }
}

@available(*, unavailable)
extension TLSChannelHandler: Sendable {}
