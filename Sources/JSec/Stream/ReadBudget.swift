import Synchronization

/// The process-wide budget for bytes received on streams and not yet read by the application
/// (``JSecRuntime/streamReadBudget``; docs/security.md, "Resource limits").
///
/// Every ``StreamBridgeHandler`` charges what it buffers here (one atomic add per batch received, one
/// atomic subtract per read that takes bytes). While the total is at or above the limit, a stream that
/// holds unread bytes and has no read waiting stops asking its socket for more, as it does above its own
/// read-ahead limit (``StreamBridgeHandler/idleReadAhead``): the peer's writes stall in the kernel's buffers and then in the peer. No
/// connection is closed. A stream with nothing unread (or a read waiting for bytes) still reads, so every
/// application that reads keeps making progress however many peers stall. Held streams ask again once
/// their application has read all they hold, or when the total falls below three quarters of the limit.
///
/// So the bytes all streams hold unread stay below the limit plus, per stream, one batch from the socket
/// (NIO reads at most 2 × 64 KiB per readiness event on a stream, 5 × 16 KiB on a TLS stream) — instead of 1 MiB
/// per stream.
///
/// Concurrency: `used`, `limit` and `heldCount` are atomics; the held streams are behind `held`'s mutex,
/// which is never held while calling a stream (lock order: a stream's state, then this mutex).
final class ReadBudget: Sendable {
    /// 4 MiB: the read-ahead (16 KiB) and one 64 KiB batch of 50 lagging streams at once. Streams whose
    /// application keeps up hold (next to) nothing, so they do not count against it.
    static let defaultLimit = 4 << 20
    static let shared = ReadBudget(limit: defaultLimit)

    private let limitBytes: Atomic<Int>
    private let usedBytes = Atomic<Int>(0)
    /// Streams held by the budget, to be told when it has room again.
    private let held = Mutex<[ObjectIdentifier: Weak]>([:])
    /// `held.count`, readable without the lock (the release path only looks at it).
    private let heldCount = Atomic<Int>(0)

    private struct Weak {
        weak var handler: StreamBridgeHandler?
    }

    init(limit: Int) {
        limitBytes = Atomic(max(0, limit))
    }

    var limit: Int {
        get { limitBytes.load(ordering: .relaxed) }
        set {
            limitBytes.store(max(0, newValue), ordering: .sequentiallyConsistent)
            wakeIfRoom(used: used)
        }
    }

    /// Bytes all streams sharing this budget hold unread now.
    var used: Int { usedBytes.load(ordering: .relaxed) }

    /// Reading resumes below this (three quarters of the limit), so held streams are not woken per byte.
    private var resumeMark: Int {
        let l = limit
        return l - l / 4
    }

    /// Adds `delta` bytes (negative: bytes read or dropped); a decrease may wake held streams.
    func adjust(_ delta: Int) {
        let now = usedBytes.add(delta, ordering: .sequentiallyConsistent).newValue
        if delta < 0 { wakeIfRoom(used: now) }
    }

    /// Whether `handler`, which holds unread bytes, must stop reading: true while the budget is spent,
    /// and then `handler` is told (``StreamBridgeHandler/budgetHasRoom()``) when it has room again.
    func holdIfSpent(_ handler: StreamBridgeHandler) -> Bool {
        // The common case, lock-free: room.
        if usedBytes.load(ordering: .relaxed) < limit { return false }
        return held.withLock { streams in
            // Counted before the total is looked at again, so a release that brings the total down
            // after this look sees the count and wakes this stream (both sequentially consistent).
            heldCount.add(1, ordering: .sequentiallyConsistent)
            if usedBytes.load(ordering: .sequentiallyConsistent) < limit {
                heldCount.subtract(1, ordering: .sequentiallyConsistent)
                return false
            }
            if streams.updateValue(Weak(handler: handler), forKey: ObjectIdentifier(handler)) != nil {
                heldCount.subtract(1, ordering: .sequentiallyConsistent)  // already held
            }
            return true
        }
    }

    /// Forgets `handler` (it left its pipeline).
    func forget(_ handler: StreamBridgeHandler) {
        guard heldCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        held.withLock { streams in
            if streams.removeValue(forKey: ObjectIdentifier(handler)) != nil {
                heldCount.subtract(1, ordering: .sequentiallyConsistent)
            }
        }
    }

    private func wakeIfRoom(used: Int) {
        guard heldCount.load(ordering: .sequentiallyConsistent) > 0, used < resumeMark else { return }
        let woken = held.withLock { streams -> [Weak] in
            heldCount.subtract(streams.count, ordering: .sequentiallyConsistent)
            defer { streams.removeAll() }
            return Array(streams.values)
        }
        for w in woken { w.handler?.budgetHasRoom() }
    }
}
