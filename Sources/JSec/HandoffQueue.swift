import NIOConcurrencyHelpers

/// A bounded FIFO with at most one waiting reader, shared between an event loop (which pushes)
/// and a task (which pops): a DTLS connection's received messages, a DTLS server's accepted connections.
///
/// Once ended, buffered items are still handed out; after them every pop ends the same way:
/// `nil` for a clean end, or the error it ended with.
final class DTLSQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Element?, any Error>?
        var nextID = 0
        /// Which pop the waiter belongs to.
        var waiterID = 0
        /// The pop whose timeout fired before it started waiting.
        var expiredID = 0
        /// nil while open; `.success` after a clean end; `.failure` after an error.
        var end: Result<Void, JSecError>?
        var dropped = 0
        var count: Int { items.count - head }
    }
    // NIOLockedValueBox (a pthread mutex) rather than Synchronization.Mutex: ThreadSanitizer
    // sees pthread locking, but not Mutex's (implemented in the uninstrumented Swift runtime), and
    // reported the push/pop hand-off under the lock as a race.
    private let state = NIOLockedValueBox(State())
    private enum PopAction { case give(Element), end(Result<Void, JSecError>), busy, expired, wait }
    private let capacity: Int
    private let what: String

    init(capacity: Int, what: String) {
        self.capacity = capacity
        self.what = what
    }

    /// Adds an item, or hands it to the waiting reader. Returns false (dropping it) when full or ended.
    @discardableResult
    func push(_ item: Element) -> Bool {
        let waiter: CheckedContinuation<Element?, any Error>?? = state.withLockedValue { s in
            if s.end != nil { return .none }
            if let w = s.waiter { s.waiter = nil; return .some(w) }
            guard s.count < capacity else { s.dropped += 1; return .none }
            s.items.append(item)
            return .some(nil)
        }
        switch waiter {
        case .none: return false
        case .some(let w): w?.resume(returning: item); return true
        }
    }

    /// Ends the queue: `nil` is a clean end (pops return nil), an error is what pops throw.
    /// Only the first end counts. A waiting reader is woken.
    func finish(_ error: JSecError?) {
        let waiter: CheckedContinuation<Element?, any Error>? = state.withLockedValue { s in
            if s.end == nil { s.end = error.map { .failure($0) } ?? .success(()) }
            let w = s.waiter
            s.waiter = nil
            return w
        }
        guard let waiter else { return }
        if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
    }

    var isEnded: Bool { state.withLockedValue { $0.end != nil } }
    var count: Int { state.withLockedValue { $0.count } }
    var dropped: Int { state.withLockedValue { $0.dropped } }

    /// Takes every buffered item (used to close the connections a closed server never handed out).
    func drain() -> [Element] {
        state.withLockedValue { s in
            let rest = Array(s.items[s.head...])
            s.items = []
            s.head = 0
            return rest
        }
    }

    /// The next item; `nil` after a clean end. Throws the end's error, a timeout (the queue stays
    /// usable), or a usage error when another pop is already waiting.
    func pop(timeout: Duration?) async throws -> Element? {
        let id: Int = state.withLockedValue { s in s.nextID += 1; return s.nextID }
        let timer: Task<Void, Never>? = timeout.map { t in
            Task { [self] in
                try? await Task.sleep(for: t)
                if Task.isCancelled { return }
                let w: CheckedContinuation<Element?, any Error>? = state.withLockedValue { s in
                    guard let w = s.waiter, s.waiterID == id else { s.expiredID = id; return nil }
                    s.waiter = nil
                    return w
                }
                w?.resume(throwing: JSecError(.timeout, "\(what) timed out after \(t)"))
            }
        }
        defer { timer?.cancel() }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Element?, any Error>) in
            let action: PopAction = state.withLockedValue { s in
                if s.count > 0 {
                    let item = s.items[s.head]
                    s.head += 1
                    if s.head > 64 && s.head * 2 > s.items.count { s.items.removeFirst(s.head); s.head = 0 }
                    return .give(item)
                }
                if let end = s.end { return .end(end) }
                if s.waiter != nil { return .busy }
                if s.expiredID == id { return .expired }
                s.waiter = cont
                s.waiterID = id
                return .wait
            }
            switch action {
            case .give(let item): cont.resume(returning: item)
            case .end(.success): cont.resume(returning: nil)
            case .end(.failure(let e)): cont.resume(throwing: e)
            case .busy: cont.resume(throwing: JSecError(.usage, "another \(what) is already pending"))
            case .expired: cont.resume(throwing: JSecError(.timeout, "\(what) timed out after \(timeout ?? .zero)"))
            case .wait: break
            }
        }
    }
}
