import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The echo load: `clients` connections each write `chunk` bytes and read them back until
/// `duration` ends. All connect (and handshake) first; the clock starts when all are ready.
struct Echo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Echo load client; prints one JSON line.")
    @OptionGroup var common: CommonOptions
    @Option(help: "CA / pinned server certificate (PEM).") var ca: String?
    @Option(help: "Server name to verify.") var serverName = "localhost"
    @Option(help: "Concurrent clients.") var clients = 1
    @Option(help: "Bytes per write.") var chunk = 65_536
    @Option(help: "Seconds.") var duration = 5.0

    struct Result: Encodable {
        let stack = "nio-ssl", workload = "echo"
        let transport: String, clients: Int, chunk: Int, duration: Double
        let seconds: Double, bytes: Int, iterations: Int, connected: Int, errors: Int
        let perClientBytes: [Int]
    }

    func run() async throws {
        raiseFileLimit()
        let sslContext: NIOSSLContext? = try common.isTLS ? PeerTLS.client(ca: ca ?? "") : nil
        let group = MultiThreadedEventLoopGroup(numberOfThreads: common.threads)
        var channels: [(Channel, EventLoopFuture<EchoLoadHandler.Totals>)] = []
        var errors = 0
        for _ in 0..<clients {
            let loop = group.next()
            let ready = loop.makePromise(of: Void.self)
            let done = loop.makePromise(of: EchoLoadHandler.Totals.self)
            let chunk = self.chunk, serverName = self.serverName
            do {
                let ch = try await ClientBootstrap(group: loop)
                    .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let sslContext {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                            }
                            try channel.pipeline.syncOperations.addHandler(
                                EchoLoadHandler(chunk: chunk, tls: sslContext != nil, ready: ready, done: done))
                        }
                    }
                    .connect(host: common.host, port: common.port).get()
                try await ready.futureResult.get()
                channels.append((ch, done.futureResult))
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            }
        }
        let start = NIODeadline.now()
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        for (ch, _) in channels { ch.pipeline.fireUserInboundEventTriggered(EchoLoadHandler.Start(deadline: deadline)) }
        var perClient: [Int] = []
        var iterations = 0
        for (_, done) in channels {
            do {
                let t = try await done.get()
                perClient.append(t.bytes)
                iterations += t.iterations
            } catch {
                errors += 1
                perClient.append(0)
            }
        }
        let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        try? await group.shutdownGracefully()
        try emitJSON(
            Result(
                transport: common.isTLS ? "tls1.3" : "tcp", clients: clients, chunk: chunk, duration: duration,
                seconds: seconds, bytes: perClient.reduce(0, +), iterations: iterations,
                connected: channels.count, errors: errors, perClientBytes: perClient))
    }
}

/// One echo client connection: lock-step write `chunk`, read `chunk` back, until the deadline.
final class EchoLoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    struct Start: Sendable { let deadline: NIODeadline }
    struct Totals: Sendable { var bytes = 0, iterations = 0 }

    private let chunk: Int, tls: Bool
    private let ready: EventLoopPromise<Void>, done: EventLoopPromise<Totals>
    private var payload: ByteBuffer?
    private var deadline = NIODeadline.distantFuture
    private var pending = 0
    private var totals = Totals()
    private var finished = false
    private var isReady = false

    init(chunk: Int, tls: Bool, ready: EventLoopPromise<Void>, done: EventLoopPromise<Totals>) {
        self.chunk = chunk; self.tls = tls; self.ready = ready; self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        payload = context.channel.allocator.buffer(repeating: 0x5A, count: chunk)
        if !tls { markReady(nil) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let start = event as? Start {
            deadline = start.deadline
            send(context)
        } else if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            markReady(nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Completes `ready` once: success, or the error that came first.
    private func markReady(_ error: (any Error)?) {
        guard !isReady else { return }
        isReady = true
        if let error { ready.fail(error) } else { ready.succeed() }
    }

    private func send(_ context: ChannelHandlerContext) {
        guard let payload else { return }
        pending = chunk
        totals.bytes += chunk
        context.writeAndFlush(wrapOutboundOut(payload), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let n = unwrapInboundIn(data).readableBytes
        totals.bytes += n
        pending -= n
        if pending <= 0 {
            totals.iterations += 1
            if NIODeadline.now() < deadline { send(context) } else { finish(context) }
        }
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.succeed(totals)
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        markReady(error)
        if !finished { finished = true; done.fail(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        struct Closed: Error {}
        markReady(Closed())
        if !finished { finished = true; done.fail(Closed()) }
        context.fireChannelInactive()
    }
}
