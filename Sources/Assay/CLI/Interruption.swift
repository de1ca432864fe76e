import Foundation

/// Keeps the results of finished cases and suites as the run goes, so that
/// an interrupted run (SIGINT, SIGTERM, SIGHUP) can still write them. Once
/// `freeze()` is called, later results (e.g. the "crash" of a worker that
/// was just killed) are dropped and no longer shown. State behind `lock`:
/// the `@unchecked Sendable` is safe. An `NSLock`, not a `Mutex` (docs/architecture.md, Locks): with `-j N`
/// the supervisors' threads report finished cases at once, and ThreadSanitizer does not see a contended
/// `Mutex` (as a `Mutex`, `tools/sanitizers/tsan.sh -f unit -f regression` reported `caseFinished` from
/// two threads as a race).
final class FinishedResults: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let forward: any RunObserver
    private var cases: [CaseResult] = []
    private var suites: [SuiteResult] = []
    private var frozen = false
    private var failureSeen = false
    private var firstFailure: (@Sendable (CaseResult) -> Never)?

    init(forwardingTo forward: any RunObserver) { self.forward = forward }

    func caseStarted(_ id: String) {
        guard !lock.withLock({ frozen }) else { return }
        forward.caseStarted(id)
    }

    func caseFinished(_ result: CaseResult) {
        let (kept, stop): (Bool, (@Sendable (CaseResult) -> Never)?) = lock.withLock {
            if frozen { return (false, nil) }
            cases.append(result)
            guard result.status.isFailure, !failureSeen, let handler = firstFailure else { return (true, nil) }
            failureSeen = true
            return (true, handler)
        }
        if kept { forward.caseFinished(result) }
        // -x: stop from another thread (this one may be the executor's, which the stop must not wait for).
        if let stop { DispatchQueue.global().async { stop(result) } }
    }

    /// `runner -x`: called once, with the first failing case (`CaseStatus.isFailure`); it does not return.
    var onFirstFailure: (@Sendable (CaseResult) -> Never)? {
        get { lock.withLock { firstFailure } }
        set { lock.withLock { firstFailure = newValue } }
    }

    func suiteFinished(_ suite: SuiteResult, cases finishedCases: [CaseResult]) {
        let kept: Bool = lock.withLock {
            if frozen { return false }
            suites.append(suite)
            return true
        }
        if kept { forward.suiteFinished(suite, cases: finishedCases) }
    }

    /// True once `freeze()` was called (the run is being interrupted), or once -x saw its first failure
    /// (the stop is on its way: the run must not also finish normally).
    var isFrozen: Bool { lock.withLock { frozen || (failureSeen && firstFailure != nil) } }

    /// Stops collecting; returns what finished.
    func freeze() -> (suites: [SuiteResult], cases: [CaseResult]) {
        lock.withLock {
            frozen = true
            return (suites, cases)
        }
    }
}

/// What an interrupted runner does after its workers are killed: remove its
/// temporary files, write the finished cases' results (run marked
/// `interrupted`, atomically), print the closing lines, exit 128+signal
/// (130 for SIGINT, 143 for SIGTERM) — or 1 when `-x` stopped the run at its
/// first failure.
enum Interruption {
    enum Reason: Sendable {
        /// SIGINT, SIGTERM or SIGHUP.
        case signal(Int32)
        /// `runner -x`: this case failed.
        case failFast(CaseResult)
    }

    static func finish(
        _ reason: Reason, finished: FinishedResults, plan: Plan,
        write: @Sendable (RunResults) -> Void, reporter: ConsoleReporter, metadata: RunMetadata
    ) -> Never {
        // Stop collecting first, so the killed workers' last words (a "crashed" case) are not recorded.
        let (suites, cases) = finished.freeze()
        let workers = ActiveWorkers.shared.killAll()
        switch reason {
        case .signal(let sig):
            FileHandle.standardError.write(Data("\nassay: interrupted (signal \(sig)); workers killed\n".utf8))
        case .failFast(let c):
            FileHandle.standardError.write(Data("\nassay: stopping at the first failure (-x): \(c.id) \(c.status.rawValue); workers killed\n".utf8))
        }
        // Let the killed workers go before removing what they left.
        let deadline = DispatchTime.now().uptimeNanoseconds + 2_000_000_000
        while workers.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(10_000)
        }
        for pid in workers { WorkerLeftovers.remove(workerPID: pid) }
        removeOwnTemporaries()
        var allSuites = suites
        // Suites that had started but not finished: listed as "interrupted".
        for ps in plan.suites where !suites.contains(where: { $0.category == ps.suite.category && $0.name == ps.suite.name }) {
            guard cases.contains(where: { $0.category == ps.suite.category && $0.suite == ps.suite.name }) else { continue }
            allSuites.append(
                SuiteResult(
                    category: ps.suite.category, name: ps.suite.name, slug: ps.suite.slug,
                    description: ps.suite.description, status: "interrupted", duration: 0))
        }
        var meta = metadata
        meta.interrupted = true
        meta.endTime = Date()
        meta.duration = meta.endTime!.timeIntervalSince(meta.startTime)
        let results = RunResults(
            run: meta, totals: Totals(counting: cases, suiteFailures: suites.filter { $0.failure != nil }.count),
            suites: allSuites, cases: cases)
        write(results)
        reporter.finish(results)
        switch reason {
        case .signal(let sig):
            FileHandle.standardError.write(
                Data("assay: interrupted after \(cases.count) of \(plan.caseCount) cases; results of the finished cases written\n".utf8))
            exit(128 + sig)
        case .failFast:
            FileHandle.standardError.write(
                Data("assay: stopped (-x) after \(cases.count) of \(plan.caseCount) cases; results of the finished cases written\n".utf8))
            exit(1)
        }
    }

    /// `<tmp>/assay-<pid>-*` (suite request files, case scratch directories)
    /// and `/tmp/assay-c<pid>-*` (coordinator sockets) of this process.
    static func removeOwnTemporaries() {
        let fm = FileManager.default
        for (dir, prefix) in [(NSTemporaryDirectory(), "assay-\(getpid())-"), ("/tmp", "assay-c\(getpid())-")] {
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(prefix) {
                try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent(name))
            }
        }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
