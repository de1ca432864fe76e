import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Echo server; prints {\"listening\":PORT}.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Server certificate (PEM).") var cert: String?
    @Option(help: "Server private key (PEM).") var key: String?

    func run() async throws {
        raiseFileLimit()
        let sslContext: NIOSSLContext? = try common.isTLS ? PeerTLS.server(cert: need(cert, "--cert"), key: need(key, "--key")) : nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: common.threads)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: common.host, port: common.port).get()
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: channel.localAddress?.port ?? 0))
        try await channel.closeFuture.get()
    }

    private func need(_ v: String?, _ name: String) throws -> String {
        guard let v else { throw ValidationError("\(name) is required with --tls 1.3") }
        return v
    }
}

/// Writes back what it reads; flushes once per read batch.
final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
