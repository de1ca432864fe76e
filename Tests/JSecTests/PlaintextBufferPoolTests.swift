import NIOCore
import Testing

@testable import JSec

/// `PlaintextBufferPool`: an event loop's 64 KiB plaintext buffers, handed back by the TLS streams that read them and
/// decrypted into again, so that a busy loop does not allocate (and glibc does not trim and fault in again) a buffer per
/// connection per wake-up. Its promises: a buffer goes out again only once nothing else refers to it, and the pool keeps
/// at most its capacity.
@Suite struct PlaintextBufferPoolTests {
    static func full(_ byte: UInt8) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: PlaintextBufferPool.bufferSize)
        b.writeRepeatingByte(byte, count: 1000)
        return b
    }

    static func address(_ b: ByteBuffer) -> UnsafeRawPointer? {
        b.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func aBufferNothingElseHoldsIsHandedOutAgainEmptied() {
        let pool = PlaintextBufferPool()
        pool.setCapacity(connections: 2)
        var given = Self.full(0x41)
        let storage = Self.address(given)
        pool.giveBack(given)
        given = ByteBuffer()
        let taken = pool.take()
        #expect(taken.map(Self.address) == storage, "the same storage, not a new allocation")
        #expect(taken?.readableBytes == 0 && taken?.capacity == PlaintextBufferPool.bufferSize)
        #expect(pool.take() == nil, "handed out once")
        #expect(pool.counts.reused == 1)
    }

    /// A reader that still holds a slice of a buffer keeps its bytes: the pool does not hand that buffer out, and
    /// does once the slice is gone.
    @Test func aBufferAReaderStillHoldsIsNotHandedOut() {
        let pool = PlaintextBufferPool()
        pool.setCapacity(connections: 1)
        var buffer = Self.full(0x42)
        var slice: ByteBuffer? = buffer.readSlice(length: 1000)
        pool.giveBack(buffer)
        buffer = ByteBuffer()
        #expect(pool.take() == nil, "a slice of it is still read")
        #expect(slice?.readableBytesView.allSatisfy { $0 == 0x42 } == true)
        slice = nil
        #expect(pool.take() != nil, "free once the slice is gone")
    }

    @Test func itKeepsAtMostItsCapacityAndOnlyItsSize() {
        let pool = PlaintextBufferPool()
        pool.setCapacity(connections: 3)
        for _ in 0..<10 { pool.giveBack(Self.full(0x43)) }
        #expect(pool.counts.held == 3)
        pool.setCapacity(connections: 1)
        #expect(pool.counts.held == 1, "a connection gone: its buffer with it")
        pool.setCapacity(connections: 10_000)
        for _ in 0..<200 { pool.giveBack(Self.full(0x44)) }
        #expect(pool.counts.held == PlaintextBufferPool.maximumCount)
        var small = ByteBufferAllocator().buffer(capacity: 16_384)
        small.writeString("x")
        let before = pool.counts.kept
        pool.setCapacity(connections: 0)
        pool.setCapacity(connections: 1)
        pool.giveBack(small)
        #expect(pool.counts.held == 0 && pool.counts.kept == before, "only 64 KiB buffers are pooled")
    }

    /// With the pool full of buffers readers still hold, a free one given back takes the place of one of them.
    @Test func aFreeBufferReplacesOneStillHeld() {
        let pool = PlaintextBufferPool()
        pool.setCapacity(connections: 1)
        var held = Self.full(0x45)
        let slice = held.readSlice(length: 10)!
        pool.giveBack(held)
        held = ByteBuffer()
        pool.giveBack(Self.full(0x46))
        #expect(pool.take() != nil, "the free one was kept in the held one's place")
        #expect(slice.readableBytesView.allSatisfy { $0 == 0x45 })
    }

    enum Opening: CaseIterable, Sendable { case connectAndListen, startTLS }

    /// Both ends of a TLS stream, opened by `TLS.connect` and a `TLS.listen` accept, or upgraded from plaintext
    /// (`TLS.upgrade`, STARTTLS).
    static func tlsPair(_ opening: Opening) async throws -> (client: NetStream, server: NetStream, listener: NetListener) {
        switch opening {
        case .connectAndListen:
            let listener = try await TLS.listen(host: "127.0.0.1", port: 0, context: TLSContext(PKI.serverConfiguration()))
            async let accepted = listener.accept(timeout: .seconds(10))
            let client = try await TLS.connect(
                host: "127.0.0.1", port: listener.port!, serverName: "localhost", context: TLSContext(PKI.clientConfiguration()))
            return (client, try await accepted, listener)
        case .startTLS:
            let listener = try await NetListener.listen(host: "127.0.0.1", port: 0)
            let plainClient = try await NetStream.connect(host: "127.0.0.1", port: listener.port!)
            let plainServer = try await listener.accept(timeout: .seconds(10))
            async let server = TLS.upgrade(plainServer, asServerWith: TLSContext(PKI.serverConfiguration()))
            let client = try await TLS.upgrade(plainClient, asClientOf: "localhost", context: TLSContext(PKI.clientConfiguration()))
            return (client, try await server, listener)
        }
    }

    /// Over real sockets: a TLS stream that reads 64 KiB messages decrypts them into buffers it read before, instead
    /// of a new allocation each (before the pool: `reused` 0), and every byte arrives as sent.
    @Test(arguments: Opening.allCases)
    func aTLSStreamDecryptsIntoBuffersItHasRead(_ opening: Opening) async throws {
        let (client, server, listener) = try await Self.tlsPair(opening)
        let rounds = 40
        for i in 0..<rounds {
            let message = ByteBuffer(repeating: UInt8(i), count: 65_536)
            try await server.write(message)
            let back = try await client.chunkBuffer(65_536, timeout: .seconds(10))
            #expect(back == message, "round \(i): to the client")
            try await client.write(message)
            let there = try await server.chunkBuffer(65_536, timeout: .seconds(10))
            #expect(there == message, "round \(i): to the server")
        }
        // Both ends hand their buffers back.
        for (end, stream) in [("client", client), ("server", server)] {
            let pool = try #require(stream.bridge.plaintextPoolForTests, "\(end): not linked to its loop's pool")
            #expect(pool.counts.reused > 0, "\(end): no plaintext buffer reused in \(rounds) messages of 64 KiB")
            #expect(pool.counts.held <= 2, "\(end): at most one per TLS connection on the loop")
        }
        await client.close()
        await server.close()
        await listener.close()
    }
}
