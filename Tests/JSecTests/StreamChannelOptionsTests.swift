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

    /// TLS streams (TLS.connect, TLS.listen, a STARTTLS upgrade) read 16 KiB receive buffers, five per wake-up.
    @Test func bothEndsOfATLSStreamUseTheTLSReceiveBuffers() async throws {
        let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(PKI.serverConfiguration()))
        async let accepted = listener.accept(timeout: .seconds(10))
        let client = try await TLS.connect(
            host: "127.0.0.1", port: listener.port!, serverName: "localhost", context: TLSContext(PKI.clientConfiguration()))
        let server = try await accepted
        for (end, stream) in [("client", client), ("server", server)] {
            let batch = try await stream.channel.getOption(.maxMessagesPerRead).get()
            #expect(batch == StreamBridgeHandler.tlsMaxMessagesPerRead, "\(end): \(batch)")
            let allocator = try await stream.channel.getOption(.recvAllocator).get() as? AdaptiveRecvByteBufferAllocator
            #expect(allocator?.maximum == 16_384, "\(end): \(String(describing: allocator))")
        }
        await client.close()
        await server.close()
        await listener.close()
    }
}
