import Foundation
import Synchronization

/// Which participants are still running and the first failure. The
/// coordinator waits on it for a change with a deadline. State in a `Mutex`;
/// each continuation is taken out under the lock before it is resumed
/// (exactly once).
final class ParticipantTracker: Sendable {
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
    private let state: Mutex<State>

    init(_ participants: [ParticipantID]) { state = Mutex(State(running: participants)) }

    var firstFailure: String? { state.withLock { $0.failure } }
    var stillRunning: [ParticipantID] { state.withLock { $0.running } }
    var allFinished: Bool { state.withLock { $0.running.isEmpty } }

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
    var crash: Bool { state.withLock { $0.failureIsCrash } }

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
    var skip: String? { state.withLock { $0.skipReason } }

    /// Records a failure that is nobody's (e.g. the socket server broke).
    func fail(_ message: String) { change { s in if s.failure == nil { s.failure = message } } }

    private func change(_ body: (inout State) -> Void) {
        let w: CheckedContinuation<Void, Never>? = state.withLock { s in
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
            let seen = state.withLock { $0.version }
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let id: Int? = state.withLock { s in
                    if s.version != seen { return nil }
                    s.nextID += 1
                    s.waiter = (s.nextID, cont)
                    return s.nextID
                }
                guard let id else { cont.resume(); return }
                let now = DispatchTime.now().uptimeNanoseconds
                // A Dispatch timer, not Task.sleep: participants may block the cooperative pool.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(deadline > now ? min(deadline - now, 1 << 40) : 0))) { [self] in
                    let w: CheckedContinuation<Void, Never>? = state.withLock { s in
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
