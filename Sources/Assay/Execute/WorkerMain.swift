import Foundation
import Synchronization

/// The worker side: runs the cases of one request and streams events.
enum WorkerMain {
    static func run(suites: [Suite], requestPath: String) -> Int32 {
        // Keep the real stdout for the protocol; send the tests' prints to stderr.
        ParentWatch.start()
        let proto = dup(1)
        dup2(2, 1)
        let out = FileHandle(fileDescriptor: proto, closeOnDealloc: false)
        @Sendable func send(_ e: WorkerEvent) {
            guard var line = try? JSONEncoder().encode(e) else { return }
            line.append(0x0A)
            // Not `write(_:)`, which traps inside Foundation when the pipe is gone (the runner died): a worker
            // whose runner is gone has nobody to report to, and ends quietly.
            do { try out.write(contentsOf: line) } catch { _exit(3) }
        }
        guard let req = loadRequest(requestPath) else {
            FileHandle.standardError.write(Data("assay worker: cannot read request \(requestPath)\n".utf8))
            return 3
        }
        guard req.suiteIndex < suites.count, suites[req.suiteIndex].name == req.suiteName else {
            FileHandle.standardError.write(Data("assay worker: suite \(req.suiteName) not found at index \(req.suiteIndex)\n".utf8))
            return 3
        }
        let catalog: Catalog
        do { catalog = try Catalog(suites: suites, matricesDirectory: req.matricesDirectory) } catch {
            FileHandle.standardError.write(Data("assay worker: \(error)\n".utf8))
            return 3
        }
        send(WorkerEvent(type: .hello))
        let suite = suites[req.suiteIndex]
        let abandoned: Bool = blockingAwait {
            await ParticipantLaunch.$settings.withValue(.init(wrapper: req.wrapper, timeoutScale: req.timeoutScale ?? 1)) {
                for (i, item) in req.items.enumerated() {
                    let test = suite.tests[item.testIndex]
                    let combo = catalog.matrices[req.suiteIndex][item.testIndex]?.combination(at: item.comboIndex) ?? .empty
                    let c = PlannedCase(
                        suiteIndex: req.suiteIndex, testIndex: item.testIndex, comboIndex: item.comboIndex,
                        category: suite.category, suiteName: suite.name, test: test, combination: combo,
                        coordination: item.coordination.map { (key: $0[0], value: $0[1]) },
                        skipReason: nil, ensured: false)
                    send(WorkerEvent(type: .start, index: i))
                    let o = await CaseExecutor.run(c, timeout: item.timeout, retries: req.retries ?? 0)
                    send(WorkerEvent(type: .result, index: i, result: o.result))
                    if o.abandoned { await FixtureStore.shared.tearDown(); return true }
                }
                await FixtureStore.shared.tearDown()  // the worker's fixtures end with its cases
                return false
            }
        }
        if abandoned {
            // A task that ignored cancellation is still running: this
            // process is no longer trustworthy. The parent starts a new one.
            _exit(WorkerProtocol.abandonExitCode)
        }
        send(WorkerEvent(type: .done))
        return 0
    }
}

/// Reads the request (its bytes are released before any case runs).
private func loadRequest(_ path: String) -> WorkerRequest? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(WorkerRequest.self, from: data)
}

/// Runs async work from synchronous code (the main thread, never a
/// cooperative-pool thread) and waits for its value.
func blockingAwait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let slot = BlockingSlot<T>()
    let sem = DispatchSemaphore(value: 0)
    Task.detached {
        let value = await work()
        slot.value.withLock { $0 = value }
        sem.signal()
    }
    sem.wait()
    return slot.value.withLock { $0 }!
}

/// Written once before the semaphore is signalled, read once after the wait returns.
private final class BlockingSlot<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
