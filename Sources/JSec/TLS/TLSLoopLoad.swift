import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// How many TLS connections an event loop serves, for one choice on the write path (``TLSHandler``), and the
/// loop's pool of plaintext buffers (``plaintext``), at most one per connection.
///
/// With few, a large write's records go down one at a time as they are sealed, so the peer's core
/// decrypts the first while this one seals the next: a lock-step exchange then uses both cores, as a
/// blocking `SSL_write` over a socket does. With many, every core has work anyway, and one send per
/// write costs fewer system calls and wake-ups at both ends. docs/performance.md, "Records as they
/// are sealed", has the measurements behind both halves and ``pipelineUpTo``.
final class TLSLoopLoad: Sendable {
    /// A loop serving at most this many TLS connections sends a large write's records as they are sealed.
    static let pipelineUpTo = 4

    private let connections = Atomic<Int>(0)
    /// The 64 KiB plaintext buffers the loop's TLS streams have read and its handlers decrypt into again.
    let plaintext = PlaintextBufferPool()
    /// The loop counted (its entry's key), held so that its address cannot be reused by another loop while the entry exists (an
    /// `EmbeddedEventLoop` whose channels are never torn down keeps its entry). Not weak: a weak reference gives
    /// the loop a side table, and every retain and release of it then takes the runtime's slow path
    /// (`stream.tls13.64b` +3.6% instructions under callgrind).
    private let loop: any EventLoop
    /// One entry per loop that serves a TLS connection now (dropped when its last one goes). A pthread lock, not a
    /// `Mutex`: every loop's handlers join and leave under it, so loops contend for it, and ThreadSanitizer reported
    /// a contended `Mutex` here as a race (docs/architecture.md, Locks).
    private static let loads = NIOLockedValueBox<[ObjectIdentifier: TLSLoopLoad]>([:])

    private init(loop: any EventLoop) { self.loop = loop }

    /// Counts a connection on `loop` (``leave()`` exactly once when it goes).
    static func join(_ loop: any EventLoop) -> TLSLoopLoad {
        let key = ObjectIdentifier(loop)
        return loads.withLockedValue { loads in
            let load = loads[key] ?? TLSLoopLoad(loop: loop)
            loads[key] = load
            let count = load.connections.add(1, ordering: .relaxed).newValue
            load.plaintext.setCapacity(connections: count)
            return load
        }
    }

    func leave() {
        let key = ObjectIdentifier(loop)
        Self.loads.withLockedValue { loads in
            let count = connections.subtract(1, ordering: .relaxed).newValue
            plaintext.setCapacity(connections: count)
            if count == 0, loads[key] === self { loads[key] = nil }
        }
    }

    /// Whether a large write's records go down as they are sealed (few connections on this loop).
    var pipelines: Bool { connections.load(ordering: .relaxed) <= Self.pipelineUpTo }
}
