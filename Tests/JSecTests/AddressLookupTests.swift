import Foundation
import NIOCore
import Synchronization
import Testing
@testable import JSec

/// `AddressLookup`: listeners, UDP and DTLS resolve a name on a Dispatch queue, never on the calling thread
/// (an event loop when tasks run on the loops), and an IP literal without a lookup at all.
@Suite struct AddressLookupTests {
    /// The lookup of a name runs on the queue it is given (a queue of the test's, marked), not on the caller's thread.
    @Test func aNameIsLookedUpOnTheQueue() async throws {
        let queue = DispatchQueue(label: "address-lookup-test")
        let mark = DispatchSpecificKey<Int>()
        queue.setSpecific(key: mark, value: 1)
        let onQueue = Mutex<Bool?>(nil)
        let address = try await AddressLookup.resolve(host: "localhost", port: 4433, while: "test", target: "localhost:4433", queue: queue) {
            host, port in
            onQueue.withLock { $0 = DispatchQueue.getSpecific(key: mark) == 1 }
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        #expect(address.port == 4433)
        #expect(onQueue.withLock { $0 } == true, "the lookup ran on the given queue")
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
