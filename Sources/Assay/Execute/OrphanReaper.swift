import CAssaySystem
import Foundation
import Synchronization

/// Processes a dead worker leaves behind. A worker's process group dies with
/// it (`Subprocess.wait`), but programs a test or a fixture started with
/// Foundation's `Process` get process groups of their own: when the worker
/// crashes they are orphaned and would keep running (a peer server holding
/// its port). On Linux the runner makes itself a *child subreaper*
/// (`PR_SET_CHILD_SUBREAPER`): orphans of its workers are re-parented to it
/// instead of init, and after each worker exits the runner kills (SIGKILL,
/// with their process groups) and reaps every child of its own that is not a
/// worker it started — repeatedly, since their children are then orphans too.
/// Elsewhere it does nothing.
enum OrphanReaper {
    /// Spawning a worker and registering it happen under this lock, and so does the scan:
    /// a worker just started is never mistaken for an orphan. It holds whether this process is the
    /// subreaper (set once, before any worker starts).
    static let lock = Mutex(false)

    /// Makes this process the subreaper of its workers' descendants (the runner, isolated mode).
    static func enable() {
        #if os(Linux)
            lock.withLock { enabled in
                guard !enabled else { return }
                enabled = assay_become_child_subreaper() == 0
            }
        #endif
    }

    /// Kills and reaps adopted orphans; returns how many.
    @discardableResult
    static func reap() -> Int {
        #if os(Linux)
            return lock.withLock { enabled in
                guard enabled else { return 0 }
                let me = getpid()
                var total = 0
                for _ in 0..<8 {
                    let workers = ActiveWorkers.shared.pids
                    let orphans = children(of: me).filter { !workers.contains($0) }
                    if orphans.isEmpty { break }
                    for pid in orphans {
                        if getpgid(pid) == pid { _ = kill(-pid, SIGKILL) }
                        _ = kill(pid, SIGKILL)
                    }
                    for pid in orphans {
                        var status: Int32 = 0
                        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    }
                    total += orphans.count
                }
                return total
            }
        #else
            return 0
        #endif
    }

    /// Direct children of `parent`, from /proc/PID/stat (field 4, after the parenthesised name).
    static func children(of parent: pid_t) -> [pid_t] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [pid_t] = []
        for name in names {
            guard let pid = pid_t(name), pid != parent,
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { out.append(pid) }
        }
        return out
    }
}
