import Foundation
import Synchronization

/// Collects failed expectations and reported data of the running case.
/// A class shared by the test body and the executor; its state lives in a
/// `Mutex`, so it is `Sendable`.
final class CaseRecorder: Sendable {
    private struct State {
        var issues: [Issue] = []
        var data: [JSONValue] = []
        var scratch: [String] = []
    }
    private let state = Mutex(State())

    func record(_ issue: Issue) { state.withLock { $0.issues.append(issue) } }
    func report(_ value: JSONValue) { state.withLock { $0.data.append(value) } }
    var issues: [Issue] { state.withLock { $0.issues } }
    var data: [JSONValue] { state.withLock { $0.data } }

    func addScratch(_ path: String) { state.withLock { $0.scratch.append(path) } }
    /// Removes the case's scratch directories.
    func cleanUp() {
        for dir in state.withLock({ $0.scratch }) { try? FileManager.default.removeItem(atPath: dir) }
    }

    @TaskLocal static var current: CaseRecorder?
}
