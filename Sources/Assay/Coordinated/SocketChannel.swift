import Foundation

/// Process mode's channel: coordination calls become `WireMessage`s to the
/// coordinator; replies are matched by id on a reader thread. An `abort`
/// (or the coordinator going away) fails every pending and future wait and
/// cancels the body. State behind `lock`; each continuation is removed under
/// the lock before being resumed once, so `@unchecked Sendable` is safe.
final class SocketChannel: CoordinationChannel, @unchecked Sendable {
    private let conn: WireConnection
    private let lock = NSLock()
    private var pending: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var nextID = 0
    private var aborted: String?
    private var abortHandler: (@Sendable () -> Void)?

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
        get { lock.withLock { abortHandler } }
        set {
            let now: Bool = lock.withLock {
                abortHandler = newValue
                return aborted != nil
            }
            if now { newValue?() }
        }
    }

    private func handle(_ m: WireMessage) {
        switch m.op {
        case .reply, .error:
            guard let id = m.id, let c = lock.withLock({ pending.removeValue(forKey: id) }) else { return }
            if m.op == .reply { c.resume(returning: Data((m.value ?? "null").utf8)) } else { c.resume(throwing: m.coordinationError()) }
        case .abort:
            abort(m.message ?? "the test failed")
        default:
            break
        }
    }

    private func abort(_ message: String) {
        let (conts, handler): ([CheckedContinuation<Data, any Error>], (@Sendable () -> Void)?) = lock.withLock {
            if aborted == nil { aborted = message }
            defer { pending.removeAll() }
            return (Array(pending.values), abortHandler)
        }
        for c in conts { c.resume(throwing: CoordinationError.aborted(message)) }
        handler?()
    }

    private func request(_ m: WireMessage) async throws -> Data {
        let id: Int = lock.withLock {
            nextID += 1; return nextID
        }
        var m = m
        m.id = id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, any Error>) in
                let failedAlready: String? = lock.withLock {
                    if let a = aborted { return a }
                    pending[id] = cont
                    return nil
                }
                if let a = failedAlready { cont.resume(throwing: CoordinationError.aborted(a)); return }
                if !conn.send(m), let c = lock.withLock({ pending.removeValue(forKey: id) }) {
                    c.resume(throwing: CoordinationError.aborted("the coordinator is gone"))
                }
            }
        } onCancel: {
            lock.withLock { pending.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    func emit(from: ParticipantID, event: String, value: Data) async throws {
        if let a = lock.withLock({ aborted }) { throw CoordinationError.aborted(a) }
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
