import NIOCore
import NIOPosix
import Synchronization

/// Opens a UDP channel and closes it again if its bind or connect fails.
///
/// NIO's `DatagramBootstrap` (2.101) makes and registers the channel before it binds or connects, and on a failure
/// returns the error without closing that channel (its `ServerBootstrap` and `ClientBootstrap` close theirs): every
/// failed UDP bind — a port in use — kept a descriptor and a registered channel with its handlers, for the life of
/// the process. Here the initializer records the channel it prepares, and a failure closes it.
enum DatagramOpen {
    static func open(
        _ bootstrap: DatagramBootstrap,
        initializer: @escaping @Sendable (Channel) -> EventLoopFuture<Void> = { $0.eventLoop.makeSucceededVoidFuture() },
        _ start: (DatagramBootstrap) -> EventLoopFuture<Channel>
    ) async throws -> Channel {
        let made = Made()
        let prepared = bootstrap.channelInitializer { channel in
            made.channel.withLock { $0 = channel }
            return initializer(channel)
        }
        do {
            return try await start(prepared).value(abandoned: { $0.close(promise: nil) })
        } catch {
            made.channel.withLock { $0 }?.close(promise: nil)
            throw error
        }
    }

    /// The channel the initializer prepared (a class: the initializer closure escapes, a `Mutex` cannot be captured).
    private final class Made: Sendable {
        let channel = Mutex<(any Channel)?>(nil)
    }
}
