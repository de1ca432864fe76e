import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import JSec

#if canImport(Glibc)
    import Glibc
#endif

/// DTLSDriver's states (idle, handshaking, active, closed) against data, close and end of the channel, errors,
/// handler removal and its timers, on EmbeddedChannel: every datagram is moved by hand, every timer fired by
/// advancing the loop's clock.
@Suite struct DTLSDriverTests {
    static let junk = ByteBuffer(bytes: [0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3])

    // MARK: idle

    @Test func idleDriverIgnoresDatagramsAndStartsWhenTheChannelBecomesActive() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        #expect(client.state == "idle")
        client.driver.receive(Self.junk)
        #expect(client.write("early")?.jsecCategory == .closed)
        #expect(try client.sent().isEmpty)
        #expect(client.state == "idle")
        try client.activate()
        #expect(client.state == "handshaking")
        let hello = try client.sent()
        #expect(hello.count == 1)
        #expect(hello.first?.getInteger(at: 0, as: UInt8.self) == 22, "a handshake record: the ClientHello")
    }

    @Test func closingAnIdleDriverFailsTheWaiterAndSendsNothing() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        client.driver.closeLocally()
        #expect(client.state == "closed(closed)")
        #expect(client.handshakeError?.category == .closed)
        try client.activate()  // a closed driver never starts
        #expect(try client.sent().isEmpty)
    }

    // MARK: handshaking

    @Test func aHandlerAddedToAnActiveChannelStartsAtOnce() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.activate()
        try client.attach()
        #expect(client.state == "handshaking")
        #expect(try client.sent().count == 1)
    }

    @Test func garbageDuringTheHandshakeIsDroppedAndTheHandshakeCompletes() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        let server = try DTLSSide(.server, loop: loop)
        for side in [client, server] {
            try side.attach()
            try side.activate()
        }
        try client.deliver([Self.junk, ByteBuffer(bytes: [22, 0xFE, 0xFD, 0, 0])])
        #expect(client.state == "handshaking")
        try exchange(client, server)
        #expect(client.state == "active")
        #expect(server.state == "active")
    }

    @Test func datagramsFromAnotherAddressPassOnUntouched() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        try client.activate()
        _ = try client.sent()
        let stranger = try SocketAddress(ipAddress: "127.0.0.9", port: 9)
        try client.deliver([Self.junk], from: stranger)
        let passed = try client.channel.readInbound(as: AddressedEnvelope<ByteBuffer>.self)
        #expect(passed?.remoteAddress == stranger)
        #expect(client.state == "handshaking")
    }

    @Test func channelInactiveDuringTheHandshakeFailsIt() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        try client.activate()
        try client.channel.close().wait()
        #expect(client.state == "closed(closed)")
        #expect(client.handshakeError?.category == .closed)
    }

    @Test func handlerRemovedDuringTheHandshakeFailsIt() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        try client.activate()
        let handler = try client.channel.pipeline.syncOperations.handler(type: DTLSPeerHandler.self)
        try client.channel.pipeline.syncOperations.removeHandler(handler).wait()
        #expect(client.state == "closed(closed)")
        #expect(client.handshakeError?.code == .jsec(.closed))
        #expect(client.handshakeError?.message.contains("removed") == true)
    }

    @Test func aRefusedDatagramDuringTheHandshakeIsAnIOError() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop)
        try client.attach()
        try client.activate()
        client.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNREFUSED, reason: "recvmsg"))
        #expect(client.state == "closed(io)")
        #expect(client.handshakeError?.category == .io)
    }

    @Test func theHandshakeTimeoutEndsTheHandshakeAndEveryTimer() throws {
        let loop = EmbeddedEventLoop()
        let client = try DTLSSide(.client, loop: loop) { $0.handshakeTimeout = .seconds(3) }
        try client.attach()
        try client.activate()
        _ = try client.sent()
        loop.advanceTime(by: .seconds(3))
        #expect(client.state == "closed(timeout)")
        #expect(client.handshakeError?.code == .jsec(.handshakeTimeout))
        loop.advanceTime(by: .seconds(600))
        #expect(try client.sent().isEmpty, "no retransmission after the end")
    }

    /// OpenSSL's retransmission deadline is on the real clock; the driver's task on the loop lets it retransmit.
    /// Real time passing alone sends nothing; the loop's timer firing after it resends the flight; a closed driver has no timer.
    @Test func theRetransmissionTimerResendsTheFlight() throws {
        let loop = EmbeddedEventLoop()
        let options = DTLSOptions(initialRetransmissionTimeout: .milliseconds(10))
        let client = try DTLSSide(.client, loop: loop, options: options)
        try client.attach()
        try client.activate()
        let hello = try client.sent()
        #expect(hello.count == 1)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try client.sent().isEmpty, "nothing without the loop's timer")
        loop.advanceTime(by: .milliseconds(50))
        let again = try client.sent()
        #expect(!again.isEmpty, "the ClientHello is sent again")
        #expect(again.allSatisfy { $0.getInteger(at: 0, as: UInt8.self) == 22 }, "handshake records")
        #expect(client.state == "handshaking")
        client.driver.closeLocally()
        Thread.sleep(forTimeInterval: 0.05)
        loop.advanceTime(by: .seconds(1))
        #expect(try client.sent().isEmpty, "a closed driver has no timer")
    }

    // MARK: active

    @Test func anEstablishedPairCarriesMessagesBothWays() throws {
        let loop = EmbeddedEventLoop()
        let (client, server) = try establishedPair(loop)
        #expect(client.state == "active")
        #expect(server.state == "active")
        let connection = try #require(try client.handshake?.get())
        #expect(connection.version == .dtls1_2)
        #expect(client.write("one").map { (try? $0.get()) != nil } == true)
        #expect(client.write("two").map { (try? $0.get()) != nil } == true)
        try exchange(client, server)
        #expect(server.messages() == ["one", "two"])
        server.write("back")
        try exchange(client, server)
        #expect(client.messages() == ["back"])
    }

    @Test func emptyAndOversizeMessagesAreRefusedAndNothingIsSent() throws {
        let loop = EmbeddedEventLoop()
        let (client, _) = try establishedPair(loop)
        #expect(client.write("")?.jsecCategory == .usage)
        let maximum = try #require(try client.handshake?.get()).maximumMessageSize
        let tooLarge = client.driver.write(ByteBuffer(repeating: 7, count: maximum + 1), maximum: maximum).completedResult
        #expect(jsecError(tooLarge)?.code == .jsec(.messageTooLarge))
        #expect(try client.sent().isEmpty)
        #expect(client.state == "active")
    }

    @Test func shortForgedRecordsAndGarbageDoNotEndAnEstablishedAssociation() throws {
        let loop = EmbeddedEventLoop()
        let (client, server) = try establishedPair(loop)
        let short = ByteBuffer(bytes: [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 10, 0, 4, 1, 2, 3, 4])
        try server.deliver([short, Self.junk])
        #expect(server.state == "active")
        client.write("after the junk")
        try exchange(client, server)
        #expect(server.messages() == ["after the junk"])
    }

    @Test func aRefusedDatagramWhenEstablishedTravelsOnAndEndsNothing() throws {
        let loop = EmbeddedEventLoop()
        let (client, _) = try establishedPair(loop)
        client.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNREFUSED, reason: "recvmsg"))
        #expect(client.state == "active")
        #expect(throws: IOError.self) { try client.channel.throwIfErrorCaught() }
    }

    @Test func thePeersCloseNotifyEndsTheAssociationCleanly() throws {
        let loop = EmbeddedEventLoop()
        let (client, server) = try establishedPair(loop)
        client.write("last")
        client.driver.closeLocally()
        #expect(client.state == "closed(closed)")
        let closeNotify = try client.sent()
        #expect(closeNotify.count == 2, "the message, then close_notify")
        try server.deliver(closeNotify)
        #expect(server.state == "closed(close_notify)")
        #expect(server.messages() == ["last"], "messages before close_notify are kept")
        #expect(server.driver.inbox.isEnded)
        #expect(server.write("too late")?.jsecCategory == .closed)
        #expect(client.write("too late")?.jsecCategory == .closed)
    }

    @Test func channelInactiveWhenEstablishedEndsTheAssociation() throws {
        let loop = EmbeddedEventLoop()
        let (client, _) = try establishedPair(loop)
        try client.channel.close().wait()
        #expect(client.state == "closed(closed)")
        #expect(client.write("x")?.jsecCategory == .closed)
    }

    @Test func handlerRemovedWhenEstablishedEndsTheAssociation() throws {
        let loop = EmbeddedEventLoop()
        let (client, _) = try establishedPair(loop)
        let handler = try client.channel.pipeline.syncOperations.handler(type: DTLSPeerHandler.self)
        try client.channel.pipeline.syncOperations.removeHandler(handler).wait()
        #expect(client.state == "closed(closed)")
        #expect(client.driver.inbox.isEnded)
    }

    /// A server session whose peer sends nothing for `peerIdleTimeout` is dropped; a datagram from the peer
    /// starts the wait again. Clients have no idle timer.
    @Test func theIdleTimerDropsASilentServerPeerOnly() throws {
        let loop = EmbeddedEventLoop()
        let options = DTLSOptions(peerIdleTimeout: .seconds(120))
        let (client, server) = try establishedPair(loop, options: options)
        loop.advanceTime(by: .seconds(100))
        client.write("still here")
        try exchange(client, server)
        loop.advanceTime(by: .seconds(100))
        #expect(server.state == "active", "200 s after the handshake, 100 s after the last datagram")
        loop.advanceTime(by: .seconds(20))
        #expect(server.state == "closed(timeout)")
        #expect(server.messages() == ["still here"])
        #expect(client.state == "active")
    }

    // MARK: closed

    @Test func aClosedDriverIgnoresEverything() throws {
        let loop = EmbeddedEventLoop()
        let (client, server) = try establishedPair(loop)
        server.driver.closeLocally()
        _ = try server.sent()
        client.write("into the void")
        try server.deliver(try client.sent())
        #expect(server.messages().isEmpty)
        #expect(try server.sent().isEmpty)
        server.driver.closeLocally()
        server.driver.fail(JSecError(.protocol, "late", code: .jsec(.transportError)))
        #expect(server.state == "closed(closed)", "the first end stays")
    }
}

extension Result {
    var jsecCategory: JSecError.Category? {
        if case .failure(let e) = self { return (e as? JSecError)?.category }
        return nil
    }
}
