import Dispatch
import NIOCore

/// `host`:`port` as a socket address for a listener's bind or a UDP or DTLS socket, without blocking the calling
/// thread.
///
/// An IP literal is parsed at once. A name goes to the system resolver (`getaddrinfo`, which blocks for as long
/// as DNS takes) on a Dispatch queue, not on the caller's thread: with tasks on the event loops that thread is an
/// event loop, and a slow lookup would stall every connection on it. (NIO's bootstraps resolve a
/// `bind(host:port:)` or a datagram `connect(host:port:)` on the calling thread; a stream's connect uses
/// `ClientBootstrap`'s own resolver, which runs on a Dispatch queue too. NIO's `NIOThreadPool.singleton` is not used:
/// it is started for good on first use and holds memory LeakSanitizer reports at exit.)
///
/// A name that does not resolve throws what JSec throws for it everywhere: `JSecError` category `.io`, code
/// `.addressResolution(…)`, worded with `doing` and `target` ("cannot resolve host: …").
enum AddressLookup {
    static func resolve(
        host: String, port: Int, while doing: String, target: String, queue: DispatchQueue = .global(),
        lookup: @escaping @Sendable (String, Int) throws -> SocketAddress = SocketAddress.makeAddressResolvingHost
    ) async throws -> SocketAddress {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return literal }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try lookup(host, port) }) }
            }
        } catch {
            throw JSecError.mapped(error, while: doing, target: target)
        }
    }
}
