import NIOCore
import Testing

@testable import JSec

/// The channel options every stream's socket gets, on both ends (NetStream.connect and NetListener,
/// which TLS.connect and TLS.listen build on): the bounds docs/security.md and docs/performance.md
/// rest on are set, not NIO's defaults.
@Suite struct StreamChannelOptionsTests {
    @Test func bothEndsOfAStreamUseTheBridgesReadBatchAndWaterMarks() async throws {
        let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
        let client = try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
        let server = try await listener.accept(timeout: .seconds(10))
        for (end, stream) in [("client", client), ("server", server)] {
            let channel = stream.channel
            // NIO's defaults are 4 and 32/64 KiB: these differ.
            let batch = try await channel.getOption(.maxMessagesPerRead).get()
            let marks = try await channel.getOption(.writeBufferWaterMark).get()
            #expect(batch == StreamBridgeHandler.maxMessagesPerRead, "\(end): \(batch)")
            #expect(
                marks.low == StreamBridgeHandler.writeBufferWaterMark.low && marks.high == StreamBridgeHandler.writeBufferWaterMark.high, "\(end): \(marks)")
        }
        await client.close()
        await server.close()
        await listener.close()
    }
}
