import Foundation

/// Collects failed expectations and reported data of the running case.
/// A class shared by the test body and the executor; every access goes
/// through `lock`, which is why the `@unchecked Sendable` is safe.
final class CaseRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _issues: [Issue] = []
    private var _data: [JSONValue] = []

    func record(_ issue: Issue) { lock.withLock { _issues.append(issue) } }
    func report(_ value: JSONValue) { lock.withLock { _data.append(value) } }
    var issues: [Issue] { lock.withLock { _issues } }
    var data: [JSONValue] { lock.withLock { _data } }

    private var _scratch: [String] = []
    func addScratch(_ path: String) { lock.withLock { _scratch.append(path) } }
    /// Removes the case's scratch directories.
    func cleanUp() {
        for dir in lock.withLock({ _scratch }) { try? FileManager.default.removeItem(atPath: dir) }
    }

    @TaskLocal static var current: CaseRecorder?
}
