import Foundation
import JSec
import NIOCore
import NIOPosix
import NIOTLS

/// `--api async-channel`: the echo server and client on SwiftNIO's `NIOAsyncChannel`, with JSec's public TLS
/// handlers (`TLSServerHandler`, `TLSClientHandler`) in the pipeline instead of `NetStream`'s bridge. The same
/// engine, the same pins; only the way between a task and the channel differs. tools/compare-peers runs it as
/// the stack `jsec-async`, beside `jsec`, so the bridge is measured against the API NIO offers for the same job
/// (docs/performance.md, "The stream bridge": `NIOAsyncChannel`, measured).
enum PeerAsyncChannel {
    typealias Bytes = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Echoes every connection until killed; prints `{"listening":PORT}` first.
    static func serve(host: String, port: Int, tls: TLSContext?, group: any EventLoopGroup) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(TLSServerHandler(context: tls)) }
                    return try Bytes(wrappingChannelSynchronously: channel)
                }
            }
        struct Listening: Encodable { let listening: Int }
        try emitJSON(Listening(listening: server.channel.localAddress?.port ?? 0))
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { tasks in
                for try await connection in connections {
                    tasks.addTask {
                        // One buffer in, the same buffer out: no copy, as the NetStream server does.
                        try? await connection.executeThenClose { inbound, outbound in
                            for try await buffer in inbound { try await outbound.write(buffer) }
                        }
                    }
                }
            }
        }
    }

    /// Opens `clients` connections (TLS handshakes complete before the clock starts) and echoes `chunk`-byte
    /// messages on each until `duration` ends.
    static func echo(
        host: String, port: Int, tls: TLSContext?, serverName: String, clients: Int, chunk: Int, duration: Double,
        group: any EventLoopGroup
    ) async throws -> PeerEcho.Result {
        var channels: [Bytes] = []
        var cipher: String?
        var errors = 0
        for _ in 0..<clients {
            do {
                let handshake = group.any().makePromise(of: String?.self)
                let channel = try await ClientBootstrap(group: group)
                    .connectTimeout(.seconds(30))
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                let pipeline = channel.pipeline.syncOperations
                                try pipeline.addHandler(TLSClientHandler(context: tls, serverName: serverName))
                                try pipeline.addHandler(HandshakeWatcher(done: handshake))
                            } else {
                                handshake.succeed(nil)
                            }
                            return try Bytes(wrappingChannelSynchronously: channel)
                        }
                    }
                cipher = try await handshake.futureResult.get()
                channels.append(channel)
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("connect: \(error)\n".utf8))
            }
        }
        let (results, seconds) = await PeerEcho.measure(channels, duration: duration) { channel, deadline in
            let payload = ByteBuffer(repeating: 0x5A, count: chunk)
            var bytes = 0, iterations = 0
            do {
                try await channel.executeThenClose { inbound, outbound in
                    var received = inbound.makeAsyncIterator()
                    while ContinuousClock.now < deadline {
                        try await outbound.write(payload)
                        bytes += chunk
                        var back = 0
                        while back < chunk {
                            guard let part = try await received.next() else {
                                throw JSecError(.closed, "server closed the connection", code: .jsec(.closed))
                            }
                            back += part.readableBytes
                        }
                        bytes += back
                        iterations += 1
                    }
                }
            } catch {
                return PeerEcho.Tally(bytes: bytes, iterations: iterations, failed: true)
            }
            return PeerEcho.Tally(bytes: bytes, iterations: iterations, failed: false)
        }
        return PeerEcho.Result(
            transport: tls == nil ? "tcp" : "tls1.3", clients: clients, chunk: chunk, duration: duration,
            seconds: seconds, bytes: results.reduce(0) { $0 + $1.bytes },
            iterations: results.reduce(0) { $0 + $1.iterations }, connected: channels.count,
            errors: errors + results.filter(\.failed).count, perClientBytes: results.map(\.bytes),
            cipher: cipher)
    }
}

/// Completes `done` with the negotiated cipher when the TLS handshake does (NIOTLS's `TLSUserEvent`, which
/// `TLSClientHandler` sends up), or fails it when the channel errs or closes first.
private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let done: EventLoopPromise<String?>
    private var completed = false
    init(done: EventLoopPromise<String?>) { self.done = done }

    private func complete(_ result: Result<String?, any Error>) {
        guard !completed else { return }
        completed = true
        done.completeWith(result)
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSUserEvent {
            let tls = try? context.pipeline.syncOperations.handler(type: TLSChannelHandler.self)
            complete(.success(tls?.connection?.info.cipher))
        }
        context.fireUserInboundEventTriggered(event)
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.fireErrorCaught(error)
    }
    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(JSecError(.closed, "closed before the handshake completed", code: .jsec(.closedDuringHandshake))))
        context.fireChannelInactive()
    }
}
