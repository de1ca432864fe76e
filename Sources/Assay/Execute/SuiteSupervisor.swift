import Foundation

/// Runs one planned suite in worker subprocesses: starts a worker, follows
/// its events, kills it when a case overruns its timeout, and starts a new
/// worker for the cases left after a crash or a kill.
struct SuiteSupervisor {
    let planned: PlannedSuite
    let options: ExecutionOptions
    let observer: any RunObserver
    /// Extra seconds past a case's timeout before the parent kills the worker.
    static let killMargin = 3.0

    func run() -> (SuiteResult, [CaseResult]) {
        let suite = planned.suite
        let start = DispatchTime.now()
        var results = [CaseResult?](repeating: nil, count: planned.cases.count)
        // Cases the plan already skipped never reach a worker.
        for (i, c) in planned.cases.enumerated() where c.skipReason != nil {
            var r = CaseExecutor.skeleton(c)
            r.message = c.skipReason
            results[i] = r
            observer.caseFinished(r)
        }
        var workers = 0
        var peakRSS: Int?
        var suiteFailure: String?
        var workerOutput: String?
        let tmpDir = NSTemporaryDirectory() + "assay-\(getpid())-\(planned.suiteIndex)-\(UInt32.random(in: 0...UInt32.max))"
        // Not once the run is interrupted: the interrupt's clean-up may already have run.
        _ = ActiveWorkers.shared.startUnlessClosed { (try? FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true), nil) }
        defer { try? FileManager.default.removeItem(atPath: tmpDir) }

        while true {
            let pending = results.indices.filter { results[$0] == nil }
            if pending.isEmpty { break }
            workers += 1
            let outcome = runWorker(pending: pending, number: workers, tmpDir: tmpDir, results: &results)
            if let rss = outcome.exit?.maxRSSBytes { peakRSS = max(peakRSS ?? 0, rss) }
            if let f = outcome.suiteFailure {
                suiteFailure = f
                workerOutput = outcome.stderrTail
                // Nothing ran in this worker: fail what is left instead of retrying forever.
                for i in results.indices where results[i] == nil {
                    var r = CaseExecutor.skeleton(planned.cases[i])
                    r.status = .crashed
                    r.message = "not run: \(f)"
                    results[i] = r
                    observer.caseFinished(r)
                }
            } else if outcome.stderrTail != nil && workerOutput == nil {
                workerOutput = outcome.stderrTail
            }
        }
        let cases = results.map { $0! }
        let failed = suiteFailure != nil || cases.contains { $0.status.isFailure }
        let sr = SuiteResult(
            category: suite.category, name: suite.name, slug: suite.slug, description: suite.description,
            status: failed ? "failed" : "passed",
            duration: Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9,
            peakRSSBytes: peakRSS, workers: workers, failure: suiteFailure, workerOutput: failed ? workerOutput : nil)
        observer.suiteFinished(sr, cases: cases)
        return (sr, cases)
    }

    struct WorkerOutcome {
        var exit: Subprocess.Exit?
        var suiteFailure: String?
        var stderrTail: String?
    }

    /// One worker for the `pending` cases. Fills `results` for every case it
    /// ran (or that crashed or timed out in it).
    func runWorker(pending: [Int], number: Int, tmpDir: String, results: inout [CaseResult?]) -> WorkerOutcome {
        let suite = planned.suite
        let req = WorkerRequest(
            suiteIndex: planned.suiteIndex, suiteName: suite.name, matricesDirectory: options.matricesDirectory,
            items: pending.map { i in
                let c = planned.cases[i]
                return .init(
                    testIndex: c.testIndex, comboIndex: c.comboIndex,
                    coordination: c.coordination.map { [$0.key, $0.value] },
                    timeout: options.timeout(for: c, suite: suite))
            }, wrapper: options.wrapper, timeoutScale: options.timeoutScale,
            retries: options.retries > 0 ? options.retries : nil)
        let reqPath = tmpDir + "/request-\(number).json"
        let errPath = tmpDir + "/stderr-\(number).txt"
        let exe = options.executable ?? ExecutablePath.current() ?? CommandLine.arguments[0]
        var argv = [exe, WorkerProtocol.workerFlag, reqPath]
        if let w = options.wrapper, !w.trimmingCharacters(in: .whitespaces).isEmpty {
            argv = ["/bin/sh", "-c", "exec \(w) \"$@\"", "assay-worker"] + argv
        }
        let proc: Subprocess
        do {
            let request = try JSONEncoder().encode(req)
            proc = try Subprocess(arguments: argv, stderrPath: errPath, environment: Self.workerEnvironment()) {
                try request.write(to: URL(fileURLWithPath: reqPath))
            }
        } catch {
            return WorkerOutcome(suiteFailure: "cannot start worker: \(error)")
        }
        var reader = LineReader(fd: proc.stdoutFD)
        var running: Int?  // index into pending
        var runningSince: UInt64 = 0
        var killedForTimeout = false
        var progressed = false
        var sawDone = false
        let startupNs = UInt64(options.startupTimeout * 1e9)
        var deadline = DispatchTime.now().uptimeNanoseconds + startupNs
        loop: while true {
            switch reader.next(deadline: deadline) {
            case .eof:
                break loop
            case .timeout:
                proc.kill()
                killedForTimeout = true
                break loop
            case .line(let data):
                guard let ev = try? JSONDecoder().decode(WorkerEvent.self, from: data) else { continue }
                switch ev.type {
                case .hello:
                    deadline = DispatchTime.now().uptimeNanoseconds + startupNs
                case .start:
                    guard let i = ev.index, i < pending.count else { continue }
                    running = i
                    runningSince = DispatchTime.now().uptimeNanoseconds
                    let c = planned.cases[pending[i]]
                    let t =
                        (options.timeout(for: c, suite: suite) + CaseExecutor.cancellationGrace + Self.killMargin
                            + (c.test.coordinated.map { $0.gracefulTimeout * options.timeoutScale + CaseExecutor.coordinatorMargin } ?? 0))
                        * Double(options.retries + 1)  // every attempt gets the whole timeout
                    deadline = runningSince + UInt64(t * 1e9)
                    observer.caseStarted(c.id)
                case .result:
                    guard let i = ev.index, i < pending.count, var r = ev.result else { continue }
                    r.repetition = planned.cases[pending[i]].repetition  // the worker does not know it
                    results[pending[i]] = r
                    observer.caseFinished(r)
                    progressed = true
                    running = nil
                    deadline = DispatchTime.now().uptimeNanoseconds + startupNs
                case .done:
                    sawDone = true
                    // Exiting includes a wrapper's own work at exit (valgrind's leak check over the whole heap),
                    // which --timeout-scale stretches like every other wait.
                    deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Double(startupNs) * max(1, options.timeoutScale))
                }
            }
        }
        let exit = proc.wait()
        WorkerLeftovers.remove(workerPID: proc.pid)
        let tail = Self.tail(of: errPath)
        var outcome = WorkerOutcome(exit: exit, stderrTail: tail)
        if let i = running {
            let c = planned.cases[pending[i]]
            var r = CaseExecutor.skeleton(c)
            r.duration = Double(DispatchTime.now().uptimeNanoseconds - runningSince) / 1e9
            if killedForTimeout {
                r.status = .timedOut
                r.message = "exceeded its timeout of \(CaseExecutor.format(options.timeout(for: c, suite: suite))) s and did not stop; worker killed"
            } else {
                r.status = .crashed
                r.message =
                    "worker \(exit.description) while running this case"
                    + (Self.crashReason(inFile: errPath).map { ": " + $0 } ?? "")
            }
            if let tail { r.issues = [Issue(message: "worker stderr (last lines):\n" + tail, location: nil)] }
            results[pending[i]] = r
            observer.caseFinished(r)
            return outcome
        }
        if killedForTimeout {
            outcome.suiteFailure = "worker made no progress for \(CaseExecutor.format(options.startupTimeout)) s (starting or between cases); killed"
            return outcome
        }
        let ok = exit.signal == nil && (exit.status == 0 || exit.status == WorkerProtocol.abandonExitCode)
        if !ok || (!sawDone && exit.status != WorkerProtocol.abandonExitCode && results.contains(where: { $0 == nil })) {
            if let code = options.valgrindErrorExitCode, code != 0, exit.signal == nil, exit.status == code {
                outcome.suiteFailure = ValgrindWrapper.failure(code: code, stderrPath: errPath)
            } else if !progressed || results.allSatisfy({ $0 != nil }) {
                outcome.suiteFailure = "worker\(options.wrapper == nil ? "" : " (wrapped)") \(exit.description)"
            }
        }
        return outcome
    }

    /// The parent's environment; crash reports kept short unless the user chose otherwise.
    static func workerEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if env["SWIFT_BACKTRACE"] == nil {
            env["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,color=no,registers=none,images=none,limit=40"
        }
        return env
    }

    /// The runtime's one-line reason in a crash report ("Fatal error: …").
    static func crashReason(inFile path: String) -> String? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        let stderr = String(decoding: d.prefix(1 << 20), as: UTF8.self)
        let markers = ["Fatal error", "fatal error", "Precondition failed", "Assertion failed", "Segmentation fault", "terminate called"]
        return stderr.split(separator: "\n").first { line in markers.contains { line.contains($0) } }
            .map { String($0.trimmingCharacters(in: .whitespaces).prefix(300)) }
    }

    /// The last lines of a worker's stderr (nil if empty).
    static func tail(of path: String, lines: Int = 30) -> String? {
        guard let d = FileManager.default.contents(atPath: path), !d.isEmpty else { return nil }
        let text = String(decoding: d.suffix(16384), as: UTF8.self)
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
