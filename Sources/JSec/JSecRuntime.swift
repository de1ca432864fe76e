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
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        guard installed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    private static let installed = Atomic<Bool>(false)
}
