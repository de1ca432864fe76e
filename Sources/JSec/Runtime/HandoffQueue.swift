import NIOConcurrencyHelpers
import NIOCore

/// A bounded FIFO with at most one waiting reader, shared between an event loop (which pushes) and a
/// task (which pops). The one async queue of JSec: a listener's accepted streams, a DTLS server's accepted
/// connections, a DTLS connection's received messages.
///
/// A pop waits until an item arrives, the queue ends, its timeout passes or its task is cancelled. A
/// timeout (`JSecError.Category.timeout`) and a cancellation (`CancellationError`) leave the queue as it
/// was: an item that arrives later goes to the next pop. A second pop while one waits is refused
/// (`JSecError.Category.usage`) and does not disturb the first (its timeout and cancellation still apply).
/// Once ended, buffered items are still handed out; after them every pop ends the same way:
/// `nil` for a clean end, or the error it ended with.
final class HandoffQueue<Element: Sendable>: Sendable {
    /// The pop that owns the queue's single waiting slot: reserved when the pop starts (so its timer and
    /// cancellation can find it), then holding its continuation once it suspends.
    private struct Waiter {
        let id: Int
        var continuation: CheckedContinuation<Element?, any Error>?
        /// A timeout or cancellation that came before the continuation was installed.
        var preempted: (any Error)?
    }

    private struct State {
        /// The items not yet handed out, and nothing else: a taken item leaves the queue with its pop (a stream
        /// the application accepted and dropped must close, not stay referenced by a slot the queue moved past).
        var items = CircularBuffer<Element>()
        var waiter: Waiter?
        var nextID = 0
        /// nil while open; `.success` after a clean end; `.failure` after an error.
        var end: Result<Void, JSecError>?
        var dropped = 0
        var count: Int { items.count }

        mutating func take() -> Element { items.removeFirst() }
    }

    // NIOLockedValueBox (a pthread mutex) rather than Synchronization.Mutex: ThreadSanitizer
    // sees pthread locking, but not Mutex's (implemented in the uninstrumented Swift runtime), and
    // reported the push/pop hand-off under the lock as a race.
    private let state = NIOLockedValueBox(State())
    private let capacity: Int
    private let what: String

    /// `what` names the operation in errors ("accept", "DTLS read").
    init(capacity: Int, what: String) {
        self.capacity = capacity
        self.what = what
    }

    /// Adds an item, or hands it to the waiting reader. Returns false (dropping it) when full or ended:
    /// the caller disposes of it.
    @discardableResult
    func push(_ item: Element) -> Bool {
        let handed: CheckedContinuation<Element?, any Error>?? = state.withLockedValue { s in
            if s.end != nil { return .none }
            if let c = s.waiter?.continuation {
                s.waiter = nil
                return .some(c)
            }
            guard s.count < capacity else { s.dropped += 1; return .none }
            s.items.append(item)
            return .some(nil)
        }
        switch handed {
        case .none: return false
        case .some(let c): c?.resume(returning: item); return true
        }
    }

    /// Ends the queue: `nil` is a clean end (pops return nil), an error is what pops throw.
    /// Only the first end counts. A waiting reader is woken.
    func finish(_ error: JSecError?) {
        let waiting: CheckedContinuation<Element?, any Error>? = state.withLockedValue { s in
            if s.end == nil { s.end = error.map { .failure($0) } ?? .success(()) }
            guard let c = s.waiter?.continuation else { return nil }
            s.waiter = nil
            return c
        }
        guard let waiting else { return }
        if let error { waiting.resume(throwing: error) } else { waiting.resume(returning: nil) }
    }

    var isEnded: Bool { state.withLockedValue { $0.end != nil } }
    var count: Int { state.withLockedValue { $0.count } }
    /// Items refused because the queue was full.
    var dropped: Int { state.withLockedValue { $0.dropped } }

    /// Takes every buffered item (used to close what a closed owner never handed out).
    func drain() -> [Element] {
        state.withLockedValue { s in
            defer { s.items.removeAll() }
            return Array(s.items)
        }
    }

    private enum Start { case give(Element), end(Result<Void, JSecError>), busy, wait(Int) }
    private enum Install { case give(Element), end(Result<Void, JSecError>), fail(any Error), wait }

    /// The next item; `nil` after a clean end. Throws the end's error, a timeout, `CancellationError`,
    /// or a usage error when another pop is already waiting.
    func pop(timeout: Duration?) async throws -> Element? {
        try Task.checkCancellation()
        let start: Start = state.withLockedValue { s in
            if s.count > 0 { return .give(s.take()) }
            if let end = s.end { return .end(end) }
            if s.waiter != nil { return .busy }
            s.nextID += 1
            s.waiter = Waiter(id: s.nextID)
            return .wait(s.nextID)
        }
        let id: Int
        switch start {
        case .give(let item): return item
        case .end(.success): return nil
        case .end(.failure(let e)): throw e
        case .busy: throw JSecError(.usage, "another \(what) is already pending", code: .jsec(.concurrentOperation))
        case .wait(let reserved): id = reserved
        }
        let timer: Task<Void, Never>? = timeout.map { t in
            Task { [self] in
                try? await Task.sleep(for: t)
                if Task.isCancelled { return }
                preempt(id, JSecError(.timeout, "\(what) timed out after \(t)", code: .jsec(.operationTimeout)))
            }
        }
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Element?, any Error>) in
                let action: Install = state.withLockedValue { s in
                    guard let w = s.waiter, w.id == id else {
                        // Unreachable: only this pop clears its own reservation before it suspends.
                        return .fail(JSecError(.usage, "\(what): the wait was lost", code: .jsec(.invalidState)))
                    }
                    if let e = w.preempted { s.waiter = nil; return .fail(e) }
                    if s.count > 0 { s.waiter = nil; return .give(s.take()) }
                    if let end = s.end { s.waiter = nil; return .end(end) }
                    s.waiter!.continuation = cont
                    return .wait
                }
                switch action {
                case .give(let item): cont.resume(returning: item)
                case .end(.success): cont.resume(returning: nil)
                case .end(.failure(let e)): cont.resume(throwing: e)
                case .fail(let e): cont.resume(throwing: e)
                case .wait: break
                }
            }
        } onCancel: {
            preempt(id, CancellationError())
        }
    }

    /// Ends pop `id`'s wait with `error` (its timeout or cancellation); nothing if that pop is already over.
    private func preempt(_ id: Int, _ error: any Error) {
        let waiting: CheckedContinuation<Element?, any Error>? = state.withLockedValue { s in
            guard var w = s.waiter, w.id == id else { return nil }
            if let c = w.continuation {
                s.waiter = nil
                return c
            }
            if w.preempted == nil { w.preempted = error }
            s.waiter = w
            return nil
        }
        waiting?.resume(throwing: error)
    }
}
