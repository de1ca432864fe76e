import Foundation
import Synchronization

/// Worker process groups currently running, so that an interrupted runner
/// (Ctrl-C, SIGTERM) takes its workers down with it instead of leaving
/// orphans. Its state lives in a `Mutex`: the class is `Sendable`.
final class ActiveWorkers: Sendable {
    static let shared = ActiveWorkers()
    private struct State {
        var groups = Set<pid_t>()
        var sources: [any DispatchSourceSignal] = []
        /// Set by `killAll` (the run is being interrupted or stopped): from then on no worker starts.
        var closed = false
        var interruptHandler: (@Sendable (Int32) -> Never)?
    }
    private let state = Mutex(State())

    /// Runs `start` (which creates a worker's files and spawns it, returning its pid) and registers the
    /// pid, unless `killAll` has run: then nothing starts and the result is nil. Under the lock that
    /// `killAll` takes, so a worker is either started before the kill (and killed with the others) or
    /// not at all — a supervisor that sees its worker die of the interrupt cannot start a replacement
    /// that outlives the runner and leaves its temporaries behind.
    func startUnlessClosed<T: Sendable, E: Error>(_ start: () throws(E) -> (T, pid_t?)) throws(E) -> T? {
        try state.withLock { (s) throws(E) -> T? in
            guard !s.closed else { return nil }
            let (value, pid) = try start()
            if let pid { s.groups.insert(pid) }
            return value
        }
    }

    /// True once `killAll` has run.
    var isClosed: Bool { state.withLock { $0.closed } }
    func remove(_ pid: pid_t) { _ = state.withLock { $0.groups.remove(pid) } }
    var pids: Set<pid_t> { state.withLock { $0.groups } }

    /// Kills every worker's process group and lets no new worker start (`startUnlessClosed`); returns their pids.
    @discardableResult
    func killAll() -> [pid_t] {
        let pids: [pid_t] = state.withLock { s in
            s.closed = true
            return Array(s.groups)
        }
        for pid in pids {
            _ = kill(-pid, SIGKILL)
            _ = kill(pid, SIGKILL)
        }
        return pids
    }

    /// Called on SIGINT/SIGTERM/SIGHUP instead of the default (kill the
    /// workers, exit 128+signal): it must kill the workers itself (`killAll`),
    /// after it has stopped collecting results, and exit.
    var onInterrupt: (@Sendable (Int32) -> Never)? {
        get { state.withLock { $0.interruptHandler } }
        set { state.withLock { $0.interruptHandler = newValue } }
    }

    /// On SIGINT/SIGTERM/SIGHUP: kill every worker group, then `onInterrupt` (or exit 128+signal).
    func installSignalHandlers() {
        state.withLock { s in
            guard s.sources.isEmpty else { return }
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                src.setEventHandler { [self] in
                    if let handler = onInterrupt { handler(sig) }
                    killAll()
                    FileHandle.standardError.write(Data("\nassay: interrupted (signal \(sig)); workers killed\n".utf8))
                    exit(128 + sig)
                }
                src.resume()
                s.sources.append(src)
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
