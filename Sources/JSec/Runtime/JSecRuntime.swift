import NIOCore
import NIOPosix
import Synchronization

/// Process-wide defaults.
public enum JSecRuntime {
    /// The event loops streams run on unless told otherwise: NIO's shared group, one thread per core.
    public static var eventLoopGroup: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// Makes Swift Concurrency run tasks on JSec's event loops (NIO's shared group) instead of
    /// its own cooperative thread pool.
    ///
    /// Every `read`, `chunk` and `write` on a stream crosses from the calling task to the
    /// stream's event loop and back. On the cooperative pool each crossing is a thread wake-up;
    /// with tasks on the event loops it is usually a jump within one thread. jsec-bench measured
    /// a lock-step 64 KiB TLS echo about twice as fast this way on the 2-core machine
    /// (docs/performance.md). The price: a task that blocks its thread (a synchronous wait,
    /// heavy computation) now stalls network I/O on that event loop too.
    ///
    /// Call it first thing in `main`, on the main thread, before tasks are started. Later calls
    /// do nothing and return false (NIO's installer may only run once per process).
    ///
    /// `package`, not public (issue 22): it replaces the global executor of the whole process — every task of
    /// every library, not only JSec's — once and for good, which is the application's decision, not a
    /// library's. This package's programs use it (the runner with `JSEC_TASKS_ON_EVENT_LOOPS=1`, `jsec-peer`,
    /// `jsec-bench`); an application that wants it calls what this wraps, NIO's
    /// `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()`, first thing
    /// in its `main` (docs/api/README.md, "Not public").
    @discardableResult
    package static func runTasksOnEventLoops() -> Bool {
        guard installed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    private static let installed = Atomic<Bool>(false)

    /// The process-wide budget, in bytes, for bytes received on streams (TCP, Unix, TLS) and not yet
    /// read by the application, across all streams. Default 4 MiB (the 16 KiB read-ahead and one 64 KiB batch
    /// of 50 lagging streams); `Int.max` turns it off, 0 makes every stream read only when it holds nothing.
    ///
    /// A stream whose application has no read waiting reads ahead at most 16 KiB, then stops reading
    /// from its socket until the application reads. While the total held by all streams is at or above this budget, a stream that
    /// holds unread bytes and has no read waiting stops sooner: its peer's writes stall (in the kernel's
    /// buffers, then in the peer). No connection is closed. A stream with nothing unread, or with a
    /// `chunk` waiting for more, still reads, so every application that reads makes progress. Held
    /// streams read again once their application has read what they hold, or when the total falls below
    /// three quarters of the budget. The bytes all streams hold unread stay below the budget plus, per
    /// stream, one batch read from its socket (at most two receive buffers, ≤ 2 × 64 KiB, and a TLS record; a TLS
    /// stream's batch is at most five of 16 KiB).
    /// docs/security.md, "Resource limits".
    ///
    /// May be changed at any time; a lower value takes effect at each stream's next read from its socket.
    public static var streamReadBudget: Int {
        get { ReadBudget.shared.limit }
        set { ReadBudget.shared.limit = newValue }
    }

    /// The bytes all streams hold received and not yet read now (what counts against ``streamReadBudget``).
    public static var streamBytesUnread: Int { ReadBudget.shared.used }
}
