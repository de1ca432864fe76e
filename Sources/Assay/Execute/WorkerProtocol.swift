import Foundation

/// The parent ↔ worker protocol. The parent writes a `WorkerRequest` to a
/// file and starts `<runner> --assay-worker <file>`; the worker answers with
/// one JSON `WorkerEvent` per line on its original standard output (it
/// redirects its own fd 1 to stderr first, so tests that print cannot
/// corrupt the stream).
enum WorkerProtocol {
    /// Hidden flag that turns the runner into a suite worker.
    static let workerFlag = "--assay-worker"
    /// Exit status of a worker that abandoned a non-cooperative, timed-out
    /// case: not a failure of its own, the parent restarts the rest.
    static let abandonExitCode: Int32 = 86
}

struct WorkerRequest: Codable {
    struct Item: Codable {
        var testIndex: Int
        var comboIndex: Int
        var coordination: [[String]]
        var timeout: Double
    }
    var suiteIndex: Int
    var suiteName: String
    var matricesDirectory: String?
    var items: [Item]
    /// The run's `--wrapper`, for coordinated participant processes.
    var wrapper: String?
    /// The run's `--timeout-scale` (coordinated waits and graceful timeouts).
    var timeoutScale: Double?
    /// The run's `--retries` (absent: 0).
    var retries: Int?
}

struct WorkerEvent: Codable {
    enum Kind: String, Codable { case hello, start, result, done }
    var type: Kind
    var index: Int?
    var result: CaseResult?
}
