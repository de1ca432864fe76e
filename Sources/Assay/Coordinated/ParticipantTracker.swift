import Foundation

/// Which participants are still running and the first failure. The
/// coordinator waits on it for a change with a deadline. State behind
/// `lock`; each continuation is taken out under the lock before it is
/// resumed (exactly once), so the `@unchecked Sendable` is safe.
final class ParticipantTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [ParticipantID]
    private var failure: String?
    private var version = 0
    private var waiter: (id: Int, cont: CheckedContinuation<Void, Never>)?
    private var nextID = 0

    init(_ participants: [ParticipantID]) { running = participants }

    var firstFailure: String? { lock.withLock { failure } }
    var stillRunning: [ParticipantID] { lock.withLock { running } }
    var allFinished: Bool { lock.withLock { running.isEmpty } }

    /// The participant returned (or, after a failure, stopped).
    func finished(_ p: ParticipantID) { change { running.removeAll { $0 == p } } }

    /// The participant failed; the first failure is the test's.
    func failed(_ p: ParticipantID, _ message: String) {
        change {
            running.removeAll { $0 == p }
            if failure == nil { failure = message }
        }
    }

    /// The participant's process died (signal or exit without reporting):
    /// a failure that makes the case `crashed`, as a crashed worker does.
    func crashed(_ p: ParticipantID, _ message: String) {
        change {
            running.removeAll { $0 == p }
            if failure == nil {
                failure = message
                failureIsCrash = true
            }
        }
    }

    /// Set when the first failure was a participant process crashing.
    var crash: Bool { lock.withLock { failureIsCrash } }
    private var failureIsCrash = false

    /// The participant threw `SkipTest`: the others are released and the case is skipped.
    func skipped(_ p: ParticipantID, _ reason: String) {
        change {
            running.removeAll { $0 == p }
            if failure == nil {
                failure = "\(p) skipped the test: \(reason)"
                skipReason = reason
            }
        }
    }

    /// Set when the first "failure" was a participant skipping the test.
    var skip: String? { lock.withLock { skipReason } }
    private var skipReason: String?

    /// Records a failure that is nobody's (e.g. the socket server broke).
    func fail(_ message: String) { change { if failure == nil { failure = message } } }

    private func change(_ body: () -> Void) {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            body()
            version += 1
            defer { waiter = nil }
            return waiter?.cont
        }
        w?.resume()
    }

    /// Returns when `done()` holds or the uptime deadline (ns) passes.
    func wait(until deadline: UInt64, _ done: @escaping @Sendable (ParticipantTracker) -> Bool) async {
        while !done(self) && DispatchTime.now().uptimeNanoseconds < deadline {
            let seen = lock.withLock { version }
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let id: Int? = lock.withLock {
                    if version != seen { return nil }
                    nextID += 1
                    waiter = (nextID, cont)
                    return nextID
                }
                guard let id else { cont.resume(); return }
                let now = DispatchTime.now().uptimeNanoseconds
                // A Dispatch timer, not Task.sleep: participants may block the cooperative pool.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(deadline > now ? min(deadline - now, 1 << 40) : 0))) { [self] in
                    let w: CheckedContinuation<Void, Never>? = lock.withLock {
                        guard let cur = waiter, cur.id == id else { return nil }
                        waiter = nil
                        return cur.cont
                    }
                    w?.resume()
                }
            }
        }
    }
}
