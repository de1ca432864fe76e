import Foundation
import Synchronization

/// `-j N` with isolation: which worker runs which cases.
///
/// A *unit* is a slice of one suite's cases run by one `SuiteSupervisor` (one
/// worker, or more after a crash). A suite is one unit unless `-j` is above 1,
/// it has at least ``minCasesToSplit`` cases to run and it declares no
/// ``SuiteTrait``: then its runnable cases are dealt round-robin into
/// `min(jobs, runnable / minCasesPerSlice)` slices, so each slice gets the same
/// mix of (cheap and costly) combinations. Units start largest first; the
/// `.exclusive` suites run after all the others, one at a time. Results come
/// back in plan order whatever the schedule, one suite result per suite.
enum ParallelSchedule {
    /// Suites with fewer runnable cases stay in one worker (a worker start costs more than it saves).
    static let minCasesToSplit = 64
    static let minCasesPerSlice = 32

    /// `-j` when neither the option nor `ASSAY_JOBS` is given: one worker per CPU this process may use.
    static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    struct Unit: Sendable {
        /// Position of the suite in `plan.suites`.
        let suite: Int
        /// Indices into that suite's `cases`, in plan order.
        let cases: [Int]
        let runnable: Int
    }

    /// How many slices a suite is cut into.
    static func sliceCount(_ ps: PlannedSuite, jobs: Int) -> Int {
        guard jobs > 1, !ps.suite.keepsCasesTogether else { return 1 }
        let runnable = ps.cases.reduce(0) { $0 + ($1.skipReason == nil ? 1 : 0) }
        guard runnable >= minCasesToSplit else { return 1 }
        return max(1, min(jobs, runnable / minCasesPerSlice))
    }

    /// The units of the plan, in plan order.
    static func units(_ plan: Plan, jobs: Int) -> [Unit] {
        var out: [Unit] = []
        for (si, ps) in plan.suites.enumerated() {
            let k = sliceCount(ps, jobs: jobs)
            var slices = [[Int]](repeating: [], count: k)
            var runnable = [Int](repeating: 0, count: k)
            var next = 0
            for (i, c) in ps.cases.enumerated() {
                if c.skipReason != nil { slices[0].append(i); continue }  // never reaches a worker
                slices[next].append(i)
                runnable[next] += 1
                next = (next + 1) % k
            }
            for s in 0..<k { out.append(Unit(suite: si, cases: slices[s], runnable: runnable[s])) }
        }
        return out
    }

    static func run(_ plan: Plan, options: ExecutionOptions, observer: any RunObserver) -> [(SuiteResult, [CaseResult])] {
        let jobs = max(1, options.jobs)
        let units = units(plan, jobs: jobs)
        let collector = SliceCollector(plan: plan, units: units, observer: observer)
        if jobs == 1 {
            runUnits(Array(units.indices), threads: 1, units: units, plan: plan, options: options, collector: collector)
        } else {
            let exclusive = units.indices.filter { plan.suites[units[$0].suite].suite.isExclusive }
            // Largest first (ties in plan order): the long slices start at once, the small suites fill in.
            let shared = units.indices.filter { !plan.suites[units[$0].suite].suite.isExclusive }
                .sorted { (units[$0].runnable, $1) > (units[$1].runnable, $0) }
            runUnits(shared, threads: jobs, units: units, plan: plan, options: options, collector: collector)
            runUnits(exclusive, threads: 1, units: units, plan: plan, options: options, collector: collector)
        }
        return collector.results()
    }

    /// Runs `order` (unit indices) on `threads` threads, each taking the next unit.
    static func runUnits(
        _ order: [Int], threads: Int, units: [Unit], plan: Plan, options: ExecutionOptions,
        collector: SliceCollector
    ) {
        guard !order.isEmpty else { return }
        let queue = UnitQueue(order)
        let group = DispatchGroup()
        for _ in 0..<min(threads, order.count) {
            group.enter()
            let t = Thread {
                while let u = queue.take() {
                    let unit = units[u]
                    let ps = plan.suites[unit.suite]
                    let slice = PlannedSuite(suiteIndex: ps.suiteIndex, suite: ps.suite, cases: unit.cases.map { ps.cases[$0] })
                    let start = DispatchTime.now().uptimeNanoseconds
                    let r = SuiteSupervisor(
                        planned: slice, options: options,
                        observer: SliceObserver(collector: collector, unit: u)
                    ).run()
                    collector.store(unit: u, result: r, start: start, end: DispatchTime.now().uptimeNanoseconds)
                }
                group.leave()
            }
            t.stackSize = 1 << 20
            t.start()
        }
        group.wait()
    }
}

/// Hands out unit indices in a fixed order.
final class UnitQueue: Sendable {
    private let order: Mutex<ArraySlice<Int>>
    init(_ order: [Int]) { self.order = Mutex(order[...]) }
    func take() -> Int? { order.withLock { $0.popFirst() } }
}

/// Passes case events through; a slice's suite result goes to the collector instead.
struct SliceObserver: RunObserver {
    let collector: SliceCollector
    let unit: Int
    func caseStarted(_ id: String) { collector.observer.caseStarted(id) }
    func caseFinished(_ result: CaseResult) { collector.observer.caseFinished(result) }
    func suiteFinished(_ suite: SuiteResult, cases: [CaseResult]) {}
}

/// Puts the slices of each suite back together: cases in plan order, one
/// suite result (reported once, when its last slice ends). State in a `Mutex`.
final class SliceCollector: Sendable {
    let observer: any RunObserver
    private let plan: Plan
    private let units: [ParallelSchedule.Unit]
    private struct State {
        var slices: [Int: (result: (SuiteResult, [CaseResult]), start: UInt64, end: UInt64)] = [:]
        var merged: [Int: (SuiteResult, [CaseResult])] = [:]
    }
    private let state = Mutex(State())

    init(plan: Plan, units: [ParallelSchedule.Unit], observer: any RunObserver) {
        self.plan = plan
        self.units = units
        self.observer = observer
    }

    func store(unit u: Int, result: (SuiteResult, [CaseResult]), start: UInt64, end: UInt64) {
        let done: (SuiteResult, [CaseResult])? = state.withLock { st in
            st.slices[u] = (result, start, end)
            let s = units[u].suite
            let mine = units.indices.filter { units[$0].suite == s }
            guard mine.allSatisfy({ st.slices[$0] != nil }) else { return nil }
            let m = Self.merge(mine.map { (units[$0].cases, st.slices[$0]!) }, caseCount: plan.suites[s].cases.count)
            st.merged[s] = m
            return m
        }
        if let done { observer.suiteFinished(done.0, cases: done.1) }
    }

    func results() -> [(SuiteResult, [CaseResult])] {
        state.withLock { st in plan.suites.indices.compactMap { st.merged[$0] } }
    }

    /// One suite from its slices (a single slice is returned as it is).
    static func merge(
        _ parts: [(cases: [Int], slice: (result: (SuiteResult, [CaseResult]), start: UInt64, end: UInt64))],
        caseCount: Int
    ) -> (SuiteResult, [CaseResult]) {
        if parts.count == 1 { return parts[0].slice.result }
        var cases = [CaseResult?](repeating: nil, count: caseCount)
        for p in parts { for (k, i) in p.cases.enumerated() { cases[i] = p.slice.result.1[k] } }
        var sr = parts[0].slice.result.0
        let results = parts.map(\.slice.result.0)
        sr.status = results.contains { $0.status != "passed" } ? "failed" : "passed"
        // Wall time from the first slice's start to the last one's end.
        let start = parts.map(\.slice.start).min()!, end = parts.map(\.slice.end).max()!
        sr.duration = Double(end - start) / 1e9
        sr.peakRSSBytes = results.compactMap(\.peakRSSBytes).max()
        sr.workers = results.reduce(0) { $0 + $1.workers }
        let failures = results.compactMap(\.failure)
        sr.failure = failures.isEmpty ? nil : failures.joined(separator: "\n")
        sr.workerOutput = results.lazy.compactMap(\.workerOutput).first
        return (sr, cases.map { $0! })
    }
}
