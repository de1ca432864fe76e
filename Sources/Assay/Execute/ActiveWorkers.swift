import Foundation

/// Worker process groups currently running, so that an interrupted runner
/// (Ctrl-C, SIGTERM) takes its workers down with it instead of leaving
/// orphans. State behind `lock`: the `@unchecked Sendable` is safe.
final class ActiveWorkers: @unchecked Sendable {
    static let shared = ActiveWorkers()
    private let lock = NSLock()
    private var groups = Set<pid_t>()
    private var sources: [any DispatchSourceSignal] = []

    func add(_ pid: pid_t) { _ = lock.withLock { groups.insert(pid) } }
    func remove(_ pid: pid_t) { _ = lock.withLock { groups.remove(pid) } }
    var pids: Set<pid_t> { lock.withLock { groups } }

    func killAll() {
        for pid in lock.withLock({ groups }) {
            _ = kill(-pid, SIGKILL)
            _ = kill(pid, SIGKILL)
        }
    }

    /// On SIGINT/SIGTERM/SIGHUP: kill every worker group, exit 128+signal.
    func installSignalHandlers() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                src.setEventHandler { [self] in
                    killAll()
                    FileHandle.standardError.write(Data("\nassay: interrupted (signal \(sig)); workers killed\n".utf8))
                    exit(128 + sig)
                }
                src.resume()
                sources.append(src)
            }
        }
    }
}

/// The worker side: exit if the runner that started us goes away.
enum ParentWatch {
    static func start() {
        let parent = getppid()
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler {
            if getppid() != parent { _exit(3) }
        }
        timer.resume()
        keep = timer
    }
    nonisolated(unsafe) private static var keep: (any DispatchSourceTimer)?  // set once at worker start, on the main thread, before any case runs
}
