#if canImport(Glibc)
    import Glibc
#endif
import JSecCrypto
import NIOCore
import NIOEmbedded
import Testing
@testable import JSec

/// TLSHandler, state by state, against each event: data, EOF, close, error, handler removal.
/// Two EmbeddedChannels, one EmbeddedEventLoop: deterministic, no sockets.
@Suite struct TLSHandlerTests {
    // MARK: - idle

    @Test func idleClientSendsClientHelloWhenActive() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        #expect(try pair.client.takeOutbound() == nil, "nothing before the channel is active")
        try pair.client.activate()
        let hello = try #require(try pair.client.takeOutbound())
        #expect(hello.getInteger(at: hello.readerIndex, as: UInt8.self) == 22, "a handshake record")
        #expect(hello.getInteger(at: hello.readerIndex + 5, as: UInt8.self) == 1, "ClientHello")
    }

    @Test func idleServerStartsOnFirstBytes() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        let hello = try #require(try pair.client.takeOutbound())
        // The server channel is not active yet: the ClientHello alone starts its handshake.
        try pair.server.channel.writeInbound(hello)
        let answer = try #require(try pair.server.takeOutbound(), "the server answers")
        try pair.client.channel.writeInbound(answer)
        try pair.pump()
        #expect(pair.client.connected && pair.server.connected)
    }

    @Test func handlerAddedToAnActiveChannelStartsAtOnce() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        let handler = try TLSHandler(context: TLSContext(PKI.clientConfiguration()), role: .client, serverName: "localhost")
        try channel.pipeline.syncOperations.addHandler(handler)
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil, "ClientHello on handlerAdded (STARTTLS)")
    }

    // MARK: - handshaking

    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func writesDuringTheHandshakeAreHeldThenSentInOrder(_ version: TLSVersion) throws {
        let pair = try TLSPair(client: PKI.clientConfiguration(version), server: PKI.serverConfiguration(version))
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        let first = pair.client.write("one,")
        let second = pair.client.write("two")
        #expect(first.completedResult == nil, "held until the handshake completes")
        try pair.pump()
        #expect(pair.server.recorder.text == "one,two")
        #expect(first.completedResult.map { (try? $0.get()) != nil } == true)
        #expect(second.completedResult.map { (try? $0.get()) != nil } == true)
    }

    @Test func eofDuringTheHandshakeFailsItAndHeldWrites() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        let held = pair.client.write("never")
        pair.client.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let e = try #require(pair.client.handshakeError)
        #expect(e == JSecError(.handshake, "", code: .jsec(.closedDuringHandshake)), "\(e)")
        #expect(jsecError(held.completedResult)?.category == .handshake)
        #expect(!pair.client.channel.isActive, "the channel is closed")
    }

    @Test func closeDuringTheHandshakeFailsIt() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        try pair.client.channel.close().wait()
        let e = try #require(pair.client.handshakeError)
        #expect(e.category == .closed, "\(e)")
    }

    @Test func inactiveDuringTheHandshakeFailsIt() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        let held = pair.client.write("never")
        pair.client.channel.pipeline.fireChannelInactive()
        #expect(pair.client.handshakeError == JSecError(.handshake, "", code: .jsec(.closedDuringHandshake)))
        #expect(jsecError(held.completedResult)?.category == .closed)
    }

    @Test func transportErrorDuringTheHandshakeFailsItWithTheErrno() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        pair.client.channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)"))
        let e = try #require(pair.client.handshakeError)
        #expect(e == JSecError(.io, "", code: .errno(ECONNRESET)), "\(e)")
        #expect(e.message == "TLS handshake: connection reset by peer (ECONNRESET)")
        #expect(pair.client.recorder.errors.count == 1, "the error travels on up the pipeline")
    }

    @Test func garbageDuringTheHandshakeFailsItAndSendsAnAlert() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.server.activate()
        // A handshake record holding a message type no ClientHello has (OpenSSL answers an HTTP request
        // with no alert at all, so this is the garbage that shows the alert).
        try pair.server.channel.writeInbound(ByteBuffer(bytes: [22, 3, 1, 0, 4, 99, 0, 0, 0]))
        let e = try #require(pair.server.handshakeError)
        #expect(e.category == .handshake, "\(e)")
        guard let library = e.code.openSSLLibrary else { Issue.record("an OpenSSL code: \(e)"); return }
        #expect(library == 20, "an SSL-library reason")
        let alert = try #require(try pair.server.takeOutbound())
        #expect(alert.getInteger(at: alert.readerIndex, as: UInt8.self) == 21, "an alert record goes out")
        #expect(!pair.server.channel.isActive)
    }

    @Test func handshakeTimeoutFailsTheHandshake() throws {
        var client = PKI.clientConfiguration()
        client.handshakeTimeout = .seconds(2)
        let pair = try TLSPair(client: client)
        defer { pair.finish() }
        try pair.client.activate()
        pair.loop.advanceTime(by: .milliseconds(1_999))
        #expect(pair.client.handshake == nil, "not yet")
        pair.loop.advanceTime(by: .milliseconds(1))
        let e = try #require(pair.client.handshakeError)
        #expect(e == JSecError(.timeout, "", code: .jsec(.handshakeTimeout)), "\(e)")
        #expect(!pair.client.channel.isActive)
    }

    @Test func verificationFailureCarriesTheX509Code() throws {
        let other = try CertificateAuthority.createRoot(commonName: "Unrelated Root")
        let pair = try TLSPair(client: .client(trustRoots: .certificates([other.certificate])))
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        let e = try #require(pair.client.handshakeError)
        #expect(e == JSecError(.verification, "", code: .certificate(.unableToGetLocalIssuerCertificate)), "\(e)")
        let s = try #require(pair.server.handshakeError)
        #expect(s == JSecError(.verification, "", code: .alertReceived(.unknownCA)), "the server hears the client's alert: \(s)")
    }

    @Test func handlerRemovedDuringTheHandshakeFailsTheWaiter() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.client.activate()
        try pair.client.channel.pipeline.syncOperations.removeHandler(pair.client.handler).wait()
        let e = try #require(pair.client.handshakeError, "a waiter must not be left hanging (or its promise leaked)")
        #expect(e.category == .closed, "\(e)")
    }

    // MARK: - active

    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func dataBothWays(_ version: TLSVersion) throws {
        let pair = try TLSPair.connected(version)
        defer { pair.finish() }
        let big = String(repeating: "0123456789abcdef", count: 8_192)  // 128 KiB: many records
        let w = pair.client.write(big)
        pair.server.write("pong")
        try pair.pump()
        #expect(pair.server.recorder.text == big)
        #expect(pair.client.recorder.text == "pong")
        #expect(w.completedResult.map { (try? $0.get()) != nil } == true, "the write's promise completes once flushed")
    }

    /// `ByteBuffer` capacities are powers of two: one buffer for a 64 KiB write's 65,624 bytes of records
    /// would take 128 KiB, held for as long as a peer does not read (docs/performance.md, "Clients that never read").
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func aLargeWritesCiphertextGoesDownInBuffersOfAtMost64KiB(_ version: TLSVersion) throws {
        let pair = try TLSPair.connected(version)
        defer { pair.finish() }
        let others = try Self.busy(pair.loop)  // a loop with many connections: one send per write
        defer { others.forEach { _ = try? $0.channel.finish(acceptAlreadyClosed: true) } }
        let plaintext = ByteBuffer(repeating: 0x61, count: 65_536)
        let written = pair.client.channel.writeAndFlush(plaintext)
        var parts: [ByteBuffer] = []
        while let b = try pair.client.channel.readOutbound(as: ByteBuffer.self) { parts.append(b) }
        #expect(parts.count == 2, "a full 64 KiB buffer and the rest: \(parts.map(\.readableBytes))")
        #expect(parts.allSatisfy { $0.capacity <= TLSHandler.outputSegment }, "capacities \(parts.map(\.capacity))")
        #expect(parts.map(\.readableBytes).reduce(0, +) > 65_536, "four records, each with its header and tag")
        for p in parts { try pair.server.channel.writeInbound(p) }
        pair.loop.run()
        #expect(pair.server.recorder.received == plaintext, "the records arrive whole and in order")
        #expect(written.completedResult.map { (try? $0.get()) != nil } == true, "the write's promise completes with its last buffer")
    }

    /// More TLS connections on `loop` than ``TLSLoopLoad/pipelineUpTo`` with the pair's two.
    static func busy(_ loop: EmbeddedEventLoop) throws -> [TLSSide] {
        try (0..<TLSLoopLoad.pipelineUpTo - 1).map { _ in try TLSSide(.server, configuration: PKI.serverConfiguration(), loop: loop) }
    }

    /// With few connections on its loop, a large write's records go down one by one as they are sealed (the
    /// peer's core opens the first while this one seals the next); with many, in one send (fewer system calls).
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func aLargeWritesRecordsGoDownAsTheyAreSealedWhileTheLoopHasFewConnections(_ version: TLSVersion) throws {
        let pair = try TLSPair.connected(version)
        defer { pair.finish() }
        let plaintext = ByteBuffer(repeating: 0x63, count: 65_536)
        let written = pair.client.channel.writeAndFlush(plaintext)
        var parts: [ByteBuffer] = []
        while let b = try pair.client.channel.readOutbound(as: ByteBuffer.self) { parts.append(b) }
        #expect(parts.count == 4, "one send per 16 KiB record: \(parts.map(\.readableBytes))")
        #expect(parts.allSatisfy { $0.readableBytes > 16_384 && $0.readableBytes < 16_384 + 256 }, "\(parts.map(\.readableBytes))")
        for p in parts { try pair.server.channel.writeInbound(p) }
        pair.loop.run()
        #expect(pair.server.recorder.received == plaintext, "the records arrive whole and in order")
        #expect(written.completedResult.map { (try? $0.get()) != nil } == true, "the write's promise completes with its last record")

        let others = try Self.busy(pair.loop)
        defer { others.forEach { _ = try? $0.channel.finish(acceptAlreadyClosed: true) } }
        pair.client.channel.writeAndFlush(plaintext, promise: nil)
        var busyParts = 0
        while try pair.client.channel.readOutbound(as: ByteBuffer.self) != nil { busyParts += 1 }
        #expect(busyParts == 2, "a busy loop: the write in one send (a 64 KiB buffer and the rest)")
    }

    /// A send that fails at once (NIO closes the channel on a failed write(2)) ends a write going down record by
    /// record: nothing more is sealed or sent for the closed connection, and the write's promise fails.
    @Test func aPipelinedWriteStopsWhenASendFailsAndClosesTheChannel() throws {
        final class FailingSend: ChannelOutboundHandler {
            typealias OutboundIn = ByteBuffer
            var writes = 0
            func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
                writes += 1
                promise?.fail(IOError(errnoCode: EPIPE, reason: "write(descriptor:pointer:size:)"))
                context.close(promise: nil)
            }
        }
        let pair = try TLSPair.connected(.tls1_3)
        defer { pair.finish() }
        let failing = FailingSend()
        try pair.client.channel.pipeline.syncOperations.addHandler(failing, position: .first)  // after the handshake
        let written = pair.client.channel.writeAndFlush(ByteBuffer(repeating: 0x64, count: 65_536))
        pair.loop.run()
        #expect(failing.writes == 1, "the first record's send failed and closed the channel: no more sends")
        #expect(jsecError(written.completedResult) != nil, "the write's promise fails: \(String(describing: written.completedResult))")
    }

    @Test func plaintextBuffersStayWithin64KiBWhenMoreCiphertextArrivesAtOnce() throws {
        let pair = try TLSPair.connected(.tls1_3)
        defer { pair.finish() }
        pair.client.channel.writeAndFlush(ByteBuffer(repeating: 0x62, count: 4 * 65_536), promise: nil)
        // All of it in one read, as a receive buffer larger than 64 KiB (or several in one wake-up) would bring.
        let ciphertext = try #require(try pair.client.takeOutbound())
        try pair.server.channel.writeInbound(ciphertext)
        #expect(pair.server.recorder.received.readableBytes == 4 * 65_536)
        #expect(pair.server.recorder.capacities.allSatisfy { $0 <= 65_536 }, "capacities \(pair.server.recorder.capacities)")
    }

    /// A TLS stream's receive buffers hold 16 KiB (StreamBridgeHandler.tlsReceiveAllocator): a message's records
    /// arrive as several buffers in one socket read. Their plaintext gathers in one buffer that goes up when it is
    /// full (64 KiB) or the read ends, not a piece per receive buffer (a reader handed each piece would echo it as
    /// its own write).
    @Test(arguments: [TLSVersion.tls1_2, .tls1_3])
    func theRecordsOfOneSocketReadGoUpAsOneBuffer(_ version: TLSVersion) throws {
        let pair = try TLSPair.connected(version)
        defer { pair.finish() }
        let server = pair.server.channel.pipeline.syncOperations
        for size in [65_536, 40_000] {
            pair.client.channel.writeAndFlush(ByteBuffer(repeating: 0x63, count: size), promise: nil)
            var ciphertext = ByteBuffer()
            while var part = try pair.client.takeOutbound() { ciphertext.writeBuffer(&part) }
            pair.server.recorder.received.clear()
            pair.server.recorder.capacities = []
            while ciphertext.readableBytes > 0 {
                server.fireChannelRead(NIOAny(ciphertext.readSlice(length: min(16_384, ciphertext.readableBytes))!))
            }
            if size < 65_536 { #expect(pair.server.recorder.capacities.isEmpty, "\(size): nothing before the read ends") }
            server.fireChannelReadComplete()
            #expect(pair.server.recorder.received.readableBytes == size)
            #expect(pair.server.recorder.capacities == [65_536], "\(size): one buffer")
        }
    }

    /// A record split across two socket reads (16,384 bytes, then the last 22): its plaintext goes up as one
    /// 16 KiB buffer, sized for the record OpenSSL holds the start of, not for the 22 bytes that completed it.
    @Test func aRecordCompletedByAFewBytesGoesUpWhole() throws {
        let pair = try TLSPair.connected(.tls1_3)
        defer { pair.finish() }
        pair.client.channel.writeAndFlush(ByteBuffer(repeating: 0x64, count: 16_384), promise: nil)
        var record = try #require(try pair.client.takeOutbound())
        #expect(record.readableBytes == 16_384 + 22)
        let before = pair.server.recorder.capacities.count
        try pair.server.channel.writeInbound(record.readSlice(length: 16_384)!)
        try pair.server.channel.writeInbound(record)
        #expect(pair.server.recorder.received.readableBytes == 16_384)
        #expect(Array(pair.server.recorder.capacities.dropFirst(before)) == [16_384], "one record, one buffer")
    }

    @Test func cleanEOFAfterCloseNotify() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        pair.client.channel.close(mode: .output, promise: nil)
        #expect(pair.client.probe.closes == [.output], "close_notify, then the transport's half-close")
        try pair.pump()
        #expect(pair.server.recorder.events == ["inputClosed"], "close_notify reaches the server as end of input")
        pair.server.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)  // then the FIN
        #expect(pair.server.recorder.events == ["inputClosed"], "delivered once")
        #expect(pair.server.handler.liveState.peerClosure == .closeNotify)
        // The server can still answer on its open write side.
        pair.server.write("bye")
        try pair.pump()
        #expect(pair.client.recorder.text == "bye")
    }

    @Test func eofWithoutCloseNotifyIsNotClean() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        pair.server.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(pair.server.recorder.events == ["inputClosed"])
        #expect(pair.server.handler.liveState.peerClosure == .withoutCloseNotify)
        #expect(pair.server.recorder.errors.isEmpty, "an unclean end is not an error by itself")
    }

    @Test func eofInTheMiddleOfARecordIsTruncation() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        pair.client.write("a record cut short")
        let record = try #require(try pair.client.takeOutbound())
        let half = record.getSlice(at: record.readerIndex, length: record.readableBytes / 2)!
        try pair.server.channel.writeInbound(half)
        pair.server.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let e = try #require(pair.server.recorder.errors.first as? JSecError)
        #expect(e == JSecError(.protocol, "", code: .jsec(.truncatedRecord)), "\(e)")
        #expect(pair.server.recorder.text.isEmpty)
        #expect(!pair.server.channel.isActive)
    }

    @Test func writeAfterShutdownFailsWithOutputShutDown() throws {
        let pair = try TLSPair.connected(.tls1_3)
        defer { pair.finish() }
        pair.client.channel.close(mode: .output, promise: nil)
        let w = pair.client.write("late")
        #expect(jsecError(w.completedResult) == JSecError(.closed, "", code: .jsec(.outputShutDown)))
        #expect(throws: JSecError(.closed, "", code: .jsec(.outputShutDown))) { try pair.client.handler.updateKeys(requestPeer: false) }
        let p = pair.loop.makePromise(of: Void.self)
        pair.client.handler.renegotiate(promise: p)
        #expect(jsecError(p.futureResult.completedResult)?.code == .jsec(.outputShutDown))
        pair.client.channel.close(mode: .output, promise: nil)  // twice: no second close_notify
        try pair.pump()
        #expect(pair.server.recorder.events == ["inputClosed"])
    }

    @Test func closeAllSendsCloseNotifyAndFailsLaterWrites() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        try pair.client.channel.close().wait()
        let out = try #require(try pair.client.takeOutbound(), "close_notify goes out before the close")
        #expect(out.getInteger(at: out.readerIndex, as: UInt8.self) == 23 || out.getInteger(at: out.readerIndex, as: UInt8.self) == 21)
        try pair.server.channel.writeInbound(out)
        #expect(pair.server.recorder.events == ["inputClosed"])
        #expect(pair.server.handler.liveState.peerClosure == .closeNotify)
        let w = pair.client.write("late")
        #expect(w.completedResult.map { (try? $0.get()) == nil } == true, "a write after close fails")
    }

    /// CI saw "close() sent close_notify after the data" fail on a Unix socket: the server's close
    /// found the send buffer full, and NIO drops writes still queued at a full close. The close must
    /// wait until the close_notify has been written (bounded by closeNotifyTimeout).
    @Test func closeAllWaitsForTheCloseNotifyToBeWritten() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        let probe = pair.client.probe
        probe.holdWrites = true  // the socket's send buffer is full
        let closed = pair.client.channel.close()
        #expect(probe.closes.isEmpty, "the close waits while the close_notify is still queued")
        #expect(probe.held.count == 1)
        let context = try pair.client.channel.pipeline.syncOperations.context(handler: probe)
        probe.releaseWrites(context: context)  // the peer reads; the queue drains
        #expect(probe.log.suffix(2) == ["write", "close(all)"], "\(probe.log)")
        #expect(closed.completedResult.map { (try? $0.get()) != nil } == true)
        let out = try #require(try pair.client.takeOutbound())
        try pair.server.channel.writeInbound(out)
        #expect(pair.server.handler.liveState.peerClosure == .closeNotify, "the peer got its close_notify")
    }

    @Test func closeAllGivesUpOnAPeerThatReadsNothing() throws {
        var client = PKI.clientConfiguration()
        client.closeNotifyTimeout = .seconds(2)
        let pair = try TLSPair.connected(client: client)
        defer { pair.finish() }
        pair.client.probe.holdWrites = true  // and never released
        let closed = pair.client.channel.close()
        pair.loop.advanceTime(by: .milliseconds(1_999))
        #expect(pair.client.probe.closes.isEmpty)
        pair.loop.advanceTime(by: .milliseconds(1))
        #expect(pair.client.probe.closes == [.all], "closed after closeNotifyTimeout")
        #expect(closed.completedResult != nil)
        #expect(pair.client.probe.held.isEmpty, "the queued close_notify was dropped with the socket")
    }

    @Test func garbageAfterTheHandshakeIsAProtocolError() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        // A well-formed application-data record header with bytes that do not decrypt.
        var junk = ByteBuffer(bytes: [23, 3, 3, 0, 32])
        junk.writeBytes([UInt8](repeating: 0xAB, count: 32))
        try pair.server.channel.writeInbound(junk)
        let e = try #require(pair.server.recorder.errors.first as? JSecError)
        #expect(e.category == .protocol, "\(e)")
        guard e.code.openSSLLibrary == 20 else { Issue.record("an SSL-library reason: \(e)"); return }
        #expect(!pair.server.channel.isActive, "the connection is closed")
        let w = pair.server.write("after")
        #expect(jsecError(w.completedResult)?.category == .closed, "writes after the failure: closed")
    }

    @Test func transportErrorWhenActiveTravelsUp() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        pair.client.channel.pipeline.fireErrorCaught(IOError(errnoCode: EPIPE, reason: "write"))
        #expect(pair.client.recorder.errors.count == 1)
        #expect(pair.client.connected, "an established connection's handshake result stays a success")
    }

    @Test func handlerRemovedWhenActiveLeavesAPlainPipeline() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        try pair.client.channel.pipeline.syncOperations.removeHandler(pair.client.handler).wait()
        try pair.client.channel.writeOutbound(ByteBuffer(string: "plain"))
        #expect(try pair.client.channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "plain"), "no longer encrypted")
    }

    @Test func keyUpdateOnTLS13() throws {
        let pair = try TLSPair.connected(.tls1_3)
        defer { pair.finish() }
        try pair.client.handler.updateKeys(requestPeer: true)
        try pair.pump()
        pair.client.write("after the update")
        pair.server.write("and back")
        try pair.pump()
        #expect(pair.server.recorder.text == "after the update")
        #expect(pair.client.recorder.text == "and back")
    }

    @Test func keyUpdateOnTLS12IsAUsageError() throws {
        let pair = try TLSPair.connected(.tls1_2)
        defer { pair.finish() }
        #expect(throws: JSecError(.usage, "", code: .jsec(.notInNegotiatedVersion))) { try pair.client.handler.updateKeys(requestPeer: false) }
    }

    @Test func renegotiationHoldsWritesUntilItCompletes() throws {
        var client = PKI.clientConfiguration(.tls1_2), server = PKI.serverConfiguration(.tls1_2)
        client.allowRenegotiation = true
        server.allowRenegotiation = true
        let pair = try TLSPair(client: client, server: server)
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        let done = pair.loop.makePromise(of: Void.self)
        pair.client.handler.renegotiate(promise: done)
        let w = pair.client.write("during")
        #expect(w.completedResult == nil, "held while the renegotiation runs")
        try pair.pump()
        #expect(done.futureResult.completedResult.map { (try? $0.get()) != nil } == true)
        #expect(pair.server.recorder.text == "during")
        #expect(pair.client.handler.renegotiationCount == 1)
    }

    @Test func renegotiationRefusedByThePeer() throws {
        var client = PKI.clientConfiguration(.tls1_2)
        client.allowRenegotiation = true
        let pair = try TLSPair(client: client, server: PKI.serverConfiguration(.tls1_2))
        defer { pair.finish() }
        try pair.server.activate()
        try pair.client.activate()
        try pair.pump()
        let done = pair.loop.makePromise(of: Void.self)
        pair.client.handler.renegotiate(promise: done)
        try pair.pump()
        #expect(jsecError(done.futureResult.completedResult) == JSecError(.protocol, "", code: .renegotiationRefused))
    }

    @Test func renegotiationOffIsAUsageError() throws {
        let pair = try TLSPair.connected(.tls1_2)
        defer { pair.finish() }
        let done = pair.loop.makePromise(of: Void.self)
        pair.client.handler.renegotiate(promise: done)
        #expect(jsecError(done.futureResult.completedResult) == JSecError(.usage, "", code: .jsec(.renegotiationDisabled)))
    }

    // MARK: - failed and closed

    @Test func failedHandlerIgnoresInputAndRefusesWrites() throws {
        let pair = try TLSPair()
        defer { pair.finish() }
        try pair.server.activate()
        try pair.server.channel.writeInbound(ByteBuffer(string: "not TLS at all, not at all"))
        #expect(pair.server.handshakeError != nil)
        pair.server.handler.channelRead(
            context: try! pair.server.channel.pipeline.syncOperations.context(handler: pair.server.handler),
            data: NIOAny(ByteBuffer(string: "more")))
        #expect(pair.server.recorder.text.isEmpty, "input after the failure is dropped")
    }

    @Test func writeOnAClosedHandlerFails() throws {
        let pair = try TLSPair.connected()
        defer { pair.finish() }
        pair.client.channel.pipeline.fireChannelInactive()
        let ctx = try pair.client.channel.pipeline.syncOperations.context(handler: pair.client.handler)
        let p = pair.loop.makePromise(of: Void.self)
        pair.client.handler.write(context: ctx, data: NIOAny(ByteBuffer(string: "x")), promise: p)
        #expect(jsecError(p.futureResult.completedResult)?.category == .closed)
    }
}
