import Foundation

/// The coordinator's shared state for one coordinated case: latched events,
/// barriers and the failure that releases every wait. All modes use it — the
/// in-memory channel directly, process participants through the socket
/// server. Every field is guarded by `lock`, and each continuation is removed
/// from `waiters` under the lock before it is resumed (exactly once), which
/// is why the `@unchecked Sendable` is safe.
final class CoordinationHub: @unchecked Sendable {
    let counts: [String: Int]
    let participantCount: Int

    private enum Want: Sendable {
        case event(ParticipantID, String)
        case barrier(String, generation: Int)
    }
    private struct Waiter {
        var want: Want
        var who: ParticipantID
        var cont: CheckedContinuation<Data, any Error>
        /// The timeout; cancelled when the wait ends otherwise.
        var timer: DispatchWorkItem?
    }

    // NSLock (a pthread mutex), not Mutex: the exception tools/check-locks lists. Participants on their own threads
    // (thread mode) meet here at every emit, await and barrier, so the lock is contended by design, and ThreadSanitizer
    // does not see a contended Mutex's hand-off (its futex path is in the uninstrumented runtime): with a Mutex,
    // `tsan.sh -f performance/coordination` reported 9 races on `waiters` and `events` that the lock orders.
    private let lock = NSLock()
    private var events: [EventKey: Data] = [:]
    private var arrivals: [String: [Int: Int]] = [:]  // barrier → generation → arrived
    private var passes: [String: [ParticipantID: Int]] = [:]  // barrier → participant → arrivals so far
    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0
    private var failure: String?

    private struct EventKey: Hashable { var from: ParticipantID; var event: String }

    init(counts: [String: Int]) {
        self.counts = counts
        participantCount = counts.values.reduce(0, +)
    }

    var failed: String? { lock.withLock { failure } }

    /// Publishes (latches) an event; a later emit of the same event replaces the value.
    func emit(from: ParticipantID, event: String, value: Data) {
        let ready: [(CheckedContinuation<Data, any Error>, Data)] = lock.withLock {
            events[EventKey(from: from, event: event)] = value
            var out: [(CheckedContinuation<Data, any Error>, Data)] = []
            for (id, w) in waiters {
                if case .event(let p, let e) = w.want, p == from, e == event {
                    waiters[id] = nil
                    w.timer?.cancel()
                    out.append((w.cont, value))
                }
            }
            return out
        }
        for (c, v) in ready { c.resume(returning: v) }
    }

    /// The value `role[index]` emitted as `event`, waiting up to `timeout` seconds.
    func awaitEvent(by who: ParticipantID, from: ParticipantID, event: String, timeout: Double) async throws -> Data {
        guard let n = counts[from.role] else {
            throw CoordinationError.usage(
                "\(who) awaits role '\(from.role)', which this test does not have (roles: \(counts.keys.sorted().joined(separator: ", ")))")
        }
        guard from.index >= 0 && from.index < n else {
            throw CoordinationError.usage("\(who) awaits \(from), but role '\(from.role)' has \(n) instance(s)")
        }
        return try await wait(
            .event(from, event), who: who, timeout: timeout,
            what: "\(who) waited \(Self.format(timeout)) s for '\(event)' from \(from)")
    }

    /// Arrives at barrier `name`; returns when every participant has arrived.
    /// Reusing a name starts a new round: a participant's k-th arrival meets the others' k-th.
    func barrier(by who: ParticipantID, name: String, timeout: Double) async throws {
        let (generation, release): (Int, [CheckedContinuation<Data, any Error>]) = lock.withLock {
            let g = passes[name, default: [:]][who, default: 0]
            passes[name, default: [:]][who] = g + 1
            let arrived = arrivals[name, default: [:]][g, default: 0] + 1
            arrivals[name, default: [:]][g] = arrived
            guard arrived >= participantCount else { return (g, []) }
            arrivals[name]?[g] = nil
            var out: [CheckedContinuation<Data, any Error>] = []
            for (id, w) in waiters {
                if case .barrier(let b, let wg) = w.want, b == name, wg == g {
                    waiters[id] = nil
                    w.timer?.cancel()
                    out.append(w.cont)
                }
            }
            return (-1, out)
        }
        for c in release { c.resume(returning: Data()) }
        if generation < 0 { return }
        _ = try await wait(
            .barrier(name, generation: generation), who: who, timeout: timeout,
            what: "\(who) waited \(Self.format(timeout)) s at barrier '\(name)'")
    }

    /// Fails the test: every pending and future wait throws `aborted(message)`.
    /// Only the first failure is kept.
    func fail(_ message: String) {
        let all: [CheckedContinuation<Data, any Error>] = lock.withLock {
            if failure == nil { failure = message }
            let out = waiters.values.map(\.cont)
            for w in waiters.values { w.timer?.cancel() }
            waiters.removeAll()
            return out
        }
        let m = failed ?? message
        for c in all { c.resume(throwing: CoordinationError.aborted(m)) }
    }

    private func wait(_ want: Want, who: ParticipantID, timeout: Double, what: String) async throws -> Data {
        let id: Int = lock.withLock {
            nextID += 1; return nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
                enum Now { case value(Data), failed(String), cancelled, wait }
                let now: Now = lock.withLock {
                    if let f = failure { return .failed(f) }
                    if Task.isCancelled { return .cancelled }
                    switch want {
                    case .event(let p, let e):
                        if let v = events[EventKey(from: p, event: e)] { return .value(v) }
                    case .barrier(let b, let g):
                        // Released already (the round completed between arrival and here).
                        if arrivals[b]?[g] == nil { return .value(Data()) }
                    }
                    waiters[id] = Waiter(want: want, who: who, cont: cont)
                    return .wait
                }
                switch now {
                case .value(let v): cont.resume(returning: v); return
                case .failed(let f): cont.resume(throwing: CoordinationError.aborted(f)); return
                case .cancelled: cont.resume(throwing: CancellationError()); return
                case .wait: break
                }
                // A Dispatch timer: it fires even when cooperative threads are blocked. It holds the hub weakly:
                // `cancel()` does not take a work item out of `asyncAfter`'s queue, so a strong capture kept the hub
                // and every latched event alive until the timeout (minutes) after the wait and the case had ended.
                // A pending wait's task holds the hub itself, so a timer that finds it gone has nothing to time out.
                let timer = DispatchWorkItem { [weak self] in
                    guard let self else { return }
                    let w = lock.withLock { waiters.removeValue(forKey: id) }
                    w?.cont.resume(throwing: CoordinationError.timedOut(what))
                }
                let armed: Bool = lock.withLock {
                    guard waiters[id] != nil else { return false }
                    waiters[id]?.timer = timer
                    return true
                }
                if armed { DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout), execute: timer) }
            }
        } onCancel: {
            let w = lock.withLock { waiters.removeValue(forKey: id) }
            w?.timer?.cancel()
            w?.cont.resume(throwing: CancellationError())
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(format: "%.3g", d)
    }
}
