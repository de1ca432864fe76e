import Foundation
import JSec
import NIOCore
import NIOPosix
import NIOTLS

/// `--api handlers`: the echo server and client as plain NIO channel handlers — no Swift task, no `NetStream`
/// bridge — with JSec's public TLS handlers (`TLSServerHandler`, `TLSClientHandler`) below them on TLS, and
/// nothing of JSec's on TCP. The same shape as the swift-nio-ssl peer (tools/peers/nio-ssl), NIO's channel
/// defaults included. tools/compare-peers runs it as the stack `jsec-handlers`: it measures what NIO's channel
/// costs (TCP) and NIO plus JSec's TLS handler (TLS), so that `jsec ÷ jsec-handlers` is the share the stream
/// bridge and its tasks take, and `jsec-handlers ÷ C` the share of NIO and the handler (docs/performance.md,
/// "What a round trip costs").
enum PeerHandlers {
    /// Echoes every connection until killed; prints `{"listening":PORT}` first.
    static func serve(host: String, port: Int, tls: TLSContext?, group: any EventLoopGroup) async throws {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(TLSServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(EchoBack())
                }
            }
            .bind(host: host, port: port).get()
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: channel.localAddress?.port ?? 0))
        try await channel.closeFuture.get()
    }

    /// Opens `clients` connections (TLS handshakes complete before the clock starts), then runs the lock-step echo
    /// on each in its handler until `duration` ends.
    static func echo(
        host: String, port: Int, tls: TLSContext?, serverName: String, clients: Int, chunk: Int, duration: Double,
        group: any EventLoopGroup
    ) async throws -> PeerEcho.Result {
        var channels: [(any Channel, EventLoopFuture<EchoLoad.Totals>)] = []
        var cipher: String?
        var errors = 0
        for _ in 0..<clients {
            let loop = group.next()
            let ready = loop.makePromise(of: String?.self)
            let done = loop.makePromise(of: EchoLoad.Totals.self)
            do {
                let channel = try await ClientBootstrap(group: loop)
                    .connectTimeout(.seconds(30))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                try channel.pipeline.syncOperations.addHandler(TLSClientHandler(context: tls, serverName: serverName))
                            }
                            try channel.pipeline.syncOperations.addHandler(EchoLoad(chunk: chunk, tls: tls != nil, ready: ready, done: done))
                        }
                    }
                    .connect(host: host, port: port).get()
                cipher = try await ready.futureResult.get()
                channels.append((channel, done.futureResult))
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            }
        }
        let start = NIODeadline.now()
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        for (channel, _) in channels { channel.pipeline.fireUserInboundEventTriggered(EchoLoad.Start(deadline: deadline)) }
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
        return PeerEcho.Result(
            transport: tls == nil ? "tcp" : "tls1.3", clients: clients, chunk: chunk, duration: duration,
            seconds: seconds, bytes: perClient.reduce(0, +), iterations: iterations, connected: channels.count,
            errors: errors, perClientBytes: perClient, cipher: cipher)
    }
}

/// Writes back what it reads; flushes once per read batch (as the swift-nio-ssl peer's server does).
private final class EchoBack: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

/// One echo client connection: write `chunk` bytes, read `chunk` bytes back, until the deadline. `ready` completes
/// with the cipher when the connection can start (TCP: at once; TLS: when `TLSClientHandler` reports the handshake).
private final class EchoLoad: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    struct Start: Sendable { let deadline: NIODeadline }
    struct Totals: Sendable { var bytes = 0, iterations = 0 }

    private let chunk: Int, tls: Bool
    private let ready: EventLoopPromise<String?>, done: EventLoopPromise<Totals>
    private var payload: ByteBuffer?
    private var deadline = NIODeadline.distantFuture
    private var pending = 0
    private var totals = Totals()
    private var finished = false, isReady = false

    init(chunk: Int, tls: Bool, ready: EventLoopPromise<String?>, done: EventLoopPromise<Totals>) {
        self.chunk = chunk
        self.tls = tls
        self.ready = ready
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        payload = context.channel.allocator.buffer(repeating: 0x5A, count: chunk)
        if !tls { markReady(.success(nil)) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let start = event as? Start {
            deadline = start.deadline
            send(context)
        } else if event is TLSUserEvent {
            let handler = try? context.pipeline.syncOperations.handler(type: TLSChannelHandler.self)
            markReady(.success(handler?.connection?.info.cipher))
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func markReady(_ result: Result<String?, any Error>) {
        guard !isReady else { return }
        isReady = true
        ready.completeWith(result)
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
        markReady(.failure(error))
        if !finished {
            finished = true
            done.fail(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let closed = JSecError(.closed, "the connection closed before the echo ended", code: .jsec(.closed))
        markReady(.failure(closed))
        if !finished {
            finished = true
            done.fail(closed)
        }
        context.fireChannelInactive()
    }
}
