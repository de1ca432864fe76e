import Foundation
import Synchronization

/// The coordinator's shared state for one coordinated case: latched events,
/// barriers and the failure that releases every wait. All modes use it — the
/// in-memory channel directly, process participants through the socket
/// server. The mutable state lives in a `Mutex`, and each continuation is
/// removed from `waiters` under the lock before it is resumed (exactly once).
final class CoordinationHub: Sendable {
    let counts: [String: Int]
    let participantCount: Int

    private enum Want: Sendable {
        case event(ParticipantID, String)
        case barrier(String, generation: Int)
    }
    // @unchecked Sendable for `timer` alone: libdispatch's `DispatchWorkItem` may be cancelled from any thread,
    // but swift-corelibs-libdispatch does not mark it `Sendable`. The rest is `Sendable`.
    private struct Waiter: @unchecked Sendable {
        var want: Want
        var who: ParticipantID
        var cont: CheckedContinuation<Data, any Error>
        /// The timeout; cancelled when the wait ends otherwise.
        var timer: DispatchWorkItem?
    }

    private struct State {
        var events: [EventKey: Data] = [:]
        var arrivals: [String: [Int: Int]] = [:]  // barrier → generation → arrived
        var passes: [String: [ParticipantID: Int]] = [:]  // barrier → participant → arrivals so far
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        var failure: String?
    }
    private let state = Mutex(State())

    private struct EventKey: Hashable { var from: ParticipantID; var event: String }

    init(counts: [String: Int]) {
        self.counts = counts
        participantCount = counts.values.reduce(0, +)
    }

    var failed: String? { state.withLock { $0.failure } }

    /// Publishes (latches) an event; a later emit of the same event replaces the value.
    func emit(from: ParticipantID, event: String, value: Data) {
        let ready: [(CheckedContinuation<Data, any Error>, Data)] = state.withLock { s in
            s.events[EventKey(from: from, event: event)] = value
            var out: [(CheckedContinuation<Data, any Error>, Data)] = []
            for (id, w) in s.waiters {
                if case .event(let p, let e) = w.want, p == from, e == event {
                    s.waiters[id] = nil
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
        let (generation, release): (Int, [CheckedContinuation<Data, any Error>]) = state.withLock { s in
            let g = s.passes[name, default: [:]][who, default: 0]
            s.passes[name, default: [:]][who] = g + 1
            let arrived = s.arrivals[name, default: [:]][g, default: 0] + 1
            s.arrivals[name, default: [:]][g] = arrived
            guard arrived >= participantCount else { return (g, []) }
            s.arrivals[name]?[g] = nil
            var out: [CheckedContinuation<Data, any Error>] = []
            for (id, w) in s.waiters {
                if case .barrier(let b, let wg) = w.want, b == name, wg == g {
                    s.waiters[id] = nil
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
        let all: [CheckedContinuation<Data, any Error>] = state.withLock { s in
            if s.failure == nil { s.failure = message }
            let out = s.waiters.values.map(\.cont)
            for w in s.waiters.values { w.timer?.cancel() }
            s.waiters.removeAll()
            return out
        }
        let m = failed ?? message
        for c in all { c.resume(throwing: CoordinationError.aborted(m)) }
    }

    private func wait(_ want: Want, who: ParticipantID, timeout: Double, what: String) async throws -> Data {
        let id: Int = state.withLock { s in
            s.nextID += 1; return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
                enum Now { case value(Data), failed(String), cancelled, wait }
                let now: Now = state.withLock { s in
                    if let f = s.failure { return .failed(f) }
                    if Task.isCancelled { return .cancelled }
                    switch want {
                    case .event(let p, let e):
                        if let v = s.events[EventKey(from: p, event: e)] { return .value(v) }
                    case .barrier(let b, let g):
                        // Released already (the round completed between arrival and here).
                        if s.arrivals[b]?[g] == nil { return .value(Data()) }
                    }
                    s.waiters[id] = Waiter(want: want, who: who, cont: cont)
                    return .wait
                }
                switch now {
                case .value(let v): cont.resume(returning: v); return
                case .failed(let f): cont.resume(throwing: CoordinationError.aborted(f)); return
                case .cancelled: cont.resume(throwing: CancellationError()); return
                case .wait: break
                }
                // A Dispatch timer: it fires even when cooperative threads are blocked.
                let timer = DispatchWorkItem { [self] in
                    let w = state.withLock { $0.waiters.removeValue(forKey: id) }
                    w?.cont.resume(throwing: CoordinationError.timedOut(what))
                }
                let armed: Bool = state.withLock { s in
                    guard s.waiters[id] != nil else { return false }
                    s.waiters[id]?.timer = timer
                    return true
                }
                if armed { DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout), execute: timer) }
            }
        } onCancel: {
            let w = state.withLock { $0.waiters.removeValue(forKey: id) }
            w?.timer?.cancel()
            w?.cont.resume(throwing: CancellationError())
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(format: "%.3g", d)
    }
}
