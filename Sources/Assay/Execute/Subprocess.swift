import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with posix_spawn in its own process group (so a
/// wrapper and everything it started can be killed together), stdout on a
/// pipe, stderr to a file.
final class Subprocess: Sendable {
    /// Why a worker was not started.
    enum SubprocessError: Error, CustomStringConvertible {
        /// The run is being interrupted: no worker starts any more.
        case interrupted
        var description: String { "the run is being interrupted" }
    }

    let pid: pid_t
    let stdoutFD: Int32
    private let workers: ActiveWorkers

    struct Exit {
        var status: Int32?  // exit status, when it exited
        var signal: Int32?  // terminating signal, when killed
        var maxRSSBytes: Int?
        var description: String {
            if let s = signal { return "killed by signal \(s) (\(Subprocess.signalName(s)))" }
            return "exited with status \(status ?? -1)"
        }
    }

    /// `prepare` (e.g. writing the worker's request file) runs just before the spawn, under the same
    /// lock, so that nothing of a worker is created once the run is interrupted.
    init(
        arguments: [String], stderrPath: String, environment: [String: String], workers: ActiveWorkers = .shared,
        prepare: () throws -> Void = {}
    ) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PlanError(description: "pipe() failed: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        // Spawned and registered under the reaper's lock: never taken for an orphan; and not at all once
        // the run is interrupted (`ActiveWorkers.killAll`).
        let started: Int32?
        do {
            started = try OrphanReaper.lock.withLock { _ in
                try workers.startUnlessClosed { () -> (Int32, pid_t?) in
                    try prepare()
                    let rc = posix_spawn(&child, arguments[0], &actions, &attr, argv, envp)
                    return (rc, rc == 0 ? child : nil)
                }
            }
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        guard let rc = started else {
            close(fds[0])
            throw SubprocessError.interrupted
        }
        guard rc == 0 else {
            close(fds[0])
            throw PlanError(description: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdoutFD = fds[0]
        self.workers = workers
    }

    /// Kills the whole process group.
    func kill() {
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits for the child and collects its status and peak RSS.
    func wait() -> Exit {
        close(stdoutFD)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        workers.remove(pid)
        // Leftovers of the group (e.g. children of a wrapper script) go too, and so do
        // orphans in groups of their own (programs a test or fixture started).
        _ = Glibc.kill(-pid, SIGKILL)
        OrphanReaper.reap()
        var e = Exit()
        // WIFEXITED / WTERMSIG are macros; decode by hand.
        if status & 0x7f == 0 { e.status = (status >> 8) & 0xff } else { e.signal = status & 0x7f }
        e.maxRSSBytes = Int(usage.ru_maxrss) * 1024
        return e
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGTERM: return "SIGTERM"
        case SIGPIPE: return "SIGPIPE"
        default: return "signal \(s)"
        }
    }
}

/// Reads newline-separated lines from a file descriptor with a deadline.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var eof = false

    init(fd: Int32) { self.fd = fd }

    enum Next { case line(Data), timeout, eof }

    /// The next line, or `.timeout` if none completes before `deadline` (uptime ns).
    mutating func next(deadline: UInt64) -> Next {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return .line(line)
            }
            if eof { return .eof }
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline { return .timeout }
            let ms = Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1))
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, ms)
            if r < 0 { if errno == EINTR { continue }; eof = true; continue }
            if r == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &chunk, chunk.count)
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; eof = true; continue }
            if n == 0 { eof = true; continue }
            buffer.append(contentsOf: chunk[..<n])
        }
    }
}
