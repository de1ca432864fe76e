import Foundation
import JSecCrypto
import NIOCore
import NIOEmbedded
import Testing
@testable import JSec

/// A private PKI for the handler tests (built once per process).
enum PKI {
    static let root = try! CertificateAuthority.createRoot(commonName: "JSecTests Root")
    static let server = try! root.issue(CertificateRequest(commonName: "localhost", dnsNames: ["localhost"], usage: .server))
    static let client = try! root.issue(CertificateRequest(commonName: "jsec-client", usage: .client))

    static func serverConfiguration(_ version: TLSVersion? = nil) -> TLSConfiguration {
        var c = TLSConfiguration.server(server, trustRoots: .certificates([root.certificate]))
        if let version { c.minimumVersion = version; c.maximumVersion = version }
        return c
    }

    static func clientConfiguration(_ version: TLSVersion? = nil) -> TLSConfiguration {
        var c = TLSConfiguration.client(trustRoots: .certificates([root.certificate]))
        if let version { c.minimumVersion = version; c.maximumVersion = version }
        return c
    }
}

/// Sits at the head of a pipeline (nearest the "socket"): counts `read()` calls and records close modes;
/// a half-close (`.output`) is recorded and succeeded here, since EmbeddedChannel would close fully.
final class TransportProbe: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    var closes: [CloseMode] = []
    /// When set, writes are held here with their promises, as NIO holds them while a socket's send
    /// buffer is full; ``releaseWrites()`` lets them through. A full close fails what is still held,
    /// as NIO's `BaseSocketChannel.close0` does.
    var holdWrites = false
    private(set) var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    /// What reached the transport, in order: "write" and "close(mode)".
    private(set) var log: [String] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard holdWrites else {
            log.append("write")
            context.write(data, promise: promise)
            return
        }
        held.append((data, promise))
    }

    func releaseWrites(context: ChannelHandlerContext) {
        holdWrites = false
        let writes = held
        held = []
        for (data, promise) in writes {
            log.append("write")
            context.writeAndFlush(data, promise: promise)
        }
    }

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closes.append(mode)
        log.append("close(\(mode))")
        if mode == .all {
            let writes = held
            held = []
            for (_, p) in writes { p?.fail(ChannelError.ioOnClosedChannel) }
        }
        if mode == .output { promise?.succeed(); return }
        context.close(mode: mode, promise: promise)
    }
}

/// Records what reaches the tail of a pipeline above the handler under test.
final class InboundRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received = ByteBuffer()
    /// The capacity of each buffer that arrived (what holding it costs).
    var capacities: [Int] = []
    var events: [String] = []
    var errors: [any Error] = []
    var inactive = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        capacities.append(b.capacity)
        received.writeBuffer(&b)
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed { events.append("inputClosed") } else { events.append("\(event)") }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { errors.append(error) }
    func channelInactive(context: ChannelHandlerContext) { inactive = true }

    var text: String { String(buffer: received) }
}

/// One side of an in-memory TLS connection: an EmbeddedChannel with probe → TLSHandler → recorder.
final class TLSSide {
    let channel: EmbeddedChannel
    let handler: TLSHandler
    let probe = TransportProbe()
    let recorder = InboundRecorder()
    private(set) var handshake: Result<TLSConnection, any Error>?

    init(_ role: TLSEngine.Role, configuration: TLSConfiguration, loop: EmbeddedEventLoop, serverName: String? = "localhost") throws {
        channel = EmbeddedChannel(loop: loop)
        handler = try TLSHandler(context: TLSContext(configuration), role: role, serverName: role == .client ? serverName : nil)
        try channel.pipeline.syncOperations.addHandler(probe)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(recorder)
        handler.whenHandshakeCompletes { [unowned self] in self.handshake = $0 }
    }

    func activate() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
    }

    /// All ciphertext this side has written, concatenated (nil when none).
    func takeOutbound() throws -> ByteBuffer? {
        var out: ByteBuffer?
        while let b = try channel.readOutbound(as: ByteBuffer.self) {
            if out == nil { out = b } else { var b = b; out!.writeBuffer(&b) }
        }
        return out
    }

    @discardableResult
    func write(_ text: String) -> EventLoopFuture<Void> {
        channel.writeAndFlush(ByteBuffer(string: text))
    }

    var handshakeError: JSecError? {
        if case .failure(let e) = handshake { return e as? JSecError }
        return nil
    }
    var connected: Bool { if case .success = handshake { return true } else { return false } }
}

/// A client and a server ``TLSHandler`` on two EmbeddedChannels sharing one EmbeddedEventLoop;
/// ``pump()`` moves ciphertext between them until neither has anything to send. No sockets, no threads.
final class TLSPair {
    let loop = EmbeddedEventLoop()
    let client: TLSSide
    let server: TLSSide

    init(
        client clientConfiguration: TLSConfiguration = PKI.clientConfiguration(),
        server serverConfiguration: TLSConfiguration = PKI.serverConfiguration()
    ) throws {
        client = try TLSSide(.client, configuration: clientConfiguration, loop: loop)
        server = try TLSSide(.server, configuration: serverConfiguration, loop: loop)
    }

    /// Activates both channels and runs the handshake to completion.
    static func connected(_ version: TLSVersion? = nil, client: TLSConfiguration? = nil, server: TLSConfiguration? = nil) throws -> TLSPair {
        let pair = try TLSPair(client: client ?? PKI.clientConfiguration(version), server: server ?? PKI.serverConfiguration(version))
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        #expect(
            pair.client.connected && pair.server.connected,
            "handshake: \(String(describing: pair.client.handshake)) / \(String(describing: pair.server.handshake))")
        return pair
    }

    /// Moves ciphertext both ways until quiet (at most 100 rounds; a livelock is a failure, not a hang).
    func pump() throws {
        for _ in 0..<100 {
            var moved = false
            if let b = try client.takeOutbound() { try Self.deliver(b, to: server.channel); moved = true }
            if let b = try server.takeOutbound() { try Self.deliver(b, to: client.channel); moved = true }
            loop.run()
            if !moved { return }
        }
        Issue.record("pump: still moving bytes after 100 rounds")
    }

    /// Bytes for a channel that has closed meanwhile are dropped, as a socket would.
    private static func deliver(_ b: ByteBuffer, to channel: EmbeddedChannel) throws {
        do { try channel.writeInbound(b) } catch ChannelError.ioOnClosedChannel {}
    }

    func finish() {
        _ = try? client.channel.finish(acceptAlreadyClosed: true)
        _ = try? server.channel.finish(acceptAlreadyClosed: true)
    }
}

extension EventLoopFuture {
    /// The result of a future that must already be complete (EmbeddedEventLoop: everything runs inline).
    var completedResult: Result<Value, any Error>? {
        var r: Result<Value, any Error>?
        assumeIsolated().whenComplete { r = $0 }
        return r
    }
}

func jsecError(_ r: Result<some Any, any Error>?) -> JSecError? {
    if case .failure(let e) = r { return e as? JSecError }
    return nil
}
