import Foundation
import Assay
import JSec
import NIOCore
import NIOPosix
import Synchronization

/// A DTLS echo server for tests: every accepted connection echoes each message back until the peer closes.
package final class DTLSEchoServer: Sendable {
    package let server: DTLSServer
    private let acceptor: Task<Void, Never>

    package init(
        host: String = "127.0.0.1", configuration: TLSConfiguration = TestPKI.shared.serverConfiguration(),
        options: DTLSOptions = DTLSOptions()
    ) async throws {
        server = try await DTLS.listen(host: host, port: 0, context: DTLS.context(configuration), options: options)
        let s = server
        acceptor = Task {
            await withTaskGroup(of: Void.self) { group in
                while let c = try? await s.accept() {
                    group.addTask {
                        while let m = try? await c.read() { try? await c.write(m) }
                        await c.close()
                    }
                }
                group.cancelAll()
            }
        }
    }

    package var port: Int { server.port ?? 0 }

    package func close() async {
        await server.close()
        acceptor.cancel()
        _ = await acceptor.value
    }
}

/// A UDP relay between clients and one server that drops a share of datagrams in each direction,
/// decided by a seeded generator (reproducible runs). Each client gets its own upstream socket.
package final class LossyUDPRelay: Sendable {
    package let port: Int
    private let front: Channel
    private let target: SocketAddress
    private let state: SharedLock<RelayState>

    struct RelayState {
        var rng: SeededGenerator
        var upstream: [SocketAddress: Channel] = [:]
        var forwarded = 0
        var dropped = 0
        /// Dropped datagrams that carried a handshake record (content type 22): a flight DTLS must retransmit.
        var droppedHandshake = 0
        /// The largest datagram seen (either direction).
        var largest = 0
        /// Client-to-server datagrams passed on, in order, with their client.
        var sent: [(client: SocketAddress, data: ByteBuffer)] = []
    }

    package init(to target: SocketAddress, dropRate: Double, seed: UInt64, host: String = "127.0.0.1") async throws {
        let state = SharedLock(RelayState(rng: SeededGenerator(seed: seed)))
        self.state = state
        self.target = target
        let group = MultiThreadedEventLoopGroup.singleton
        let frontPromise = group.next().makePromise(of: Channel.self)
        front = try await DatagramBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(
                        RelayFrontHandler(
                            target: target, dropRate: dropRate, state: state,
                            front: frontPromise.futureResult))
                }
            }
            .bind(host: host, port: 0).get()
        frontPromise.succeed(front)
        port = front.localAddress?.port ?? 0
    }

    /// Datagrams passed on and dropped so far (both directions).
    package var largestDatagram: Int { state.withLock { $0.largest } }

    /// The payloads of the client-to-server datagrams passed on so far.
    package var sentToServer: [[UInt8]] { state.withLock { $0.sent.map { Array($0.data.readableBytesView) } } }

    /// Sends the `index`th client-to-server datagram again, from the same relay socket (a replay the server
    /// cannot tell from the client's own datagrams).
    package func replay(_ index: Int) async throws {
        let (client, data, upstream): (SocketAddress, ByteBuffer, Channel?) = state.withLock { s in
            let e = s.sent[index]
            return (e.client, e.data, s.upstream[e.client])
        }
        _ = client
        guard let upstream else { throw CheckFailure(message: "no upstream socket to replay from", file: #fileID, line: #line) }
        try await upstream.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: data)).get()
    }

    package var counts: (forwarded: Int, dropped: Int, droppedHandshake: Int) {
        state.withLock { ($0.forwarded, $0.dropped, $0.droppedHandshake) }
    }

    package func close() async {
        let ups = state.withLock { s in Array(s.upstream.values) }
        for u in ups { try? await u.close().get() }
        try? await front.close().get()
    }

    static func shouldDrop(_ state: SharedLock<RelayState>, _ rate: Double, _ datagram: ByteBuffer) -> Bool {
        let handshake = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self) == 22
        return state.withLock { s in
            let drop = Double(s.rng.next() >> 11) / Double(1 << 53) < rate
            if drop { s.dropped += 1 } else { s.forwarded += 1 }
            if drop && handshake { s.droppedHandshake += 1 }
            s.largest = max(s.largest, datagram.readableBytes)
            return drop
        }
    }
}

private final class RelayFrontHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let target: SocketAddress
    let dropRate: Double
    let state: SharedLock<LossyUDPRelay.RelayState>
    let front: EventLoopFuture<Channel>

    init(target: SocketAddress, dropRate: Double, state: SharedLock<LossyUDPRelay.RelayState>, front: EventLoopFuture<Channel>) {
        self.target = target
        self.dropRate = dropRate
        self.state = state
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        if LossyUDPRelay.shouldDrop(state, dropRate, envelope.data) { return }
        let existing = state.withLock { s in
            s.sent.append((client, envelope.data))
            return s.upstream[client]
        }
        if let up = existing {
            up.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: envelope.data), promise: nil)
            return
        }
        let target = self.target, state = self.state, rate = self.dropRate, front = self.front
        DatagramBootstrap(group: context.eventLoop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(RelayBackHandler(client: client, dropRate: rate, state: state, front: front))
                }
            }
            .bind(host: target.protocol == .inet6 ? "::1" : "127.0.0.1", port: 0)
            .whenSuccess { up in
                state.withLock { $0.upstream[client] = up }
                up.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: envelope.data), promise: nil)
            }
    }
}

private final class RelayBackHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let client: SocketAddress
    let dropRate: Double
    let state: SharedLock<LossyUDPRelay.RelayState>
    let front: EventLoopFuture<Channel>

    init(client: SocketAddress, dropRate: Double, state: SharedLock<LossyUDPRelay.RelayState>, front: EventLoopFuture<Channel>) {
        self.client = client
        self.dropRate = dropRate
        self.state = state
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if LossyUDPRelay.shouldDrop(state, dropRate, envelope.data) { return }
        let client = self.client
        front.whenSuccess { $0.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: envelope.data), promise: nil) }
    }
}

/// A plain UDP socket for tests that speak raw datagrams (spoofed ClientHellos, silent servers).
package final class RawUDPSocket: Sendable {
    package let channel: Channel
    private let received: SharedLock<[(SocketAddress, [UInt8])]>

    package init(host: String = "127.0.0.1") async throws {
        let received = SharedLock<[(SocketAddress, [UInt8])]>([])
        self.received = received
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(RawCollector(received: received)) }
            }
            .bind(host: host, port: 0).get()
    }

    package var port: Int { channel.localAddress?.port ?? 0 }
    package var address: SocketAddress { channel.localAddress! }

    package func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes))).get()
    }

    /// Datagrams received so far.
    package var datagrams: [(from: SocketAddress, bytes: [UInt8])] { received.withLock { $0.map { (from: $0.0, bytes: $0.1) } } }

    /// Waits until at least `count` datagrams arrived (or `timeout` passed) and returns them.
    package func waitFor(_ count: Int, timeout: Duration = .seconds(5)) async -> [(from: SocketAddress, bytes: [UInt8])] {
        let deadline = ContinuousClock.now + timeout
        while datagrams.count < count && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return datagrams
    }

    package func close() async { try? await channel.close().get() }
}

private final class RawCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let received: SharedLock<[(SocketAddress, [UInt8])]>
    init(received: SharedLock<[(SocketAddress, [UInt8])]>) { self.received = received }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let e = unwrapInboundIn(data)
        received.withLock { $0.append((e.remoteAddress, Array(e.data.readableBytesView))) }
    }
}

/// A value behind a lock that can be shared by reference (Mutex itself cannot be copied).
package final class SharedLock<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    package init(_ value: Value) { mutex = Mutex(value) }
    package func withLock<R: Sendable>(_ body: (inout sending Value) throws -> sending R) rethrows -> R { try mutex.withLock(body) }
}
