import NIOCore
import NIOPosix

/// A DTLS 1.2 server on one UDP socket serving many peers: one session per peer address, a
/// stateless cookie exchange before any session exists, peer idle timeouts. ``accept(timeout:)``
/// hands out a ``DTLSConnection`` per peer whose handshake succeeded (like ``NetListener`` for streams).
public final class DTLSServer: AsyncSequence, Sendable {
    public typealias Element = DTLSConnection

    let channel: Channel
    let accepted: HandoffQueue<DTLSConnection>
    let stats: DTLSServerStats

    init(channel: Channel, accepted: HandoffQueue<DTLSConnection>, stats: DTLSServerStats) {
        self.channel = channel
        self.accepted = accepted
        self.stats = stats
    }

    /// A server dropped without ``close()`` closes itself: every session ends and the socket closes.
    deinit {
        accepted.finish(nil)
        for c in accepted.drain() { c.driver.eventLoop.execute { c.driver.value.closeLocally() } }
        channel.close(promise: nil)  // the handler ends the sessions when the channel goes inactive
    }

    /// The bound address; with port 0 it carries the port the system chose.
    public var localAddress: NetAddress? { NetAddress(channel.localAddress) }
    public var port: Int? { localAddress?.port }

    /// The next peer whose handshake succeeded. Throws `JSecError.Category.timeout` after `timeout`,
    /// `JSecError.Category.closed` once the server is closed, `JSecError.Category.usage` if another accept waits,
    /// `CancellationError` when the task is cancelled (the next connection then goes to the next accept).
    public func accept(timeout: Duration? = nil) async throws -> DTLSConnection {
        guard let c = try await accepted.pop(timeout: timeout) else {
            throw JSecError(.closed, "accept: the DTLS server is closed", code: .jsec(.closed))
        }
        return c
    }

    /// Sessions the server holds now (handshaking or established). A ClientHello without a valid cookie
    /// (a spoofed source, or a client's first attempt) never creates one.
    public var sessionCount: Int { stats.sessions }
    /// HelloVerifyRequests sent (cookie challenges) since the server started.
    public var helloVerifyRequestsSent: Int { stats.helloVerifyRequests }
    /// Handshakes that failed since the server started (verification, timeouts, garbage…), newest last.
    public var handshakeFailures: [JSecError] { stats.handshakeFailures }

    /// Closes every session (close_notify to established peers) and the socket. Idempotent.
    public func close() async {
        let channel = self.channel
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: DTLSServerHandler.self).closeAll()
        }.get()
        accepted.finish(nil)
        try? await channel.close().get()
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let server: DTLSServer
        public mutating func next() async throws -> DTLSConnection? {
            do {
                return try await server.accept()
            } catch let e as JSecError where e.category == .closed {
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(server: self) }
}
