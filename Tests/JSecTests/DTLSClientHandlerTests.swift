#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing
@testable import JSec  // the server side is the internal DTLSDriver (DTLSSide); the client is the public handler

/// The public `DTLSClientHandler` on a "connected" EmbeddedChannel against a server association (DTLSSide): message
/// boundaries, the handshake event, held writes, the MTU limit, close_notify both ways, errors once through errorCaught.
@Suite struct DTLSClientHandlerTests {
    @Test func handshakeThenMessagesKeepTheirBoundariesBothWays() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        let early = pair.client.writeAndFlush(ByteBuffer(string: "early"))
        try pair.connect()
        #expect(pair.events.userEvents == [.handshakeCompleted(negotiatedProtocol: nil)])
        #expect(pair.handler.info?.version == .dtls1_2)
        #expect((pair.handler.maximumMessageSize ?? 0) > 1_000)
        #expect(pair.server.messages() == ["early"], "a write made before the handshake is sent after it")
        #expect(early.completedResult.map { (try? $0.get()) != nil } == true)
        pair.client.writeAndFlush(ByteBuffer(string: "one"), promise: nil)
        pair.client.writeAndFlush(ByteBuffer(string: "two"), promise: nil)
        try pair.exchange()
        #expect(pair.server.messages() == ["one", "two"])
        pair.server.write("back 1")
        pair.server.write("back 2")
        try pair.exchange()
        #expect(pair.events.messages == ["back 1", "back 2"], "one channelRead per message")
        #expect(pair.events.errors.isEmpty, "\(pair.events.errors)")
    }

    @Test func aMessageOverTheLimitFailsItsWriteOnly() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        try pair.connect()
        let maximum = try #require(pair.handler.maximumMessageSize)
        let tooLarge = pair.client.writeAndFlush(ByteBuffer(repeating: 0x61, count: maximum + 1))
        #expect(jsecError(tooLarge.completedResult) == JSecError(.usage, "", code: .jsec(.messageTooLarge)))
        let fits = pair.client.writeAndFlush(ByteBuffer(repeating: 0x62, count: maximum))
        try pair.exchange()
        #expect(fits.completedResult.map { (try? $0.get()) != nil } == true)
        #expect(pair.server.messages() == [String(repeating: "b", count: maximum)])
        #expect(pair.events.errors.isEmpty && pair.client.isActive)
    }

    @Test func theServersCloseNotifyEndsTheChannel() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        try pair.connect()
        pair.server.driver.closeLocally()
        try pair.exchange()
        #expect(pair.events.log.suffix(2) == ["inputClosed", "inactive"], "\(pair.events.log)")
        #expect(pair.events.errors.isEmpty)
        #expect(!pair.client.isActive)
    }

    @Test func closingTheChannelSendsCloseNotify() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        try pair.connect()
        try pair.client.close().wait()
        try pair.exchange()
        #expect(pair.server.state == "closed(close_notify)")
        #expect(pair.events.errors.isEmpty, "the application's own close: \(pair.events.errors)")
    }

    @Test func aVerificationFailureReachesErrorCaughtOnce() throws {
        let other = try CertificateAuthority.createRoot(commonName: "Unrelated Root")
        let pair = try DTLSHandlerPair(client: .client(trustRoots: .certificates([other.certificate])))
        defer { pair.finish() }
        try pair.connect()
        #expect(
            pair.events.jsecErrors == [JSecError(.verification, "", code: .certificate(.unableToGetLocalIssuerCertificate))],
            "\(pair.events.errors)")
        #expect(pair.events.userEvents.isEmpty && pair.handler.info == nil)
        #expect(!pair.client.isActive)
    }

    @Test func portUnreachableDuringTheHandshakeIsAnIOError() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        let held = pair.client.writeAndFlush(ByteBuffer(string: "never"))
        try pair.client.connect(to: DTLSSide.serverAddress).wait()
        pair.client.pipeline.fireErrorCaught(IOError(errnoCode: ECONNREFUSED, reason: "read"))
        #expect(pair.events.jsecErrors == [JSecError(.io, "", code: .errno(ECONNREFUSED))], "\(pair.events.errors)")
        #expect(jsecError(held.completedResult)?.category == .io, "the held write fails with the cause")
        #expect(!pair.client.isActive)
    }

    @Test func writesHeldBeforeTheChannelWasActiveFailWhenItCloses() throws {
        let pair = try DTLSHandlerPair()
        defer { pair.finish() }
        let held = pair.client.writeAndFlush(ByteBuffer(string: "never sent"))
        pair.client.pipeline.fireChannelInactive()  // e.g. the connect failed: the association never started
        #expect(jsecError(held.completedResult)?.category == .closed, "a held write must not be left pending (its promise leaked)")
    }

    @Test func anUnconnectedChannelIsAUsageError() throws {
        let channel = EmbeddedChannel(loop: EmbeddedEventLoop())
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        let events = ApplicationRecorder()
        try channel.pipeline.syncOperations.addHandler(events)
        // An active channel with no remote address (EmbeddedChannel's connect sets one before channelActive).
        try channel.connect(to: DTLSSide.serverAddress).wait()
        channel.remoteAddress = nil
        try channel.pipeline.syncOperations.addHandler(
            DTLSClientHandler(context: DTLS.context(PKI.clientConfiguration()), serverName: "localhost"), position: .first)
        #expect(events.jsecErrors.map(\.category) == [.usage], "\(events.errors)")
        #expect(!channel.isActive)
    }

    @Test func aStreamContextIsRefused() throws {
        #expect(
            performing: { try DTLSClientHandler(context: TLSContext(PKI.clientConfiguration()), serverName: "localhost") },
            throws: {
                ($0 as? JSecError)?.category == .configuration
            })
    }
}

/// A public DTLSClientHandler on an EmbeddedChannel connected to a DTLSSide server; datagrams moved by hand.
final class DTLSHandlerPair {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let handler: DTLSClientHandler
    let events = ApplicationRecorder()
    let server: DTLSSide

    init(client configuration: TLSConfiguration = PKI.clientConfiguration()) throws {
        client = EmbeddedChannel(loop: loop)
        client.remoteAddress = DTLSSide.serverAddress
        handler = try DTLSClientHandler(context: DTLS.context(configuration), serverName: "localhost")
        try client.pipeline.syncOperations.addHandler(handler)
        try client.pipeline.syncOperations.addHandler(events)
        server = try DTLSSide(.server, loop: loop)
        try server.attach()
        try server.activate()
    }

    /// Activates the client (its ClientHello goes out) and runs the exchange to the end.
    func connect() throws {
        try client.connect(to: DTLSSide.serverAddress).wait()
        try exchange()
    }

    /// Moves datagrams both ways until neither side sends anything.
    func exchange() throws {
        for _ in 0..<32 {
            var fromClient: [ByteBuffer] = []
            while let d = try client.readOutbound(as: ByteBuffer.self) { fromClient.append(d) }
            let fromServer = try server.sent()
            if fromClient.isEmpty && fromServer.isEmpty { return }
            try server.deliver(fromClient)
            for d in fromServer where client.isActive {
                try client.writeInbound(AddressedEnvelope(remoteAddress: DTLSSide.serverAddress, data: d))
            }
        }
        Issue.record("exchange: still moving datagrams after 32 rounds")
    }

    func finish() {
        _ = try? client.finish(acceptAlreadyClosed: true)
        _ = try? server.channel.finish(acceptAlreadyClosed: true)
    }
}
