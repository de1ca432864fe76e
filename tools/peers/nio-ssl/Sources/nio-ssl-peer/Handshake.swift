import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Full handshakes per second: `clients` workers each loop connect → TLS 1.3 handshake (server
/// verified) → 1-byte echo → close until `duration` ends. Latency = connect start → echoed byte.
/// swift-nio-ssl has no client session API, so `--mode resumed` is refused (the driver records n/a).
struct Handshake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Handshake client; prints one JSON line.")
    @OptionGroup var common: CommonOptions
    @Option(help: "CA / pinned server certificate (PEM).") var ca: String
    @Option(help: "Server name to verify.") var serverName = "localhost"
    @Option(help: "Concurrent clients.") var clients = 1
    @Option(help: "Seconds.") var duration = 5.0
    @Option(help: "full (resumed is not supported by swift-nio-ssl).") var mode = "full"

    struct Result: Encodable {
        let stack = "nio-ssl", workload = "handshake"
        let mode: String, clients: Int, duration: Double, seconds: Double
        let handshakes: Int, resumed: Int, errors: Int
        let latenciesUs: [Int]
    }

    func validate() throws {
        guard mode == "full" else { throw ValidationError("swift-nio-ssl exposes no client session resumption; only --mode full") }
    }

    func run() async throws {
        raiseFileLimit()
        let sslContext = try PeerTLS.client(ca: ca)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: common.threads)
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        let host = common.host, port = common.port, serverName = self.serverName
        let results = await withTaskGroup(of: ([Int], Int).self) { tasks in
            for _ in 0..<clients {
                tasks.addTask {
                    var latencies: [Int] = [], errors = 0
                    while ContinuousClock.now < deadline {
                        let t0 = ContinuousClock.now
                        do {
                            try await oneHandshake(group: group, context: sslContext, host: host, port: port, serverName: serverName)
                            let d = ContinuousClock.now - t0
                            latencies.append(Int(d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000))
                        } catch {
                            errors += 1
                            if errors > 1000 { break }
                        }
                    }
                    return (latencies, errors)
                }
            }
            var all: [([Int], Int)] = []
            for await r in tasks { all.append(r) }
            return all
        }
        let elapsed = ContinuousClock.now - start
        try? await group.shutdownGracefully()
        let latencies = results.flatMap(\.0)
        try emitJSON(
            Result(
                mode: mode, clients: clients, duration: duration,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                handshakes: latencies.count, resumed: 0, errors: results.reduce(0) { $0 + $1.1 },
                latenciesUs: latencies))
    }
}

func oneHandshake(group: MultiThreadedEventLoopGroup, context: NIOSSLContext, host: String, port: Int, serverName: String) async throws {
    let loop = group.next()
    let echoed = loop.makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: loop)
        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(10))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                try channel.pipeline.syncOperations.addHandler(OneByteEchoHandler(echoed: echoed))
            }
        }
        .connect(host: host, port: port).get()
    defer { channel.close(promise: nil) }
    try await echoed.futureResult.get()
}

/// After the handshake, sends one byte and fulfils `echoed` when it comes back.
final class OneByteEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let echoed: EventLoopPromise<Void>
    private var completed = false
    init(echoed: EventLoopPromise<Void>) { self.echoed = echoed }

    private func complete(_ error: (any Error)?) {
        guard !completed else { return }
        completed = true
        if let error { echoed.fail(error) } else { echoed.succeed() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(integer: UInt8(0x5A))), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { complete(nil) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        struct Closed: Error {}
        complete(Closed())
        context.fireChannelInactive()
    }
}
