import NIOCore
import Testing

@testable import JSec

/// The channel option every stream's socket gets, on both ends (NetStream.connect and NetListener,
/// which TLS.connect and TLS.listen build on): the bound docs/security.md and docs/performance.md
/// rest on is set, not NIO's default.
@Suite struct StreamChannelOptionsTests {
    @Test func bothEndsOfAStreamUseTheBridgesReadBatch() async throws {
        let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
        let client = try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
        let server = try await listener.accept(timeout: .seconds(10))
        for (end, stream) in [("client", client), ("server", server)] {
            let channel = stream.channel
            // NIO's default is 4.
            let batch = try await channel.getOption(.maxMessagesPerRead).get()
            #expect(batch == StreamBridgeHandler.maxMessagesPerRead, "\(end): \(batch)")
        }
        await client.close()
        await server.close()
        await listener.close()
    }
}
