import NIOCore
#if canImport(Glibc)
    import Glibc
#endif

/// A datagram channel dedicated to one DTLS peer (a client, or an upgraded UDP channel in either role):
/// datagrams from the peer go to the ``DTLSDriver``; datagrams from anyone else pass on unchanged.
/// Sits nearest the socket so the driver's datagrams go straight out.
final class DTLSPeerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>

    let driver: DTLSDriver
    private var context: ChannelHandlerContext?

    init(driver: DTLSDriver) {
        self.driver = driver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let peer = driver.peer
        let connected = context.channel.remoteAddress != nil
        let loop = context.eventLoop
        driver.transmit = { [weak self] datagram in
            guard let self, let ctx = self.context else {
                return loop.makeFailedFuture(JSecError(.closed, "the UDP channel is closed", code: .jsec(.closed)))
            }
            // A connected socket takes plain buffers; an unconnected one needs the address on each datagram.
            if connected { return ctx.writeAndFlush(NIOAny(datagram)) }
            return ctx.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: peer, data: datagram)))
        }
        if context.channel.isActive { driver.start() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        driver.fail(JSecError(.closed, "the DTLS handler was removed from the UDP channel", code: .jsec(.closed)))
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.start()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.fail(JSecError(.closed, "the UDP channel closed", code: .jsec(.closed)))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if envelope.remoteAddress == driver.peer {
            driver.receive(envelope.data)
        } else {
            context.fireChannelRead(data)
        }
    }

    /// ICMP port unreachable on a connected socket surfaces here: during the handshake it means nobody listens.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !driver.isEstablished, !driver.isClosed, let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            driver.fail(JSecError(.io, "DTLS handshake: \(driver.peer) refused the datagram (nothing listens there)", code: .errno(ECONNREFUSED)))
            return
        }
        context.fireErrorCaught(error)
    }
}
