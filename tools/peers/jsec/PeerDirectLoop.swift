import CJSecPeerSystem
import Foundation
import Synchronization

/// One thread: runs the jobs of the tasks that prefer it, and between them waits in `epoll_wait` for the sockets
/// those tasks wait on. Sockets are registered once, edge-triggered for reading; a task always tries its system
/// call first and waits only after `EAGAIN`, so an edge that comes while nobody waits is not needed. Writability
/// is asked for only while a write waits (as the C peer's epoll mode does), so that a socket's send buffer
/// draining does not wake the loop for nothing.
final class DirectLoop: TaskExecutor, @unchecked Sendable {
    private let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
    private let wakefd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    private var runnable: [UnownedJob] = []  // the loop thread's alone, as are `spare` and `waiters`
    private var spare: [UnownedJob] = []
    private var waiters: [Int32: UnsafeContinuation<Void, Never>] = [:]
    private let fromOtherThreads = Mutex<[UnownedJob]>([])
    private let loopThread = Atomic<UInt>(0)

    init() {
        precondition(epfd >= 0 && wakefd >= 0, "epoll_create1/eventfd: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakefd
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &event)
        let thread = Thread { [self] in run() }
        thread.name = "direct-loop"
        thread.start()
        while loopThread.load(ordering: .acquiring) == 0 { sched_yield() }
    }

    private var onLoop: Bool { loopThread.load(ordering: .relaxed) == UInt(pthread_self()) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if onLoop {
            runnable.append(job)
            return
        }
        let wake = fromOtherThreads.withLock { queue in
            queue.append(job)
            return queue.count == 1
        }
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakefd, &one, 8)
        }
    }

    private func run() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        let executor = asUnownedTaskExecutor()
        while true {
            while !runnable.isEmpty {
                swap(&runnable, &spare)
                for job in spare { job.runSynchronously(on: executor) }
                spare.removeAll(keepingCapacity: true)
            }
            let n = epoll_wait(epfd, &events, Int32(events.count), -1)
            for i in 0..<max(0, Int(n)) {
                let fd = events[i].data.fd
                if fd == wakefd {
                    var count: UInt64 = 0
                    _ = Glibc.read(wakefd, &count, 8)
                    runnable += fromOtherThreads.withLock { queue in
                        let taken = queue
                        queue.removeAll()
                        return taken
                    }
                } else if let waiter = waiters.removeValue(forKey: fd) {
                    waiter.resume()
                }
            }
        }
    }

    func register(_ fd: Int32) {
        interest(fd, writable: false, operation: EPOLL_CTL_ADD)
    }

    private func interest(_ fd: Int32, writable: Bool, operation: Int32) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue | (writable ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        epoll_ctl(epfd, operation, fd, &event)
    }

    func unregister(_ fd: Int32) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    /// Waits for the next readiness edge of `fd` (with `writable`, writability too). Call it on the loop (a task
    /// that prefers this executor).
    func wait(_ fd: Int32, writable: Bool = false) async {
        precondition(onLoop, "DirectLoop.wait off its thread")
        if writable { interest(fd, writable: true, operation: EPOLL_CTL_MOD) }
        await withUnsafeContinuation { waiters[fd] = $0 }
        if writable { interest(fd, writable: false, operation: EPOLL_CTL_MOD) }
    }

    /// Bytes read into `buffer` (0: end of stream), nil on an error.
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) async -> Int? {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            guard errno == EAGAIN || errno == EINTR else { return nil }
            await wait(fd)
        }
    }

    /// Writes every byte of `bytes`; false on an error.
    func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                await wait(fd, writable: true)
            } else {
                return false
            }
        }
        return true
    }
}
