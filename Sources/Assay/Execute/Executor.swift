import Foundation

/// Stage 3, execute: runs the planned suites, `jobs` at a time, isolated in
/// workers or in this process.
package enum Executor {
    package static func run(
        _ plan: Plan, options: ExecutionOptions, observer: any RunObserver
    )
        -> [(SuiteResult, [CaseResult])]
    {
        if !options.isolation {
            let ran = plan.suites.map { runInProcess($0, options: options, observer: observer) }
            blockingAwait { await FixtureStore.shared.tearDown() }  // worker-scoped fixtures end with the run
            return ran
        }
        OrphanReaper.enable()
        return ParallelSchedule.run(plan, options: options, observer: observer)
    }

    /// `--no-isolation`: same cases, same results, no subprocess. A crash
    /// takes the run down and a non-cooperative hang is abandoned (left running).
    static func runInProcess(
        _ planned: PlannedSuite, options: ExecutionOptions, observer: any RunObserver
    )
        -> (SuiteResult, [CaseResult])
    {
        let start = DispatchTime.now()
        let cases: [CaseResult] = blockingAwait {
            await ParticipantLaunch.$settings.withValue(.init(wrapper: options.wrapper, timeoutScale: options.timeoutScale)) {
                var out: [CaseResult] = []
                for c in planned.cases {
                    if c.skipReason == nil { observer.caseStarted(c.id) }
                    let o = await CaseExecutor.run(c, timeout: options.timeout(for: c, suite: planned.suite), retries: options.retries)
                    observer.caseFinished(o.result)
                    out.append(o.result)
                }
                await FixtureStore.shared.tearDown([.suite])
                return out
            }
        }
        let s = planned.suite
        let sr = SuiteResult(
            category: s.category, name: s.name, slug: s.slug, description: s.description,
            status: cases.contains { $0.status.isFailure } ? "failed" : "passed",
            duration: Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9,
            peakRSSBytes: ResourceUsage.peakRSSBytes(), workers: 0)
        observer.suiteFinished(sr, cases: cases)
        return (sr, cases)
    }
}

#if os(Linux)
    private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
    private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

enum ResourceUsage {
    /// This process's peak RSS so far, bytes.
    static func peakRSSBytes() -> Int? {
        var u = rusage()
        guard getrusage(RUSAGE_SELF_WHO, &u) == 0 else { return nil }
        return Int(u.ru_maxrss) * 1024
    }
}
