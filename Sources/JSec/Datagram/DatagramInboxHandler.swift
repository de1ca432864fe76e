import NIOCore

/// One datagram a ``NetDatagramSocket`` received: its bytes, whole, and who sent it.
public struct NetDatagram: Sendable, Hashable {
    public let bytes: [UInt8]
    public let sender: NetAddress

    public init(bytes: [UInt8], sender: NetAddress) {
        self.bytes = bytes
        self.sender = sender
    }
}

/// The inbound end of a ``NetDatagramSocket``: every datagram from the socket goes into the socket's bounded
/// queue (a full queue drops the newest and counts it). A connected socket queues only its peer's datagrams.
/// A socket error (ICMP port unreachable on a connected socket: `ECONNREFUSED`) is queued in order, so the next
/// receive reports it once, as `recv(2)` does. The channel closing ends the queue with a `.closed` error.
final class DatagramInboxHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias Item = Result<NetDatagram, JSecError>

    let inbox: HandoffQueue<Item>

    init(inbox: HandoffQueue<Item>) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if let peer = context.channel.remoteAddress, peer != envelope.remoteAddress { return }
        guard let sender = NetAddress(envelope.remoteAddress) else { return }
        // A copy: NIO's receive buffer (64 KiB) is reused instead of being held by a short datagram.
        inbox.push(.success(NetDatagram(bytes: Array(envelope.data.readableBytesView), sender: sender)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let target = context.channel.remoteAddress.flatMap { NetAddress($0)?.description }
        inbox.push(.failure(JSecError.from(error, while: "receive", target: target)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.finish(NetDatagramSocket.closedError("receive"))
        context.fireChannelInactive()
    }
}
