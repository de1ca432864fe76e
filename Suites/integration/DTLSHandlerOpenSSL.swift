import Foundation
import JSec
import NIOCore
import NIOPosix

/// The public `DTLSClientHandler` in a datagram pipeline of our own (NIO's DatagramBootstrap, connected), against
/// `openssl s_server -dtls1_2 -listen` (cookie exchange first): a message each way, then close_notify.
package enum DTLSHandlerOpenSSL {
    /// Completes with the first message the handler passes up (one `channelRead`), or fails with the first error.
    final class FirstMessage: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<String>

        init(_ promise: EventLoopPromise<String>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(String(buffer: unwrapInboundIn(data)))
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { promise.fail(error) }
        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(JSecError(.closed, "the channel closed before a message arrived", code: .jsec(.closed)))
            context.fireChannelInactive()
        }
    }

    package static func againstSServer() async throws {
        let (server, port) = try await DTLSOpenSSLPeers.sServer(["-listen"])
        defer { server.stop() }
        let context = try DTLS.context(DTLSOpenSSLPeers.pki.clientConfiguration())
        let group = MultiThreadedEventLoopGroup.singleton
        let received = group.any().makePromise(of: String.self)
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DTLSClientHandler(context: context, serverName: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(FirstMessage(received))
                }
            }
            .connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).get()
        defer { channel.close(promise: nil) }
        // Written at once: held by the handler until the handshake completes, then sent as one record.
        try await channel.writeAndFlush(ByteBuffer(string: "hello from DTLSClientHandler\n")).get()
        _ = try await server.waitFor("hello from DTLSClientHandler")
        let info = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: DTLSClientHandler.self).info
        }.get()
        try checkEqual(info?.version, .dtls1_2, "the handler's negotiated version")
        server.send("hello from s_server\n")
        try checkEqual(try await received.futureResult.get(), "hello from s_server\n", "the one message s_server sent, as one channelRead")
        try await channel.close().get()
        _ = try await server.waitFor("shutting down SSL|DONE")  // s_server saw our close_notify
    }
}
