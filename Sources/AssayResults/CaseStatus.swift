/// The outcome of one planned case.
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    case passed
    case failed
    case skipped
    case expectedFail = "expected-fail"
    case unexpectedPass = "unexpected-pass"
    case timedOut = "timed-out"
    case crashed
    /// Failed, then passed when retried (`runner --retries N`): reported and counted on its own,
    /// never as a plain pass. Not a failure of the run.
    case flaky

    /// True for the outcomes that make a run fail (exit status 1).
    /// An unexpected pass of an expected-fail test is a failure.
    public var isFailure: Bool {
        switch self {
        case .failed, .unexpectedPass, .timedOut, .crashed: return true
        case .passed, .skipped, .expectedFail, .flaky: return false
        }
    }
}
