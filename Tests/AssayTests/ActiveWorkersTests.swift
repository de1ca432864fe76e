import Foundation
import Testing
@testable import Assay

/// Once an interrupt has killed the workers (`killAll`), no worker starts and nothing of one is created:
/// a supervisor that sees its worker die of the interrupt cannot start a replacement that outlives the
/// runner (issue 21 item 4; `tools/interrupt-check` runs the whole runner the same way).
@Suite("workers after an interrupt")
struct ActiveWorkersTests {
    @Test("before killAll a worker starts and is killed by it; after it, none starts and its files are not created")
    func noStartAfterKillAll() throws {
        let workers = ActiveWorkers()
        let dir = NSTemporaryDirectory() + "active-workers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var prepared = 0
        let first = try Subprocess(
            arguments: ["/bin/sleep", "60"], stderrPath: dir + "/err1", environment: [:], workers: workers, prepare: { prepared += 1 })
        #expect(workers.pids == [first.pid])
        #expect(workers.killAll() == [first.pid])
        let exit = first.wait()
        #expect(exit.signal == SIGKILL, "the worker started before the interrupt is killed by it: \(exit.description)")
        #expect(workers.isClosed)
        #expect(throws: Subprocess.SubprocessError.self) {
            _ = try Subprocess(
                arguments: ["/bin/sleep", "60"], stderrPath: dir + "/err2", environment: [:], workers: workers, prepare: { prepared += 1 })
        }
        #expect(prepared == 1, "the second worker's files were prepared")
        #expect(!FileManager.default.fileExists(atPath: dir + "/err2"))
        #expect(workers.pids.isEmpty)
        #expect(workers.startUnlessClosed { (1, nil) } == nil)
    }
}
