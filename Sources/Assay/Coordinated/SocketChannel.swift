import Foundation
import Synchronization

/// Process mode's channel: coordination calls become `WireMessage`s to the
/// coordinator; replies are matched by id on a reader thread. An `abort`
/// (or the coordinator going away) fails every pending and future wait and
/// cancels the body. State in a `Mutex`; each continuation is removed under
/// the lock before being resumed once.
final class SocketChannel: CoordinationChannel, Sendable {
    private let conn: WireConnection
    private struct State {
        var pending: [Int: CheckedContinuation<Data, any Error>] = [:]
        var nextID = 0
        var aborted: String?
        var abortHandler: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    init(conn: WireConnection) {
        self.conn = conn
        let t = Thread { [self] in
            conn.readLoop { handle($0) }
            abort("the coordinator closed the connection")
        }
        t.start()
    }

    /// Called (once) when the test is aborted; runs at once if it already was.
    var onAbort: (@Sendable () -> Void)? {
        get { state.withLock { $0.abortHandler } }
        set {
            let now: Bool = state.withLock { s in
                s.abortHandler = newValue
                return s.aborted != nil
            }
            if now { newValue?() }
        }
    }

    private func handle(_ m: WireMessage) {
        switch m.op {
        case .reply, .error:
            guard let id = m.id, let c = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
            if m.op == .reply { c.resume(returning: Data((m.value ?? "null").utf8)) } else { c.resume(throwing: m.coordinationError()) }
        case .abort:
            abort(m.message ?? "the test failed")
        default:
            break
        }
    }

    private func abort(_ message: String) {
        let (conts, handler): ([CheckedContinuation<Data, any Error>], (@Sendable () -> Void)?) = state.withLock { s in
            if s.aborted == nil { s.aborted = message }
            defer { s.pending.removeAll() }
            return (Array(s.pending.values), s.abortHandler)
        }
        for c in conts { c.resume(throwing: CoordinationError.aborted(message)) }
        handler?()
    }

    private func request(_ m: WireMessage) async throws -> Data {
        let id: Int = state.withLock { s in
            s.nextID += 1; return s.nextID
        }
        var m = m
        m.id = id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
                let failedAlready: String? = state.withLock { s in
                    if let a = s.aborted { return a }
                    s.pending[id] = cont
                    return nil
                }
                if let a = failedAlready { cont.resume(throwing: CoordinationError.aborted(a)); return }
                if !conn.send(m), let c = state.withLock({ $0.pending.removeValue(forKey: id) }) {
                    c.resume(throwing: CoordinationError.aborted("the coordinator is gone"))
                }
            }
        } onCancel: {
            state.withLock { $0.pending.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    func emit(from: ParticipantID, event: String, value: Data) async throws {
        if let a = state.withLock({ $0.aborted }) { throw CoordinationError.aborted(a) }
        var m = WireMessage(.emit)
        m.event = event
        m.value = String(decoding: value, as: UTF8.self)
        conn.send(m)
    }

    func awaitEvent(by: ParticipantID, from: ParticipantID, event: String, timeout: Double) async throws -> Data {
        var m = WireMessage(.await)
        m.role = from.role
        m.index = from.index
        m.event = event
        m.timeout = timeout
        return try await request(m)
    }

    func barrier(by: ParticipantID, name: String, timeout: Double) async throws {
        var m = WireMessage(.barrier)
        m.name = name
        m.timeout = timeout
        _ = try await request(m)
    }

    func report(from: ParticipantID, data: JSONValue) {
        var m = WireMessage(.report)
        m.data = data
        conn.send(m)
    }
}
