/// Thrown by a participant's waits (`awaitOne`, `awaitAll`, `barrier`).
public enum CoordinationError: Error, CustomStringConvertible, Sendable {
    /// The wait did not complete within its timeout.
    case timedOut(String)
    /// The test failed (another participant failed, or the test timed out):
    /// the message names the participant that failed.
    case aborted(String)
    /// A misuse such as awaiting an unknown role or an index out of range.
    case usage(String)
    /// The value could not be encoded or decoded.
    case value(String)

    public var description: String {
        switch self {
        case .timedOut(let m): return "timed out: \(m)"
        case .aborted(let m): return "released because the test failed: \(m)"
        case .usage(let m): return "coordination misuse: \(m)"
        case .value(let m): return "event value: \(m)"
        }
    }
}

/// How a coordinated case failed, as the case executor reports it.
struct CoordinatedFailure: Error, CustomStringConvertible {
    var message: String
    /// The test's whole timeout expired (status timed out, not failed).
    var timedOut: Bool
    /// Participants that did not stop were left running in this process
    /// (task or thread mode): the worker must not run further cases.
    var abandoned: Bool
    /// A participant process crashed (status `crashed`, as for a crashed worker).
    var crashed = false
    var description: String { message }
}
