import NIOConcurrencyHelpers
import NIOCore

/// An event loop's 64 KiB plaintext buffers, handed back by the streams that read them and handed out again to the
/// next record batch a ``TLSHandler`` on that loop decrypts (``TLSLoopLoad/plaintext``).
///
/// Why: a TLS stream's plaintext waits in its bridge until the stream's task reads it, so with many busy
/// connections on a loop, one wake-up allocates a 64 KiB buffer per connection and the tasks free them all a moment
/// later. glibc then gives the top of its heap back to the kernel (its trim threshold is 128 KiB) and the next
/// wake-up faults every page in again: the 50-client TLS echo's client took ~300,000 page faults in 3 s, and the echo
/// ran a third faster with the trim threshold raised (docs/performance.md, "Plaintext buffers kept per loop").
///
/// Safety rests on the buffers' value semantics: a buffer is handed out only while nothing else refers to its storage
/// (`modifyIfUniquelyOwned`), so a reader that still holds a slice of it keeps its bytes; such a buffer stays
/// here until it is free or is replaced.
///
/// Bound (docs/security.md, "Resource limits"): at most one buffer per TLS connection open on the loop
/// (``setCapacity(connections:)``, from ``TLSLoopLoad``) and at most ``maximumCount`` (4 MiB) per loop; an idle
/// connection holds none of them, and the pool goes with the loop's last TLS connection.
final class PlaintextBufferPool: Sendable {
    /// The one size pooled: a receive batch's plaintext (``TLSHandler``'s gathering buffer). Smaller buffers are
    /// allocated as they are needed.
    static let bufferSize = 65_536
    static let maximumCount = 64

    private struct State {
        var buffers: [ByteBuffer] = []
        var capacity = 0
        var reused = 0
        var kept = 0
    }

    /// A pthread lock, not a `Mutex`: the loop takes and the streams' tasks, on any thread, give back, so it is
    /// contended by design, and what passes through it is memory one thread read and another then writes — the
    /// hand-off ThreadSanitizer must see (docs/architecture.md, Locks).
    private let state = NIOLockedValueBox(State())

    /// How many buffers may be kept: the loop's TLS connections, at most ``maximumCount``. Lowering it lets go of the
    /// buffers above it.
    func setCapacity(connections: Int) {
        state.withLockedValue { s in
            s.capacity = min(max(connections, 0), Self.maximumCount)
            if s.buffers.count > s.capacity { s.buffers.removeLast(s.buffers.count - s.capacity) }
        }
    }

    /// A kept buffer nothing else refers to, emptied; nil when there is none (allocate one).
    func take() -> ByteBuffer? {
        state.withLockedValue { s in
            for i in s.buffers.indices {
                // Emptied only if nothing else refers to it: a reader's slice keeps its bytes.
                guard s.buffers[i].modifyIfUniquelyOwned({ $0.clear() }) != nil else { continue }
                s.reused += 1
                return s.buffers.swapRemoveAt(i)
            }
            return nil
        }
    }

    /// Keeps `buffer` (a 64 KiB plaintext buffer its stream has read to the end) for ``take()``. With the pool full,
    /// it replaces a kept buffer some reader still holds, or is let go.
    func giveBack(_ buffer: ByteBuffer) {
        guard buffer.capacity == Self.bufferSize else { return }
        state.withLockedValue { s in
            if s.buffers.count < s.capacity {
                s.buffers.append(buffer)
                s.kept += 1
                return
            }
            for i in s.buffers.indices {
                guard s.buffers[i].modifyIfUniquelyOwned({ _ in }) == nil else { continue }
                s.buffers[i] = buffer  // one a reader still holds: this pool's reference to it goes
                s.kept += 1
                return
            }
        }
    }

    /// For tests: buffers kept now, buffers handed out again, buffers taken in so far.
    var counts: (held: Int, reused: Int, kept: Int) {
        state.withLockedValue { ($0.buffers.count, $0.reused, $0.kept) }
    }
}

extension Array {
    /// Removes the element at `i` in O(1), moving the last one into its place.
    fileprivate mutating func swapRemoveAt(_ i: Int) -> Element {
        swapAt(i, count - 1)
        return removeLast()
    }
}
