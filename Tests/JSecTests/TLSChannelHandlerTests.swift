#if canImport(Glibc)
    import Glibc
#endif
import JSec
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

/// The public handlers (`TLSClientHandler`, `TLSServerHandler`) as a NIO user sees them — `import JSec`, no
/// `@testable` —, on two EmbeddedChannels: the handshake event, the connection facet, errors through errorCaught
/// as `JSecError` (each once), close_notify on close, and what the initializers refuse.
@Suite struct TLSChannelHandlerTests {
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func handshakeFiresTheTLSUserEventAndSetsTheConnection(_ version: TLSVersion) throws {
        var client = PKI.clientConfiguration(version)
        client.applicationProtocols = ["h2", "http/1.1"]
        var server = PKI.serverConfiguration(version)
        server.applicationProtocols = ["http/1.1"]
        let pair = try HandlerPair(client: client, server: server)
        defer { pair.finish() }
        let early = pair.client.channel.writeAndFlush(ByteBuffer(string: "before the handshake"))
        try pair.connect()
        for side in [pair.client, pair.server] {
            #expect(side.events.userEvents == [.handshakeCompleted(negotiatedProtocol: "http/1.1")])
            let connection = try #require(side.handler.connection)
            #expect(connection.version == .tls(version))
            #expect(connection.alpn == "http/1.1")
            #expect(side.events.errors.isEmpty, "\(side.events.errors)")
        }
        #expect(pair.client.handler.connection?.info.peerCertificates.first?.commonName == "localhost")
        #expect(pair.server.events.text == "before the handshake", "a write made before the handshake is sent after it")
        #expect(early.completedResult.map { (try? $0.get()) != nil } == true)
        pair.server.channel.writeAndFlush(ByteBuffer(string: "and back"), promise: nil)
        try pair.pump()
        #expect(pair.client.events.text == "and back")
    }

    /// NIO's own ALPN handler (what an HTTP/2-or-HTTP/1.1 server puts above swift-nio-ssl's handler) works above ours:
    /// it hears the handshake event, reports the protocol and leaves the pipeline.
    @Test func niosApplicationProtocolNegotiationHandlerWorksAboveIt() throws {
        var client = PKI.clientConfiguration()
        client.applicationProtocols = ["h2", "http/1.1"]
        var server = PKI.serverConfiguration()
        server.applicationProtocols = ["h2", "http/1.1"]
        let pair = try HandlerPair(client: client, server: server)
        defer { pair.finish() }
        var chosen: ALPNResult?
        let negotiation = ApplicationProtocolNegotiationHandler { result, channel in
            chosen = result
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        try pair.server.channel.pipeline.syncOperations.addHandler(negotiation, position: .after(pair.server.handler))
        try pair.connect()
        #expect(chosen == .negotiated("h2"))
        #expect(throws: (any Error).self, "it removed itself once the protocol was chosen") {
            try pair.server.channel.pipeline.syncOperations.handler(type: ApplicationProtocolNegotiationHandler.self)
        }
    }

    @Test func theHandlerIsFoundByItsTypeAndByTheSharedClass() throws {
        let pair = try HandlerPair()
        defer { pair.finish() }
        try pair.connect()
        let server = try pair.server.channel.pipeline.syncOperations.handler(type: TLSServerHandler.self)
        #expect(server === pair.server.handler)
        let either = try pair.client.channel.pipeline.syncOperations.handler(type: TLSChannelHandler.self)
        #expect(either === pair.client.handler)
        #expect(either.connection?.cipher.isEmpty == false)
    }

    @Test func aVerificationFailureReachesErrorCaughtOnceOnEachSide() throws {
        let other = try CertificateAuthority.createRoot(commonName: "Unrelated Root")
        let pair = try HandlerPair(client: .client(trustRoots: .certificates([other.certificate])))
        defer { pair.finish() }
        try pair.connect()
        #expect(
            pair.client.events.jsecErrors == [JSecError(.verification, "", code: .certificate(.unableToGetLocalIssuerCertificate))],
            "\(pair.client.events.errors)")
        #expect(
            pair.server.events.jsecErrors == [JSecError(.verification, "", code: .alertReceived(.unknownCA))],
            "the server hears the client's alert: \(pair.server.events.errors)")
        #expect(pair.client.events.userEvents.isEmpty && pair.client.handler.connection == nil)
        #expect(!pair.client.channel.isActive && !pair.server.channel.isActive, "both channels are closed")
    }

    @Test func theHandshakeTimeoutReachesErrorCaught() throws {
        var client = PKI.clientConfiguration()
        client.handshakeTimeout = .seconds(2)
        let pair = try HandlerPair(client: client)
        defer { pair.finish() }
        try pair.client.activate()
        pair.loop.advanceTime(by: .seconds(2))
        #expect(pair.client.events.jsecErrors == [JSecError(.timeout, "", code: .jsec(.handshakeTimeout))], "\(pair.client.events.errors)")
        #expect(!pair.client.channel.isActive)
    }

    @Test func theConnectionClosingDuringTheHandshakeReachesErrorCaughtBeforeInactive() throws {
        let pair = try HandlerPair()
        defer { pair.finish() }
        try pair.client.activate()
        pair.client.channel.pipeline.fireChannelInactive()
        #expect(pair.client.events.jsecErrors == [JSecError(.handshake, "", code: .jsec(.closedDuringHandshake))])
        #expect(pair.client.events.log == ["error", "inactive"], "\(pair.client.events.log)")
    }

    @Test func aTransportErrorIsPassedOnAsAJSecErrorOnce() throws {
        let pair = try HandlerPair()
        defer { pair.finish() }
        try pair.connect()
        pair.server.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)"))
        #expect(pair.server.events.jsecErrors == [JSecError(.io, "", code: .errno(ECONNRESET))], "\(pair.server.events.errors)")
        #expect(pair.server.events.jsecErrors.first?.message == "TLS connection: connection reset by peer (ECONNRESET)")
    }

    @Test func closingDuringTheHandshakeIsNotAnError() throws {
        let pair = try HandlerPair()
        defer { pair.finish() }
        try pair.client.activate()
        try pair.client.channel.close().wait()
        #expect(pair.client.events.errors.isEmpty, "the application's own close: \(pair.client.events.errors)")
    }

    @Test func closeSendsCloseNotifyAndThePeerSeesACleanEnd() throws {
        let pair = try HandlerPair()
        defer { pair.finish() }
        try pair.connect()
        try pair.client.channel.close().wait()
        try pair.pump()
        #expect(pair.server.events.log.last == "inputClosed", "close_notify reaches the server as end of input: \(pair.server.events.log)")
        #expect(pair.server.handler.connection?.peerClosure == .closeNotify)
        #expect(pair.server.events.errors.isEmpty)
    }

    @Test func theInitializersRefuseWhatCannotWork() throws {
        let datagram = try DTLS.context(PKI.clientConfiguration())
        #expect(throws: JSecError.self) { try TLSClientHandler(context: datagram, serverName: "localhost") }
        #expect(
            performing: { try TLSServerHandler(context: TLSContext(PKI.clientConfiguration())) },
            throws: { error in
                (error as? JSecError)?.category == .configuration
            })
        #expect(
            performing: { try TLSClientHandler(context: TLSContext(PKI.clientConfiguration()), serverName: nil) },
            throws: { error in
                (error as? JSecError)?.category == .configuration  // full verification needs a name
            })
    }
}

/// What reaches the application's handler above a public TLS handler, in order.
final class ApplicationRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received = ByteBuffer()
    /// Each `channelRead`'s bytes (for DTLS: one message each).
    var messages: [String] = []
    var userEvents: [TLSUserEvent] = []
    var errors: [any Error] = []
    /// "read", "tls-event", "inputClosed", "error", "inactive", in order.
    var log: [String] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        messages.append(String(buffer: b))
        received.writeBuffer(&b)
        log.append("read")
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent {
            userEvents.append(e)
            log.append("tls-event")
        } else if let e = event as? ChannelEvent, e == .inputClosed {
            log.append("inputClosed")
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        errors.append(error)
        log.append("error")
    }
    func channelInactive(context: ChannelHandlerContext) { log.append("inactive") }

    var text: String { String(buffer: received) }
    var jsecErrors: [JSecError] { errors.compactMap { $0 as? JSecError } }
}

/// One side: an EmbeddedChannel with a public TLS handler and an ``ApplicationRecorder`` above it.
final class HandlerSide {
    let channel: EmbeddedChannel
    let handler: TLSChannelHandler
    let events = ApplicationRecorder()

    init(_ handler: TLSChannelHandler, loop: EmbeddedEventLoop) throws {
        channel = EmbeddedChannel(loop: loop)
        self.handler = handler
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(events)
    }

    func activate() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
    }
}

/// A client and a server public handler on two EmbeddedChannels sharing one loop; ``pump()`` moves the ciphertext.
final class HandlerPair {
    let loop = EmbeddedEventLoop()
    let client: HandlerSide
    let server: HandlerSide

    init(client: TLSConfiguration = PKI.clientConfiguration(), server: TLSConfiguration = PKI.serverConfiguration()) throws {
        self.client = try HandlerSide(TLSClientHandler(context: TLSContext(client), serverName: "localhost"), loop: loop)
        self.server = try HandlerSide(TLSServerHandler(context: TLSContext(server)), loop: loop)
    }

    /// Activates both channels and moves bytes until quiet.
    func connect() throws {
        try server.activate()
        try client.activate()
        try pump()
    }

    func pump() throws {
        for _ in 0..<100 {
            var moved = false
            for (from, to) in [(client, server), (server, client)] {
                while let b = try from.channel.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    do { try to.channel.writeInbound(b) } catch ChannelError.ioOnClosedChannel {}
                }
            }
            loop.run()
            if !moved { return }
        }
        Issue.record("pump: still moving bytes after 100 rounds")
    }

    func finish() {
        _ = try? client.channel.finish(acceptAlreadyClosed: true)
        _ = try? server.channel.finish(acceptAlreadyClosed: true)
    }
}
