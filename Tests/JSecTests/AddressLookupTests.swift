import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import JSec

/// `AddressLookup`: listeners, UDP and DTLS resolve a name on NIO's blocking-work pool, never on the calling thread
/// (an event loop when tasks run on the loops), and an IP literal without a lookup at all.
@Suite struct AddressLookupTests {
    /// The lookup of a name runs on the pool's thread (a pool of one: the thread a job submitted to it runs on).
    @Test func aNameIsLookedUpOnThePoolsThread() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let poolThread = try await pool.runIfActive { pthread_self() }
        let lookupThread = Mutex<pthread_t?>(nil)
        let address = try await AddressLookup.resolve(host: "localhost", port: 4433, while: "test", target: "localhost:4433", pool: pool) { host, port in
            lookupThread.withLock { $0 = pthread_self() }
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        try await pool.shutdownGracefully()
        #expect(address.port == 4433)
        let ran = try #require(lookupThread.withLock { $0 })
        #expect(pthread_equal(ran, poolThread) != 0, "the lookup ran on the pool's thread")
    }

    /// An IPv4 or IPv6 literal is parsed, not looked up.
    @Test func aLiteralIsParsedWithoutALookup() async throws {
        let lookups = Atomic<Int>(0)
        for host in ["127.0.0.1", "::1"] {
            let address = try await AddressLookup.resolve(host: host, port: 53, while: "test", target: host) { host, port in
                lookups.add(1, ordering: .relaxed)
                return try SocketAddress.makeAddressResolvingHost(host, port: port)
            }
            #expect(address.ipAddress == host && address.port == 53)
        }
        #expect(lookups.load(ordering: .relaxed) == 0)
    }

    /// A listener and a UDP socket bound to a name get a port; a listener on an unknown name still throws the typed
    /// address-resolution error it threw when NIO looked the name up.
    @Test func namesBindThroughTheLookup() async throws {
        let listener = try await NetListener.listen(host: "localhost", port: 0)
        #expect((listener.port ?? 0) > 0)
        await listener.close()
        let udp = try await NetDatagramSocket.bind(host: "localhost", port: 0)
        #expect((udp.localAddress?.port ?? 0) > 0)
        await udp.close()
        let error = await #expect(throws: JSecError.self) { _ = try await NetListener.listen(host: "no-such-host.invalid", port: 0) }
        #expect(error?.category == .io && error?.code.addressResolutionError != nil, "\(String(describing: error))")
    }
}
