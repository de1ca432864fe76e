import Foundation

/// Which participants are still running and the first failure. The
/// coordinator waits on it for a change with a deadline. State behind one lock;
/// each continuation is taken out under the lock before it is resumed
/// (exactly once).
final class ParticipantTracker: @unchecked Sendable {
    // @unchecked Sendable: `state` is touched only under `lock` (withState).
    // NSLock (a pthread mutex), not Mutex: the exception tools/check-locks lists. Process participants' watcher
    // threads report their ends here at once, so the lock is contended, and ThreadSanitizer does not see a contended
    // Mutex's hand-off: with a Mutex, `tsan.sh -f regression/net-hardening` reported two `finished` calls as a race.
    private let lock = NSLock()
    private struct State {
        var running: [ParticipantID]
        var failure: String?
        /// Set when the first failure was a participant process crashing.
        var failureIsCrash = false
        /// Set when the first "failure" was a participant skipping the test.
        var skipReason: String?
        var version = 0
        var waiter: (id: Int, cont: CheckedContinuation<Void, Never>)?
        var nextID = 0
    }
    private var state: State

    init(_ participants: [ParticipantID]) { state = State(running: participants) }

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.withLock { body(&state) }
    }

    var firstFailure: String? { withState { $0.failure } }
    var stillRunning: [ParticipantID] { withState { $0.running } }
    var allFinished: Bool { withState { $0.running.isEmpty } }

    /// The participant returned (or, after a failure, stopped).
    func finished(_ p: ParticipantID) { change { s in s.running.removeAll { $0 == p } } }

    /// The participant failed; the first failure is the test's.
    func failed(_ p: ParticipantID, _ message: String) {
        change { s in
            s.running.removeAll { $0 == p }
            if s.failure == nil { s.failure = message }
        }
    }

    /// The participant's process died (signal or exit without reporting):
    /// a failure that makes the case `crashed`, as a crashed worker does.
    func crashed(_ p: ParticipantID, _ message: String) {
        change { s in
            s.running.removeAll { $0 == p }
            if s.failure == nil {
                s.failure = message
                s.failureIsCrash = true
            }
        }
    }

    /// Set when the first failure was a participant process crashing.
    var crash: Bool { withState { $0.failureIsCrash } }

    /// The participant threw `SkipTest`: the others are released and the case is skipped.
    func skipped(_ p: ParticipantID, _ reason: String) {
        change { s in
            s.running.removeAll { $0 == p }
            if s.failure == nil {
                s.failure = "\(p) skipped the test: \(reason)"
                s.skipReason = reason
            }
        }
    }

    /// Set when the first "failure" was a participant skipping the test.
    var skip: String? { withState { $0.skipReason } }

    /// Records a failure that is nobody's (e.g. the socket server broke).
    func fail(_ message: String) { change { s in if s.failure == nil { s.failure = message } } }

    private func change(_ body: (inout State) -> Void) {
        let w: CheckedContinuation<Void, Never>? = withState { s in
            body(&s)
            s.version += 1
            defer { s.waiter = nil }
            return s.waiter?.cont
        }
        w?.resume()
    }

    /// Returns when `done()` holds or the uptime deadline (ns) passes.
    func wait(until deadline: UInt64, _ done: @escaping @Sendable (ParticipantTracker) -> Bool) async {
        while !done(self) && DispatchTime.now().uptimeNanoseconds < deadline {
            let seen = withState { $0.version }
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let id: Int? = withState { s in
                    if s.version != seen { return nil }
                    s.nextID += 1
                    s.waiter = (s.nextID, cont)
                    return s.nextID
                }
                guard let id else { cont.resume(); return }
                let now = DispatchTime.now().uptimeNanoseconds
                // A Dispatch timer, not Task.sleep: participants may block the cooperative pool.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(deadline > now ? min(deadline - now, 1 << 40) : 0))) { [self] in
                    let w: CheckedContinuation<Void, Never>? = withState { s in
                        guard let cur = s.waiter, cur.id == id else { return nil }
                        s.waiter = nil
                        return cur.cont
                    }
                    w?.resume()
                }
            }
        }
    }
}
