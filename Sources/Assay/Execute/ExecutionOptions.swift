import Foundation

/// How stage 3 runs the plan.
package struct ExecutionOptions: Sendable {
    /// Run each suite in a worker subprocess (default) or in this process.
    package var isolation = true
    /// Suites run at the same time (each in its own worker).
    package var jobs = 1
    /// Shell words put in front of each worker's command (e.g. valgrind …).
    package var wrapper: String?
    /// The exit code a valgrind wrapper uses for "errors found" (ValgrindWrapper), nil without one.
    package var valgrindErrorExitCode: Int32?
    /// Timeout for tests with none of their own and no suite default, seconds.
    package var defaultTimeout = 60.0
    /// Multiplies every timeout (slow wrappers such as valgrind).
    package var timeoutScale = 1.0
    /// How long a worker may take to start or to move to its next case.
    package var startupTimeout = 120.0
    package var matricesDirectory: String?
    /// The executable to re-run as a worker (default: this process's).
    package var executable: String?
    /// `--retries N`: a case that fails or times out runs again, up to N more times; a later pass is
    /// `flaky`, not `passed`. Crashes are not retried (the worker is gone).
    package var retries = 0
    package init() {}

    func timeout(for c: PlannedCase, suite: Suite) -> Double {
        (c.test.options.timeout ?? suite.timeout ?? defaultTimeout) * timeoutScale
    }
}

/// Receives progress from the executor (called from several threads).
package protocol RunObserver: Sendable {
    func caseStarted(_ id: String)
    func caseFinished(_ result: CaseResult)
    func suiteFinished(_ suite: SuiteResult, cases: [CaseResult])
}
