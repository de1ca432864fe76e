import Foundation
import Assay
import JSec
#if canImport(Glibc)
    import Glibc
#endif

/// A call run in its own task, so a test can cancel it and wait (bounded) for how it ended.
final class Launched<T: Sendable>: Sendable {
    let task: Task<Void, Never>
    private let box: SharedLock<Result<T, any Error>?>

    init(_ body: @escaping @Sendable () async throws -> T) {
        let box = SharedLock<Result<T, any Error>?>(nil)
        self.box = box
        task = Task {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            box.withLock { $0 = r }
        }
    }

    /// How the call ended; fails if it is still running after `within` (a liveness bound, not a speed check).
    func outcome(_ what: String, within: Duration = .seconds(10)) async throws -> Result<T, any Error> {
        let deadline = ContinuousClock.now + within
        while true {
            if let r = box.withLock({ $0 }) { return r }
            try check(ContinuousClock.now < deadline, "\(what): still waiting \(within) later")
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Starts `body`, lets it reach its wait, cancels its task: it must end with `CancellationError`.
func checkCancelledWhileWaiting<T: Sendable>(
    _ what: String, settle: Duration = .milliseconds(150), within: Duration = .seconds(10),
    _ body: @escaping @Sendable () async throws -> T
) async throws {
    let call = Launched(body)
    try await Task.sleep(for: settle)
    call.task.cancel()
    try expectCancellation(try await call.outcome("\(what) after its task was cancelled", within: within), what)
}

/// Runs `body` in a task cancelled before the call starts: it must throw `CancellationError`.
func checkCancelledBeforeStart<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws {
    let call = Launched { () async throws -> T in
        withUnsafeCurrentTask { $0?.cancel() }
        return try await body()
    }
    try expectCancellation(try await call.outcome("\(what) in a cancelled task"), what)
}

private func expectCancellation<T>(_ result: Result<T, any Error>, _ what: String) throws {
    switch result {
    case .success(let v): throw CheckFailure(message: "\(what): expected CancellationError, it returned \(v)", file: #fileID, line: #line)
    case .failure(let e): try check(e is CancellationError, "\(what): expected CancellationError, got \(e)")
    }
}

enum ProcessResources {
    /// Descriptors this process has open.
    static var openDescriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }

    /// What each open descriptor is (`"19": "socket:[2463156]"`), to name the ones a failed check found left over.
    static var descriptorTargets: [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "?") })
    }

    /// The descriptors open now that were not (or were something else) in `before`, each with what it is and, for a
    /// TCP socket, its ports and state from /proc/net/tcp (`19 → socket:[2463156] port 40123 → port 55550 CLOSE_WAIT`).
    static func descriptorsOpenedSince(_ before: [String: String]) -> [String] {
        let now = descriptorTargets  // before the table is opened: its own descriptor is not a leftover
        let handle = FileHandle(forReadingAtPath: "/proc/self/net/tcp")  // read to the end: its size says 0
        let table = (try? handle?.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        try? handle?.close()
        let states = ["01": "ESTABLISHED", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "0A": "LISTEN"]
        func port(_ address: Substring) -> String { String(Int(address.split(separator: ":").last ?? "", radix: 16) ?? 0) }
        return now.filter { before[$0.key] != $0.value }.map { fd, target in
            let inode = target.hasPrefix("socket:[") ? String(target.dropFirst(8).dropLast()) : ""
            let row = table.split(separator: "\n").map { $0.split(separator: " ") }.first { $0.count > 9 && $0[9] == inode }
            let tcp = row.map { " port \(port($0[1])) → port \(port($0[2])) \(states[String($0[3])] ?? String($0[3]))" } ?? ""
            return "\(fd) → \(target)\(tcp)"
        }.sorted()
    }

    /// CPU time (user + system) this process has used, in seconds.
    static var cpuSeconds: Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Waits (bounded: a liveness limit, multiplied by the run's --timeout-scale) until `condition` holds.
    static func waitUntil(_ what: String, timeout unscaled: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let timeout = unscaled * TestContext.timeoutScale
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            try check(ContinuousClock.now < deadline, "\(what): still not the case after \(timeout)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
