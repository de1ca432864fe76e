import JSecCrypto
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import JSec

/// `StreamOpening`: what a connect installs on each channel NIO makes for it, taken back without a hop to the loop.
@Suite struct StreamOpeningTests {
    /// Happy Eyeballs may make a channel per address: the handler built by the caller (its configuration errors
    /// thrown as they are) goes to the first, each further channel gets one of its own, and each channel's bridge,
    /// TLS handler and handshake are taken back once.
    @Test func aTLSOpeningGivesItsFirstHandlerToOneChannelAndBuildsOneForEachOther() throws {
        let context = try TLSContext(PKI.clientConfiguration())
        let first = try TLSHandler(context: context, role: .client, serverName: "localhost")
        let made = Atomic<Int>(0)
        let opening = StreamOpening(tls: first) {
            made.add(1, ordering: .relaxed)
            return try TLSHandler(context: context, role: .client, serverName: "localhost")
        }
        #expect(opening.isTLS)
        let a = EmbeddedChannel(), b = EmbeddedChannel()
        defer {
            _ = try? a.finish()
            _ = try? b.finish()
        }
        try opening.install(on: a)
        try opening.install(on: b)
        #expect(made.load(ordering: .relaxed) == 1)
        let tlsA = try a.pipeline.syncOperations.handler(type: TLSHandler.self)
        let tlsB = try b.pipeline.syncOperations.handler(type: TLSHandler.self)
        #expect(tlsA === first)
        #expect(tlsB !== first)
        let installedB = try #require(opening.take(b))
        #expect(installedB.bridge === (try b.pipeline.syncOperations.handler(type: StreamBridgeHandler.self)))
        #expect(installedB.handshake != nil)
        #expect(opening.take(b) == nil)  // taken once
        #expect(opening.take(a) != nil)
    }

    @Test func aPlaintextOpeningInstallsTheBridgeAlone() throws {
        let opening = StreamOpening()
        #expect(!opening.isTLS)
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try opening.install(on: channel)
        #expect((try? channel.pipeline.syncOperations.handler(type: TLSHandler.self)) == nil)
        let installed = try #require(opening.take(channel))
        #expect(installed.bridge === (try channel.pipeline.syncOperations.handler(type: StreamBridgeHandler.self)))
        #expect(installed.handshake == nil)
    }

    /// A channel the opening never saw has nothing to take.
    @Test func aChannelItNeverInstalledOnHasNothingToTake() {
        #expect(StreamOpening().take(EmbeddedChannel()) == nil)
    }
}
